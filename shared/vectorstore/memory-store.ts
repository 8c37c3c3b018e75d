/**
 * In-process `VectorStore`: exact cosine search over records held in memory.
 * For unit tests and batch jobs (e.g. computing preference vectors for
 * training) where a Chroma server would only add latency; the running agents
 * use Chroma. Same provider rules as the Chroma store.
 */
import {
  providerMismatchError,
  queryDimensionError,
  recordDimensionError,
  stampedMetadata,
} from './collection-rules.js';
import { reembedRecords } from './reembed.js';
import {
  type MetadataFilter,
  type OpenCollectionOptions,
  type RecordMetadata,
  type StoredRecord,
  type VectorCollection,
  type VectorHit,
  type VectorRecord,
  type VectorStore,
} from './types.js';

interface Row {
  readonly id: string;
  readonly document: string;
  readonly metadata: RecordMetadata;
  readonly unit: Float32Array;
}

function unit(embedding: readonly number[]): Float32Array {
  const v = Float32Array.from(embedding);
  let sum = 0;
  for (const x of v) sum += x * x;
  const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) * inv;
  return v;
}

function matches(metadata: RecordMetadata, filter: MetadataFilter | undefined): boolean {
  if (filter === undefined) return true;
  return Object.entries(filter).every(([k, v]) => metadata[k] === v);
}

class MemoryCollection implements VectorCollection {
  readonly rows = new Map<string, Row>();

  constructor(
    readonly name: string,
    readonly providerId: string,
    readonly dimensions: number,
    private readonly now: () => number,
  ) {}

  upsert(records: readonly VectorRecord[]): Promise<void> {
    const error = recordDimensionError(records, this);
    if (error) return Promise.reject(error);
    const now = this.now();
    for (const r of records) {
      this.rows.set(r.id, {
        id: r.id,
        document: r.document,
        unit: unit(r.embedding),
        metadata: stampedMetadata(r, this.providerId, now),
      });
    }
    return Promise.resolve();
  }

  query(embedding: readonly number[], k: number, filter?: MetadataFilter): Promise<VectorHit[]> {
    const error = queryDimensionError([embedding], this);
    if (error) return Promise.reject(error);
    const q = unit(embedding);
    const hits: VectorHit[] = [];
    for (const row of this.rows.values()) {
      if (!matches(row.metadata, filter)) continue;
      let dot = 0;
      for (let i = 0; i < q.length; i++) dot += (q[i] ?? 0) * (row.unit[i] ?? 0);
      hits.push({ id: row.id, document: row.document, metadata: row.metadata, similarity: dot });
    }
    // Ties broken by id so results are deterministic.
    hits.sort((a, b) => b.similarity - a.similarity || (a.id < b.id ? -1 : 1));
    return Promise.resolve(hits.slice(0, Math.max(0, k)));
  }

  async queryMany(
    embeddings: readonly (readonly number[])[],
    k: number,
    filter?: MetadataFilter,
  ): Promise<VectorHit[][]> {
    const out: VectorHit[][] = [];
    for (const embedding of embeddings) out.push(await this.query(embedding, k, filter));
    return out;
  }

  get(ids?: readonly string[], filter?: MetadataFilter): Promise<StoredRecord[]> {
    const rows =
      ids === undefined ? [...this.rows.values()] : ids.flatMap((id) => this.rows.get(id) ?? []);
    return Promise.resolve(
      rows
        .filter((r) => matches(r.metadata, filter))
        .map((r) => ({ id: r.id, document: r.document, metadata: r.metadata })),
    );
  }

  delete(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.rows.delete(id);
    return Promise.resolve();
  }

  count(): Promise<number> {
    return Promise.resolve(this.rows.size);
  }
}

/** Creates an empty in-process store. */
export function createMemoryVectorStore(options: { now?: () => number } = {}): VectorStore {
  const now = options.now ?? Date.now;
  const collections = new Map<string, MemoryCollection>();
  return {
    location: 'memory:',
    async collection(name: string, open: OpenCollectionOptions): Promise<VectorCollection> {
      const { provider } = open;
      const existing = collections.get(name);
      if (existing === undefined || existing.providerId === provider.id) {
        const c = existing ?? new MemoryCollection(name, provider.id, provider.dimensions, now);
        collections.set(name, c);
        return c;
      }
      if (existing.rows.size > 0 && (open.onProviderMismatch ?? 'refuse') === 'refuse') {
        throw providerMismatchError(name, existing.rows.size, existing.providerId, provider.id);
      }
      const records = await existing.get();
      const fresh = new MemoryCollection(name, provider.id, provider.dimensions, now);
      await fresh.upsert(await reembedRecords(records, provider));
      collections.set(name, fresh);
      return fresh;
    },
    dropCollection(name: string): Promise<void> {
      collections.delete(name);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}
