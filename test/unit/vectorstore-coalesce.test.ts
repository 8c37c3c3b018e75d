/**
 * Query coalescing over the in-process vector store: concurrent queries share
 * one `queryMany` round trip and get exactly what their own query returns.
 */
import { describe, expect, it } from 'vitest';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import {
  coalesceQueries,
  createMemoryVectorStore,
  type VectorCollection,
} from '../../shared/vectorstore/index.js';

const provider: EmbeddingProvider = {
  id: 'unit-3d',
  dimensions: 3,
  embed: (texts) => Promise.resolve(texts.map(() => [1, 0, 0])),
  close: () => Promise.resolve(),
};

async function filled(): Promise<VectorCollection> {
  const store = createMemoryVectorStore({ now: () => 1 });
  const c = await store.collection('unit-coalesce', { provider });
  await c.upsert(
    Array.from({ length: 40 }, (_, i) => ({
      id: `r${String(i).padStart(2, '0')}`,
      document: `record ${i}`,
      embedding: [Math.cos(i / 7), Math.sin(i / 7), (i % 5) / 10],
      metadata: { kind: i % 2 === 0 ? 'even' : 'odd' },
    })),
  );
  return c;
}

/** The collection with its `queryMany` round trips recorded (embeddings per call). */
function recorded(c: VectorCollection): { collection: VectorCollection; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    collection: {
      ...c,
      name: c.name,
      providerId: c.providerId,
      dimensions: c.dimensions,
      query: (e, k, f) => c.query(e, k, f),
      queryMany: (es, k, f) => {
        calls.push(es.length);
        return c.queryMany(es, k, f);
      },
      upsert: (r) => c.upsert(r),
      get: (ids, f) => c.get(ids, f),
      delete: (ids) => c.delete(ids),
      count: () => c.count(),
    },
  };
}

const queries = Array.from({ length: 12 }, (_, i) => [Math.cos(i), Math.sin(i), i / 12]);

describe('coalesceQueries', () => {
  it('sends a lone query at once, on its own', async () => {
    const base = await filled();
    const { collection, calls } = recorded(base);
    const coalesced = coalesceQueries(collection);
    const hits = await coalesced.query([1, 0, 0], 5);
    expect(hits).toEqual(await base.query([1, 0, 0], 5));
    expect(calls).toEqual([1]);
  });

  it('batches queries that arrive while one is in flight, with identical results', async () => {
    const base = await filled();
    const { collection, calls } = recorded(base);
    const coalesced = coalesceQueries(collection);
    const together = await Promise.all(queries.map((q) => coalesced.query(q, 6)));
    const alone = await Promise.all(queries.map((q) => base.query(q, 6)));
    expect(together).toEqual(alone);
    // The first goes alone; the eleven that came while it was in flight share one round trip.
    expect(calls).toEqual([1, 11]);
  });

  it('keeps queries with different k or filter in separate round trips', async () => {
    const base = await filled();
    const { collection, calls } = recorded(base);
    const coalesced = coalesceQueries(collection);
    const [first, a, b, c, d] = await Promise.all([
      coalesced.query(queries[0] ?? [], 3),
      coalesced.query(queries[1] ?? [], 3),
      coalesced.query(queries[2] ?? [], 5),
      coalesced.query(queries[3] ?? [], 3, { kind: 'even' }),
      coalesced.query(queries[4] ?? [], 3),
    ]);
    expect(first).toEqual(await base.query(queries[0] ?? [], 3));
    expect(a).toEqual(await base.query(queries[1] ?? [], 3));
    expect(b).toEqual(await base.query(queries[2] ?? [], 5));
    expect(c).toEqual(await base.query(queries[3] ?? [], 3, { kind: 'even' }));
    expect(d).toEqual(await base.query(queries[4] ?? [], 3));
    expect(c?.every((h) => h.metadata.kind === 'even')).toBe(true);
    expect(calls.sort()).toEqual([1, 1, 1, 2]);
  });

  it('bounds the batch size', async () => {
    const base = await filled();
    const { collection, calls } = recorded(base);
    const coalesced = coalesceQueries(collection, { maxBatch: 4 });
    await Promise.all(queries.map((q) => coalesced.query(q, 2)));
    expect(calls).toEqual([1, 4, 4, 3]);
  });

  it('rejects every query of a failed round trip and keeps serving afterwards', async () => {
    const base = await filled();
    let fail = true;
    const coalesced = coalesceQueries({
      ...recorded(base).collection,
      queryMany: (es, k, f) =>
        fail ? Promise.reject(new Error('store down')) : base.queryMany(es, k, f),
    });
    const settled = await Promise.allSettled(queries.slice(0, 3).map((q) => coalesced.query(q, 2)));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    fail = false;
    expect(await coalesced.query([1, 0, 0], 2)).toEqual(await base.query([1, 0, 0], 2));
  });
});
