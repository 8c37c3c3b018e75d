/**
 * `VectorStore` on a Chroma server (v3 JS client, explicit embeddings).
 *
 * Each collection records the embedding provider id and dimension in its
 * metadata. Opening it with another provider is refused by default, or, with
 * `onProviderMismatch: 'reembed'`, the stored documents are re-embedded into
 * a fresh collection of the same name — vector spaces are never mixed.
 */
import { ChromaClient, type Collection, type Metadata, type Where } from 'chromadb';
import { SliceMeshError } from '../contracts/errors.js';
import {
  providerMismatchError,
  queryDimensionError,
  recordDimensionError,
  stampedMetadata,
} from './collection-rules.js';
import { reembedRecords } from './reembed.js';
import {
  META,
  type MetadataFilter,
  type OpenCollectionOptions,
  type RecordMetadata,
  type StoredRecord,
  type VectorCollection,
  type VectorHit,
  type VectorRecord,
  type VectorStore,
} from './types.js';

export interface ChromaStoreOptions {
  /** e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  /** Epoch-ms clock used for record timestamps (injected for tests and replays). */
  readonly now?: () => number;
}

const WRITE_BATCH = 500;
const READ_PAGE = 1_000;
/**
 * The local Chroma server (1.0.x) briefly fails to open the HNSW reader of a
 * small collection right after a write from another client ("Error creating
 * hnsw segment reader: Nothing found on disk"); the same query succeeds a
 * moment later. Such failures are retried with a short backoff.
 */
const HNSW_READER_FAILURE = /hnsw segment reader|Nothing found on disk/i;
const READER_RETRY_DELAYS_MS = [20, 50, 100, 200, 400, 800];

async function retryTransientReaderFailure<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await operation();
    } catch (cause) {
      const delay = READER_RETRY_DELAYS_MS[attempt];
      const message = cause instanceof Error ? cause.message : String(cause);
      if (delay === undefined || !HNSW_READER_FAILURE.test(message)) throw cause;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Maps client errors to the mesh's error model: unreachable → `unavailable` (retryable). */
function chromaError(action: string, cause: unknown): SliceMeshError {
  const name = (cause as { name?: unknown }).name;
  const message = cause instanceof Error ? cause.message : String(cause);
  const unreachable =
    name === 'ChromaConnectionError' ||
    /ECONNREFUSED|fetch failed|ECONNRESET|socket/i.test(message);
  return new SliceMeshError(
    unreachable ? 'unavailable' : 'internal',
    `Chroma ${action} failed: ${message}`,
    {
      cause,
    },
  );
}

function toWhere(filter: MetadataFilter | undefined): Where | undefined {
  if (filter === undefined) return undefined;
  const clauses = Object.entries(filter).map(([k, v]) => ({ [k]: v }) as Where);
  if (clauses.length === 0) return undefined;
  return clauses.length === 1 ? clauses[0] : { $and: clauses };
}

function cleanMetadata(meta: Metadata | null | undefined): RecordMetadata {
  const out: RecordMetadata = {};
  if (!meta) return out;
  for (const [k, v] of Object.entries(meta)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

class ChromaCollection implements VectorCollection {
  readonly name: string;
  readonly providerId: string;
  readonly dimensions: number;
  readonly #collection: Collection;
  readonly #now: () => number;

  constructor(collection: Collection, providerId: string, dimensions: number, now: () => number) {
    this.#collection = collection;
    this.name = collection.name;
    this.providerId = providerId;
    this.dimensions = dimensions;
    this.#now = now;
  }

  async upsert(records: readonly VectorRecord[]): Promise<void> {
    const error = recordDimensionError(records, this);
    if (error) throw error;
    const now = this.#now();
    for (let i = 0; i < records.length; i += WRITE_BATCH) {
      const batch = records.slice(i, i + WRITE_BATCH);
      try {
        await this.#collection.upsert({
          ids: batch.map((r) => r.id),
          embeddings: batch.map((r) => [...r.embedding]),
          documents: batch.map((r) => r.document),
          metadatas: batch.map((r) => stampedMetadata(r, this.providerId, now)),
        });
      } catch (cause) {
        throw chromaError(`upsert into ${this.name}`, cause);
      }
    }
  }

  async query(
    embedding: readonly number[],
    k: number,
    filter?: MetadataFilter,
  ): Promise<VectorHit[]> {
    const [hits] = await this.queryMany([embedding], k, filter);
    return hits ?? [];
  }

  async queryMany(
    embeddings: readonly (readonly number[])[],
    k: number,
    filter?: MetadataFilter,
  ): Promise<VectorHit[][]> {
    if (k <= 0 || embeddings.length === 0) return embeddings.map(() => []);
    const error = queryDimensionError(embeddings, this);
    if (error) throw error;
    const where = toWhere(filter);
    const run = () =>
      this.#collection.query({
        queryEmbeddings: embeddings.map((e) => [...e]),
        nResults: k,
        include: ['documents', 'metadatas', 'distances'],
        ...(where ? { where } : {}),
      });
    let result;
    try {
      result = await retryTransientReaderFailure(run);
    } catch (cause) {
      throw chromaError(`query of ${this.name}`, cause);
    }
    return embeddings.map((_, q) => {
      const ids = result.ids[q] ?? [];
      const documents = result.documents[q];
      const metadatas = result.metadatas[q];
      const distances = result.distances[q];
      return ids.map((id, i) => ({
        id,
        document: documents?.[i] ?? '',
        metadata: cleanMetadata(metadatas?.[i]),
        similarity: 1 - (distances?.[i] ?? 1),
      }));
    });
  }

  async get(ids?: readonly string[], filter?: MetadataFilter): Promise<StoredRecord[]> {
    const where = toWhere(filter);
    const out: StoredRecord[] = [];
    try {
      if (ids !== undefined) {
        if (ids.length === 0) return [];
        const r = await this.#collection.get({
          ids: [...ids],
          include: ['documents', 'metadatas'],
          ...(where ? { where } : {}),
        });
        r.ids.forEach((id, i) =>
          out.push({ id, document: r.documents[i] ?? '', metadata: cleanMetadata(r.metadatas[i]) }),
        );
        return out;
      }
      for (let offset = 0; ; offset += READ_PAGE) {
        const r = await this.#collection.get({
          limit: READ_PAGE,
          offset,
          include: ['documents', 'metadatas'],
          ...(where ? { where } : {}),
        });
        r.ids.forEach((id, i) =>
          out.push({ id, document: r.documents[i] ?? '', metadata: cleanMetadata(r.metadatas[i]) }),
        );
        if (r.ids.length < READ_PAGE) return out;
      }
    } catch (cause) {
      throw chromaError(`read of ${this.name}`, cause);
    }
  }

  async delete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await this.#collection.delete({ ids: [...ids] });
    } catch (cause) {
      throw chromaError(`delete from ${this.name}`, cause);
    }
  }

  async count(): Promise<number> {
    try {
      return await this.#collection.count();
    } catch (cause) {
      throw chromaError(`count of ${this.name}`, cause);
    }
  }
}

