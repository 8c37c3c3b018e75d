/**
 * The in-process index of the knowledge collection: exact cosine search,
 * ties by id, the stored documents and metadata in its hits, following the
 * collection when its content changes (in the background when serving), and
 * the tie-robust ranking comparison the Chroma integration test relies on.
 */
import { describe, expect, it } from 'vitest';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import {
  createMemoryVectorStore,
  META,
  type VectorCollection,
} from '../../shared/vectorstore/index.js';
import {
  collectionFingerprint,
  openKnowledgeIndex,
  servedFromIndex,
} from '../../agents/interpreter/knowledge-index.js';
import { compareRankings } from '../helpers/neighbours.js';

/** Texts written as "x,y,z" embed as that vector; counts what it embedded. */
function vectorProvider(): EmbeddingProvider & { embedded: string[] } {
  const p = {
    id: 'literal',
    dimensions: 3,
    embedded: [] as string[],
    embed: (texts: readonly string[]) => {
      p.embedded.push(...texts);
      return Promise.resolve(texts.map((t) => t.split(',').map(Number)));
    },
    close: () => Promise.resolve(),
  };
  return p;
}

async function storedCollection(
  provider: EmbeddingProvider,
  docs: Record<string, string>,
  now = 5_000,
): Promise<VectorCollection> {
  const c = await createMemoryVectorStore({ now: () => now }).collection('kb', { provider });
  const entries = Object.entries(docs);
  const vectors = await provider.embed(entries.map(([, d]) => d));
  await c.upsert(
    entries.map(([id, document], i) => ({
      id,
      document,
      embedding: vectors[i] ?? [],
      metadata: { label: id.toUpperCase() },
    })),
  );
  return c;
}

