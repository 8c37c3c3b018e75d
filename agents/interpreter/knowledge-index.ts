/**
 * The in-process index of the knowledge collection, which serves every
 * request's knowledge neighbours: the knowledge base is static, so a Chroma
 * round trip per request buys nothing but latency and Chroma load. (The
 * memory bank changes at run time and stays in Chroma.) The same index answers
 * when Chroma is down.
 *
 * It holds the records the collection holds — ids, documents and metadata
 * read back from the store — with their vectors from the same embedding
 * provider, searched exactly by the in-process store
 * (`shared/vectorstore/memory-store.ts`) in the collection's own space:
 * cosine distance 1 − cos(q, r) over float32-normalised vectors, nearest
 * first, exact ties by id (UTF-16 code-unit order). Chroma computes the same
 * distance in float32 through HNSW, so its distances agree to about 1e-6 and
 * two records closer than that may come back in either order from Chroma.
 *
 * The index follows the collection: `refresh()` re-reads it and rebuilds when
 * its fingerprint (a hash of every record's id, document and metadata, and
 * the provider) changed — another instance bootstrapped another knowledge
 * file, say. `servedFromIndex` refreshes in the background every `refreshMs`,
 * never on a request's path.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import { createMemoryVectorStore } from '../../shared/vectorstore/memory-store.js';
import type { StoredRecord, VectorCollection, VectorHit } from '../../shared/vectorstore/types.js';
import type { GuardedSource } from './sources.js';

export interface KnowledgeIndex {
  /** Name of the collection it mirrors. */
  readonly name: string;
  /** Records held. */
  readonly size: number;
  /** Fingerprint of the collection content it was built from. */
  readonly fingerprint: string;
  /** The `k` nearest records: nearest first, exact ties by id; hits carry the stored document and metadata. */
  query(embedding: readonly number[], k: number): Promise<VectorHit[]>;
  /** Re-reads the collection and rebuilds when its fingerprint changed; resolves whether it rebuilt. */
  refresh(): Promise<boolean>;
}

/** Hash of everything a query could return from `records`, whatever order the store lists them in. */
export function collectionFingerprint(
  providerId: string,
  records: readonly StoredRecord[],
): string {
  const hash = createHash('sha256').update(JSON.stringify([providerId]));
  const sorted = [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const r of sorted) {
    const metadata = Object.entries(r.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    hash.update(JSON.stringify([r.id, r.document, metadata]));
  }
  return hash.digest('hex').slice(0, 32);
}

interface Built {
  readonly fingerprint: string;
  readonly search: VectorCollection;
  readonly records: ReadonlyMap<string, StoredRecord>;
  /** Each document's vector, so a rebuild embeds only new texts. */
  readonly vectors: ReadonlyMap<string, readonly number[]>;
}

async function build(
  stored: VectorCollection,
  provider: EmbeddingProvider,
  embed: Pick<EmbeddingProvider, 'embed'>,
  records: readonly StoredRecord[],
  fingerprint: string,
  previous: Built | undefined,
): Promise<Built> {
  const vectors = new Map<string, readonly number[]>();
  const missing: string[] = [];
  for (const r of records) {
    const known = previous?.vectors.get(r.document);
    if (known !== undefined) vectors.set(r.document, known);
    else if (!vectors.has(r.document)) {
      vectors.set(r.document, []);
      missing.push(r.document);
    }
  }
  const fresh = missing.length > 0 ? await embed.embed(missing) : [];
  missing.forEach((text, i) => vectors.set(text, fresh[i] ?? []));
  // The store's clock only stamps metadata, which the hits take from `records` instead.
  const search = await createMemoryVectorStore({ now: () => 0 }).collection(stored.name, {
    provider,
  });
  await search.upsert(
    records.map((r) => ({
      id: r.id,
      document: r.document,
      embedding: vectors.get(r.document) ?? [],
      metadata: r.metadata,
    })),
  );
  return { fingerprint, search, records: new Map(records.map((r) => [r.id, r])), vectors };
}

/**
 * Builds the index from what `stored` holds now, with vectors from `provider`
 * (the one the collection belongs to). `firstEmbed` embeds for this first
 * build only: a memo of the provider, so texts the bootstrap just embedded are
 * not embedded twice; rebuilds embed the texts they have not seen with the
 * provider itself, so nothing accumulates.
 */
export async function openKnowledgeIndex(
  stored: VectorCollection,
  provider: EmbeddingProvider,
  firstEmbed: Pick<EmbeddingProvider, 'embed'> = provider,
): Promise<KnowledgeIndex> {
  const read = async () => {
    const records = await stored.get();
    return { records, fingerprint: collectionFingerprint(stored.providerId, records) };
  };
  const first = await read();
  let current = await build(
    stored,
    provider,
    firstEmbed,
    first.records,
    first.fingerprint,
    undefined,
  );
  let refreshing: Promise<boolean> | undefined;

  const refresh = async (): Promise<boolean> => {
    const { records, fingerprint } = await read();
    if (fingerprint === current.fingerprint) return false;
    current = await build(stored, provider, provider, records, fingerprint, current);
    return true;
  };

  return {
    name: stored.name,
    get size() {
      return current.records.size;
    },
    get fingerprint() {
      return current.fingerprint;
    },
    async query(embedding, k) {
      const { search, records } = current;
      const hits = await search.query(embedding, k);
      return hits.map((h) => {
        const r = records.get(h.id);
        return r === undefined ? h : { ...r, similarity: h.similarity };
      });
    },
    refresh() {
      // One re-read at a time; callers meanwhile share it.
      refreshing ??= refresh().finally(() => {
        refreshing = undefined;
      });
      return refreshing;
    },
  };
}

export interface IndexServingOptions {
  /** The collection is re-read (in the background) at most this often (ms). */
  readonly refreshMs: number;
}

export const DEFAULT_INDEX_SERVING: IndexServingOptions = { refreshMs: 10_000 };

export interface IndexServingHooks {
  /** Monotonic milliseconds (default `performance.now`). */
  readonly clock?: () => number;
  /** After each background refresh: whether it rebuilt, or why it could not read the collection. */
  readonly onRefresh?: (
    outcome: { readonly rebuilt: boolean; readonly size: number } | { readonly error: unknown },
  ) => void;
}

/**
 * The knowledge source of the retrieval step, answered from `index` on every
 * request. When `refreshMs` has passed since the last look, a request starts
 * a refresh and goes on without waiting for it; a failed refresh keeps the
 * index as it is and is tried again `refreshMs` later.
 */
export function servedFromIndex(
  index: KnowledgeIndex,
  options: IndexServingOptions = DEFAULT_INDEX_SERVING,
  hooks: IndexServingHooks = {},
): GuardedSource {
  const clock = hooks.clock ?? (() => performance.now());
  let nextRefresh = clock() + options.refreshMs;
  return {
    source: 'knowledge',
    inProcess: true,
    down: false,
    async query(embedding, k) {
      if (clock() >= nextRefresh) {
        nextRefresh = Number.POSITIVE_INFINITY; // until this refresh settles
        index.refresh().then(
          (rebuilt) => {
            nextRefresh = clock() + options.refreshMs;
            hooks.onRefresh?.({ rebuilt, size: index.size });
          },
          (error: unknown) => {
            nextRefresh = clock() + options.refreshMs;
            hooks.onRefresh?.({ error });
          },
        );
      }
      return { hits: await index.query(embedding, k) };
    },
  };
}
