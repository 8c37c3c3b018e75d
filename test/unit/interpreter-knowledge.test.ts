import { describe, expect, it } from 'vitest';
import { isSliceMeshError } from '../../shared/contracts/errors.js';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import { createMemoryVectorStore, decodeIntentMetadata } from '../../shared/vectorstore/index.js';
import {
  bootstrapKnowledge,
  parseKnowledge,
  type KnowledgeLine,
} from '../../agents/interpreter/knowledge.js';

const line = (id: string, text: string, latency = 0.4): KnowledgeLine => ({
  id,
  text,
  serviceType: 'URLLC',
  latency: 'high',
  reliability: 'high',
  cost: 'general',
  preference: { latency, reliability: 0.8 - latency, economics: 0.1, throughput: 0.1 },
});

/** Counts how many texts it was asked to embed. */
function countingProvider(): EmbeddingProvider & { embedded: number } {
  const p = {
    id: 'count',
    dimensions: 2,
    embedded: 0,
    embed: (texts: readonly string[]) => {
      p.embedded += texts.length;
      return Promise.resolve(texts.map((t) => [t.length, 1]));
    },
    close: () => Promise.resolve(),
  };
  return p;
}

describe('knowledge file', () => {
  it('parses valid lines and skips blank ones', () => {
    const raw = `${JSON.stringify(line('kb-1', 'robot arm control'))}\n\n${JSON.stringify(line('kb-2', 'PLC loop'))}\n`;
    expect(parseKnowledge(raw).map((l) => l.id)).toEqual(['kb-1', 'kb-2']);
  });

  it.each([
    ['broken JSON', '{"id": "kb-1",', /line 1: not valid JSON/],
    [
      'a vector not summing to 1',
      JSON.stringify({
        ...line('kb-1', 'x'),
        preference: { latency: 1, reliability: 1, economics: 0, throughput: 0 },
      }),
      /line 1: preference/,
    ],
    [
      'a duplicate id',
      `${JSON.stringify(line('kb-1', 'a'))}\n${JSON.stringify(line('kb-1', 'b'))}`,
      /line 2: duplicate id kb-1/,
    ],
  ])('names the line of %s', (_name, raw, message) => {
    try {
      parseKnowledge(raw);
      expect.unreachable();
    } catch (error) {
      expect(isSliceMeshError(error) && error.code).toBe('scenario');
      expect((error as Error).message).toMatch(message);
    }
  });
});

describe('knowledge bootstrap', () => {
  it('is idempotent, rewrites changed entries only and removes entries that left the file', async () => {
    const provider = countingProvider();
    const collection = await createMemoryVectorStore().collection('kb', { provider });
    const lines = [
      line('kb-1', 'robot arm control'),
      line('kb-2', 'PLC loop'),
      line('kb-3', 'servo drives'),
    ];

    expect(await bootstrapKnowledge(collection, provider, lines, 10)).toEqual({
      total: 3,
      written: 3,
      removed: 0,
    });
    expect(await bootstrapKnowledge(collection, provider, lines, 20)).toEqual({
      total: 3,
      written: 0,
      removed: 0,
    });
    expect(provider.embedded).toBe(3);
    expect(await collection.count()).toBe(3);

    const edited = [line('kb-1', 'robot arm control'), line('kb-2', 'PLC loop', 0.5)];
    expect(await bootstrapKnowledge(collection, provider, edited, 30)).toEqual({
      total: 2,
      written: 1,
      removed: 1,
    });
    expect(provider.embedded).toBe(4);
    const [kb2] = await collection.get(['kb-2']);
    expect(decodeIntentMetadata(kb2?.metadata ?? {}, 'knowledge')?.preference.latency).toBe(0.5);
    expect((await collection.get()).map((r) => r.id).sort()).toEqual(['kb-1', 'kb-2']);
  });
});
