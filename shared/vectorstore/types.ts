/**
 * A small vector-store abstraction over Chroma: named collections of
 * ⟨id, embedding, document, metadata⟩ whose embeddings are computed by the
 * project (never by Chroma) and always belong to one embedding provider.
 */
import type { EmbeddingProvider } from '../embeddings/types.js';

export type MetadataValue = string | number | boolean;
export type RecordMetadata = Record<string, MetadataValue>;

/** Metadata keys the store maintains on every record. */
export const META = {
  /** Id of the embedding provider that produced the record's vector. */
  provider: 'provider',
  /** Epoch ms of the first write of this id (kept on later upserts when given). */
  createdAt: 'createdAt',
  /** Epoch ms of the latest write. */
  updatedAt: 'updatedAt',
} as const;

export interface VectorRecord {
  readonly id: string;
  readonly embedding: readonly number[];
  /** The text the embedding was computed from (kept so a provider switch can re-embed). */
  readonly document: string;
  readonly metadata?: RecordMetadata;
}

export interface StoredRecord {
  readonly id: string;
  readonly document: string;
  readonly metadata: RecordMetadata;
}

export interface VectorHit extends StoredRecord {
  /** Cosine similarity in [-1, 1] (1 − cosine distance). */
  readonly similarity: number;
}

/** Equality filter on metadata keys (all must match). */
export type MetadataFilter = Record<string, MetadataValue>;

export interface VectorCollection {
  readonly name: string;
  /** The embedding provider id all vectors in this collection come from. */
  readonly providerId: string;
  readonly dimensions: number;
  /** Inserts or replaces records; stamps provider and timestamps. */
  upsert(records: readonly VectorRecord[]): Promise<void>;
  /** The `k` nearest records by cosine similarity, best first. */
  query(embedding: readonly number[], k: number, filter?: MetadataFilter): Promise<VectorHit[]>;
  /**
   * `query` for several embeddings in one round trip: element i holds the
   * hits of `embeddings[i]`, exactly as `query(embeddings[i], k, filter)`.
   */
  queryMany(
    embeddings: readonly (readonly number[])[],
    k: number,
    filter?: MetadataFilter,
  ): Promise<VectorHit[][]>;
  /** Records by id (missing ids are skipped) or, without ids, all records (paged internally). */
  get(ids?: readonly string[], filter?: MetadataFilter): Promise<StoredRecord[]>;
  delete(ids: readonly string[]): Promise<void>;
  count(): Promise<number>;
}

/** What to do when a collection was written by a different embedding provider. */
export type ProviderMismatchPolicy = 'refuse' | 'reembed';

export interface OpenCollectionOptions {
  readonly provider: Pick<EmbeddingProvider, 'id' | 'dimensions' | 'embed'>;
  /** Default `refuse`: mixing vector spaces silently would make every similarity meaningless. */
  readonly onProviderMismatch?: ProviderMismatchPolicy;
}

export interface VectorStore {
  /** Where the store lives (a URL, or `memory:`). */
  readonly location: string;
  /** Opens or creates a collection bound to one embedding provider. */
  collection(name: string, options: OpenCollectionOptions): Promise<VectorCollection>;
  /** Deletes a collection if it exists. */
  dropCollection(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Collection names of one mesh namespace (shared by the interpreter and the memory-curator). */
export function collectionNames(namespace: string): {
  readonly knowledge: string;
  readonly memory: string;
} {
  return { knowledge: `${namespace}-knowledge`, memory: `${namespace}-memory` };
}
