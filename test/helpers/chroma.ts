/**
 * A real Chroma server (`chroma run` from the chromadb package) per test file:
 *
 *   const chroma = useChromaServer();   // chroma.url inside tests
 *   await chroma.stop();                // an outage: the port stops answering
 *   await chroma.start();               // back on the same port, with the same data
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type ChromaServer, startChromaServer } from '../../shared/runtime/embedded/index.js';

export interface TestChroma {
  /** `http://127.0.0.1:<port>`; stays the same across stop() and start(). */
  readonly url: string;
  readonly dataDir: string;
  /** The running server (changes on start()). */
  readonly server: ChromaServer;
  /** Stops the server; its data is kept for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

/** Starts Chroma in a fresh temp dir. */
export async function startTestChroma(): Promise<TestChroma> {
  const dataDir = mkdtempSync(join(tmpdir(), 'slicemesh-test-chroma-'));
  try {
    let server = await startChromaServer({ dataDir, graceMs: 3_000 });
    const { port, url } = server;
    let running = true;
    const chroma: TestChroma = {
      url,
      dataDir,
      get server() {
        return server;
      },
      async stop() {
        if (!running) return;
        running = false;
        await server.stop();
      },
      async start() {
        if (running) return;
        server = await startChromaServer({ dataDir, port, graceMs: 3_000 });
        running = true;
      },
      dispose: async () => {
        await chroma.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
    return chroma;
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
    stop: () => get().stop(),
    start: () => get().start(),
    dispose: () => get().dispose(),
  };
}
