/**
 * Query coalescing for a busy collection: while one query is on its way to
 * the store, the queries that arrive meanwhile wait for it and then travel
 * together, as one `queryMany` round trip. A lone query is sent at once, so
 * it never waits; under load the store does one request per batch instead of
 * one per query, and each request's fixed cost (HTTP, parsing, segment
 * readers) is paid once for the whole batch. Every caller still gets exactly
 * the hits its own `query` would have returned.
 */
import type { MetadataFilter, VectorCollection, VectorHit } from './types.js';

export interface CoalesceOptions {
  /** Most embeddings sent in one round trip (default 64). */
  readonly maxBatch?: number;
}

interface Waiting {
  readonly embedding: readonly number[];
  readonly k: number;
  readonly filter: MetadataFilter | undefined;
  readonly resolve: (hits: VectorHit[]) => void;
  readonly reject: (error: unknown) => void;
}

const DEFAULT_MAX_BATCH = 64;

/** Queries with the same `k` and filter can share one round trip. */
function shareKey(w: Waiting): string {
  return w.filter === undefined ? `${w.k}` : `${w.k}|${JSON.stringify(w.filter)}`;
}

async function sendGroup(collection: VectorCollection, group: readonly Waiting[]): Promise<void> {
  const first = group[0];
  if (first === undefined) return;
  try {
    const hits = await collection.queryMany(
      group.map((w) => w.embedding),
      first.k,
      first.filter,
    );
    group.forEach((w, i) => w.resolve(hits[i] ?? []));
  } catch (error) {
    for (const w of group) w.reject(error);
  }
}

/**
 * Wraps `collection` so that concurrent `query` calls are coalesced; every
 * other method goes straight through.
 */
export function coalesceQueries(
  collection: VectorCollection,
  options: CoalesceOptions = {},
): VectorCollection {
  const maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);
  const waiting: Waiting[] = [];
  let sending = false;

  const send = (): void => {
    if (sending || waiting.length === 0) return;
    sending = true;
    const batch = waiting.splice(0, maxBatch);
    const groups = new Map<string, Waiting[]>();
    for (const w of batch) {
      const key = shareKey(w);
      const group = groups.get(key);
      if (group) group.push(w);
      else groups.set(key, [w]);
    }
    void Promise.all([...groups.values()].map((g) => sendGroup(collection, g))).then(() => {
      sending = false;
      send();
    });
  };

  return {
    name: collection.name,
    providerId: collection.providerId,
    dimensions: collection.dimensions,
    upsert: (records) => collection.upsert(records),
    query: (embedding, k, filter) =>
      new Promise<VectorHit[]>((resolve, reject) => {
        waiting.push({ embedding, k, filter, resolve, reject });
        send();
      }),
    queryMany: (embeddings, k, filter) => collection.queryMany(embeddings, k, filter),
    get: (ids, filter) => collection.get(ids, filter),
    delete: (ids) => collection.delete(ids),
    count: () => collection.count(),
  };
}