/** Parses `http(s)://host:port` into the client's arguments. */
function clientArgs(url: string): { host: string; port: number; ssl: boolean } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new SliceMeshError('config', `CHROMA_URL ${JSON.stringify(url)} is not a URL`, { cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new SliceMeshError('config', `CHROMA_URL must be http(s), got ${parsed.protocol}`);
  }
  const ssl = parsed.protocol === 'https:';
  return { host: parsed.hostname, port: parsed.port ? Number(parsed.port) : ssl ? 443 : 80, ssl };
}

/** Connects to a Chroma server and checks it answers; `unavailable` when it does not. */
export async function connectChromaStore(options: ChromaStoreOptions): Promise<VectorStore> {
  const client = new ChromaClient(clientArgs(options.url));
  const now = options.now ?? Date.now;
  try {
    await client.heartbeat();
  } catch (cause) {
    throw new SliceMeshError(
      'unavailable',
      `Chroma at ${options.url} is not reachable: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }

  const create = async (
    name: string,
    providerId: string,
    dimensions: number,
  ): Promise<Collection> =>
    client.getOrCreateCollection({
      name,
      embeddingFunction: null,
      configuration: { hnsw: { space: 'cosine' } },
      metadata: { [META.provider]: providerId, dimensions, createdBy: 'slicemesh' },
    });

  return {
    location: options.url,
    async collection(name: string, open: OpenCollectionOptions): Promise<VectorCollection> {
      const { provider } = open;
      try {
        let collection = await create(name, provider.id, provider.dimensions);
        const storedProvider = collection.metadata?.[META.provider];
        if (storedProvider !== provider.id) {
          const wrapped = new ChromaCollection(
            collection,
            String(storedProvider),
            Number(collection.metadata?.dimensions),
            now,
          );
          const count = await wrapped.count();
          if (count > 0 && (open.onProviderMismatch ?? 'refuse') === 'refuse') {
            throw providerMismatchError(name, count, storedProvider, provider.id);
          }
          const records = count > 0 ? await wrapped.get() : [];
          const reembedded = await reembedRecords(records, provider);
          await client.deleteCollection({ name });
          collection = await create(name, provider.id, provider.dimensions);
          const fresh = new ChromaCollection(collection, provider.id, provider.dimensions, now);
          await fresh.upsert(reembedded);
          return fresh;
        }
        return new ChromaCollection(collection, provider.id, provider.dimensions, now);
      } catch (cause) {
        if (cause instanceof SliceMeshError) throw cause;
        throw chromaError(`open of collection ${name}`, cause);
      }
    },
    async dropCollection(name: string): Promise<void> {
      try {
        await client.deleteCollection({ name });
      } catch (cause) {
        if ((cause as { name?: unknown }).name === 'ChromaNotFoundError') return;
        throw chromaError(`delete of collection ${name}`, cause);
      }
    },
    close: () => Promise.resolve(),
  };
}
