import { describe, expect, it } from 'vitest';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import {
  createMemoryVectorStore,
  decodeIntentMetadata,
  encodeIntentMetadata,
  META,
} from '../../shared/vectorstore/index.js';
import { expectProviderSwitch } from '../helpers/vectorstore.js';

/** Embeds a text as letter counts of a, b, c: enough geometry to test search. */
function fakeProvider(id: string, dims = 3): EmbeddingProvider {
  return {
    id,
    dimensions: dims,
    embed: (texts) =>
      Promise.resolve(
        texts.map((t) =>
          Array.from({ length: dims }, (_, i) => [...t].filter((ch) => ch === 'abcdef'[i]).length),
        ),
      ),
    close: () => Promise.resolve(),
  };
}

describe('memory vector store', () => {
  it('stamps provider and timestamps and finds nearest records first', async () => {
    let now = 1_000;
    const store = createMemoryVectorStore({ now: () => now });
    const provider = fakeProvider('p1');
    const c = await store.collection('kb', { provider });
    await c.upsert([
      { id: 'a', document: 'aaa', embedding: [3, 0, 0] },
      { id: 'b', document: 'bbb', embedding: [0, 3, 0], metadata: { createdAt: 5, kind: 'x' } },
    ]);
    now = 2_000;
    await c.upsert([{ id: 'a', document: 'aab', embedding: [2, 1, 0] }]);
    const hits = await c.query([1, 0, 0], 2);
    expect(hits.map((h) => h.id)).toEqual(['a', 'b']);
    expect(hits[0]?.similarity).toBeCloseTo(2 / Math.sqrt(5), 6);
    expect(hits[0]?.metadata[META.provider]).toBe('p1');
    expect(hits[0]?.metadata[META.updatedAt]).toBe(2_000);
    expect(hits[1]?.metadata[META.createdAt]).toBe(5);
    expect(await c.query([1, 0, 0], 5, { kind: 'x' })).toHaveLength(1);
    expect(await c.count()).toBe(2);
    await c.delete(['a']);
    expect((await c.get()).map((r) => r.id)).toEqual(['b']);
  });

  it('refuses vectors of the wrong dimension', async () => {
    const c = await createMemoryVectorStore().collection('kb', { provider: fakeProvider('p1') });
    await expect(c.upsert([{ id: 'x', document: 'x', embedding: [1, 2] }])).rejects.toMatchObject({
      code: 'config',
    });
  });

  it('never mixes providers: refuses by default, re-embeds when asked', async () => {
    const second = await expectProviderSwitch(
      createMemoryVectorStore(),
      'kb',
      fakeProvider('p1'),
      fakeProvider('p2', 4),
      { id: 'a', document: 'abc', embedding: [1, 1, 1], metadata: { createdAt: 7 } },
    );
    expect((await second.query([1, 1, 1, 0], 1))[0]?.similarity).toBeCloseTo(1, 6);
  });
});

describe('intent entry metadata', () => {
  const entry = {
    source: 'memory' as const,
    preference: { latency: 0.4, reliability: 0.3, economics: 0.2, throughput: 0.1 },
    profile: {
      serviceType: 'URLLC' as const,
      latency: 'high' as const,
      reliability: 'high' as const,
      cost: 'general' as const,
    },
    createdAt: 42,
    qoe: { latencyMs: 3, cost: 1, reliabilityCost: 0.5 },
  };

  it('round-trips through flat metadata', () => {
    expect(decodeIntentMetadata(encodeIntentMetadata(entry), 'knowledge')).toEqual(entry);
  });

  it('rejects records whose preference is not a valid vector', () => {
    const bad = { ...encodeIntentMetadata(entry), preference: JSON.stringify({ latency: 2 }) };
    expect(decodeIntentMetadata(bad, 'memory')).toBeUndefined();
    expect(decodeIntentMetadata({ preference: 'not json' }, 'memory')).toBeUndefined();
  });
});