describe('knowledge index', () => {
  it('returns the nearest records by cosine distance, whatever the vector lengths', async () => {
    const provider = vectorProvider();
    const stored = await storedCollection(provider, {
      east: '10,0,0',
      north: '0,0.5,0',
      northeast: '3,3,0',
      up: '0,0,2',
      west: '-1,0,0',
    });
    const index = await openKnowledgeIndex(stored, provider);
    expect(index.size).toBe(5);
    const hits = await index.query([3, 1, 0], 5);
    expect(hits.map((h) => h.id)).toEqual(['east', 'northeast', 'north', 'up', 'west']);
    const cos = (a: number[], b: number[]) =>
      a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0) / (Math.hypot(...a) * Math.hypot(...b));
    expect(hits.map((h) => h.similarity)).toEqual(
      [
        [1, 0, 0],
        [1, 1, 0],
        [0, 1, 0],
        [0, 0, 1],
        [-1, 0, 0],
      ].map((v) => expect.closeTo(cos([3, 1, 0], v), 6)),
    );
    expect((await index.query([3, 1, 0], 2)).map((h) => h.id)).toEqual(['east', 'northeast']);
  });

  it('orders exact ties by id, so a cut at k keeps the smallest ids', async () => {
    const provider = vectorProvider();
    // Inserted in reverse id order, so an insertion-ordered result would fail.
    const stored = await storedCollection(provider, {
      'tie-c': '1,1,0',
      'tie-b': '2,2,0',
      'tie-a': '0.5,0.5,0',
      near: '1,0,0',
      far: '0,0,1',
    });
    const index = await openKnowledgeIndex(stored, provider);
    const hits = await index.query([1, 1, 0.2], 5);
    expect(hits.map((h) => h.id)).toEqual(['tie-a', 'tie-b', 'tie-c', 'near', 'far']);
    expect(new Set(hits.slice(0, 3).map((h) => h.similarity)).size).toBe(1);
    expect((await index.query([1, 1, 0.2], 2)).map((h) => h.id)).toEqual(['tie-a', 'tie-b']);
  });

  it('answers with the documents and metadata the collection stores', async () => {
    const provider = vectorProvider();
    const stored = await storedCollection(provider, { a: '1,0,0', b: '0,1,0' }, 1_234);
    const index = await openKnowledgeIndex(stored, provider);
    const [hit] = await index.query([1, 0, 0], 1);
    const [record] = await stored.get(['a']);
    expect(hit).toEqual({ ...record, similarity: expect.closeTo(1, 6) });
    expect(hit?.metadata).toMatchObject({ label: 'A', [META.updatedAt]: 1_234 });
  });

  it('rebuilds when the collection changed, embedding only the texts it has not seen', async () => {
    const provider = vectorProvider();
    const stored = await storedCollection(provider, { a: '1,0,0', b: '0,1,0', c: '0,0,1' });
    provider.embedded.length = 0;
    const index = await openKnowledgeIndex(stored, provider);
    expect(provider.embedded).toHaveLength(3);
    const before = index.fingerprint;

    expect(await index.refresh()).toBe(false);
    expect(index.fingerprint).toBe(before);

    provider.embedded.length = 0;
    await stored.upsert([{ id: 'd', document: '1,1,0', embedding: [1, 1, 0] }]);
    await stored.delete(['a']);
    expect(await index.refresh()).toBe(true);
    expect(provider.embedded).toEqual(['1,1,0']);
    expect(index.fingerprint).not.toBe(before);
    expect(index.size).toBe(3);
    expect((await index.query([1, 0, 0], 3)).map((h) => h.id)).toEqual(['d', 'b', 'c']);

    // A metadata-only change is a change too.
    await stored.upsert([
      { id: 'b', document: '0,1,0', embedding: [0, 1, 0], metadata: { label: 'new' } },
    ]);
    expect(await index.refresh()).toBe(true);
    expect((await index.query([0, 1, 0], 1))[0]?.metadata.label).toBe('new');
  });

  it('fingerprints the content, not the order the store lists it in', () => {
    const a = { id: 'a', document: 'x', metadata: { k: 1, j: 'v' } };
    const b = { id: 'b', document: 'y', metadata: { k: 2 } };
    const fp = collectionFingerprint('p', [a, b]);
    expect(collectionFingerprint('p', [b, a])).toBe(fp);
    expect(collectionFingerprint('p', [{ ...a, metadata: { j: 'v', k: 1 } }, b])).toBe(fp);
    expect(collectionFingerprint('p', [{ ...a, document: 'z' }, b])).not.toBe(fp);
    expect(collectionFingerprint('p', [{ ...a, metadata: { k: 3, j: 'v' } }, b])).not.toBe(fp);
    expect(collectionFingerprint('q', [a, b])).not.toBe(fp);
    expect(collectionFingerprint('p', [a])).not.toBe(fp);
  });
});

