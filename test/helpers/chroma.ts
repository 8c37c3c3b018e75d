/**
 * A real Chroma server (`chroma run` from the chromadb package) per test file:
 *
 *   const chroma = useChromaServer();   // chroma.url inside tests
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type ChromaServer, startChromaServer } from '../../shared/runtime/embedded/index.js';

export interface TestChroma {
  readonly url: string;
  readonly dataDir: string;
  readonly server: ChromaServer;
  dispose(): Promise<void>;
}

/** Starts Chroma in a fresh temp dir. */
export async function startTestChroma(): Promise<TestChroma> {
  const dataDir = mkdtempSync(join(tmpdir(), 'slicemesh-test-chroma-'));
  try {
    const server = await startChromaServer({ dataDir, graceMs: 3_000 });
    return {
      url: server.url,
      dataDir,
      server,
      dispose: async () => {
        await server.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** Registers beforeAll/afterAll hooks and returns a handle usable inside tests. */
export function useChromaServer(): TestChroma {
  let current: TestChroma | undefined;
  beforeAll(async () => {
    current = await startTestChroma();
  });
  afterAll(async () => {
    await current?.dispose();
  });
  const get = (): TestChroma => {
    if (!current)
      throw new Error('useChromaServer(): the server is only available inside tests and hooks');
    return current;
  };
  return {
    get url() {
      return get().url;
    },
    get dataDir() {
      return get().dataDir;
    },
    get server() {
      return get().server;
    },
    dispose: () => get().dispose(),
  };
}