describe('serving from the index', () => {
  it('never waits for a refresh and re-reads at most every refreshMs, one read at a time', async () => {
    const provider = vectorProvider();
    const stored = await storedCollection(provider, { a: '1,0,0', b: '0,1,0' });
    let reads = 0;
    const reading = { hang: undefined as Promise<never> | undefined };
    const watched: VectorCollection = Object.assign(Object.create(stored) as VectorCollection, {
      get: (...args: Parameters<VectorCollection['get']>) => {
        reads += 1;
        return reading.hang ?? stored.get(...args);
      },
    });
    const index = await openKnowledgeIndex(watched, provider);
    expect(reads).toBe(1);
    let clock = 0;
    const outcomes: string[] = [];
    const source = servedFromIndex(
      index,
      { refreshMs: 1_000 },
      {
        clock: () => clock,
        onRefresh: (o) =>
          outcomes.push('error' in o ? `error ${(o.error as Error).message}` : `${o.rebuilt}`),
      },
    );
    const q = [1, 0.1, 0];
    expect((await source.query(q, 1)).hits.map((h) => h.id)).toEqual(['a']);
    clock = 999;
    await source.query(q, 1);
    expect(reads).toBe(1);

    // Due, and the store hangs: the request is answered anyway, and no second read starts.
    clock = 1_000;
    reading.hang = new Promise<never>(() => undefined);
    expect((await source.query(q, 1)).hits.map((h) => h.id)).toEqual(['a']);
    clock = 5_000;
    await source.query(q, 1);
    expect(reads).toBe(2);
    expect(outcomes).toEqual([]);
  });

  it('picks up a changed collection on a later request and reports failed reads', async () => {
    const provider = vectorProvider();
    const stored = await storedCollection(provider, { a: '1,0,0', b: '0,1,0' });
    let fail = false;
    const watched: VectorCollection = Object.assign(Object.create(stored) as VectorCollection, {
      get: (...args: Parameters<VectorCollection['get']>) =>
        fail ? Promise.reject(new Error('refused')) : stored.get(...args),
    });
    const index = await openKnowledgeIndex(watched, provider);
    let clock = 0;
    const outcomes: string[] = [];
    let settled: () => void = () => undefined;
    const source = servedFromIndex(
      index,
      { refreshMs: 1_000 },
      {
        clock: () => clock,
        onRefresh: (o) => {
          outcomes.push(
            'error' in o ? `error ${(o.error as Error).message}` : `rebuilt ${o.rebuilt}`,
          );
          settled();
        },
      },
    );
    const refreshed = () => new Promise<void>((resolve) => (settled = resolve));
    const q = [0.1, 1, 0];

    await stored.upsert([{ id: 'c', document: '0,1,0.01', embedding: [0, 1, 0.01] }]);
    // Not due yet: the change is not seen.
    expect((await source.query(q, 1)).hits.map((h) => h.id)).toEqual(['b']);
    clock = 1_000;
    let done = refreshed();
    // This request still gets the index it found; the refresh runs behind it.
    expect((await source.query(q, 3)).hits.map((h) => h.id)).toEqual(['b', 'a']);
    await done;
    expect(outcomes).toEqual(['rebuilt true']);
    expect((await source.query(q, 3)).hits.map((h) => h.id)).toEqual(['b', 'c', 'a']);

    fail = true;
    clock = 2_000;
    done = refreshed();
    await source.query(q, 1);
    await done;
    expect(outcomes.at(-1)).toBe('error refused');
    expect(index.size).toBe(3);
    expect((await source.query(q, 1)).hits.map((h) => h.id)).toEqual(['b']);

    fail = false;
    clock = 2_999;
    await source.query(q, 1);
    expect(outcomes).toHaveLength(2);
    clock = 3_000;
    done = refreshed();
    await source.query(q, 1);
    await done;
    expect(outcomes.at(-1)).toBe('rebuilt false');
  });
});

describe('ranking comparison with ties', () => {
  const r = (id: string, distance: number) => ({ id, distance });
  const chroma = [
    r('a', 0.1),
    r('b', 0.2),
    r('c', 0.2000001),
    r('d', 0.3),
    r('e', 0.3),
    r('f', 0.5),
  ];

  it('accepts the same ranking with tied records in another order', () => {
    expect(compareRankings(chroma, chroma, 1e-5)).toMatchObject({ problems: [], tieGroups: 2 });
    const swapped = [r('a', 0.1), r('c', 0.2), r('b', 0.2), r('e', 0.3), r('d', 0.3)];
    expect(compareRankings(chroma, swapped, 1e-5).problems).toEqual([]);
  });

  it('accepts either member of a tie group cut at k', () => {
    expect(
      compareRankings(chroma, [r('a', 0.1), r('b', 0.2), r('c', 0.2), r('e', 0.3)], 1e-5).problems,
    ).toEqual([]);
  });

  it('rejects swapped records that are not tied, strays and distances off by more than the tolerance', () => {
    const notTied = [r('b', 0.2), r('a', 0.1)];
    expect(compareRankings(chroma, notTied, 1e-5).problems).toHaveLength(2);
    expect(compareRankings(chroma, [r('a', 0.1), r('d', 0.3)], 1e-5).problems).toHaveLength(1);
    expect(compareRankings(chroma, [r('a', 0.1), r('x', 0.2)], 1e-5).problems).toHaveLength(2);
    expect(compareRankings(chroma, [r('a', 0.1001)], 1e-5).problems).toEqual([
      'a: distance 0.1001, expected 0.1',
    ]);
    expect(
      compareRankings(chroma, [r('a', 0.1), r('b', 0.2), r('b', 0.2)], 1e-5).problems,
    ).toHaveLength(1);
  });
});
