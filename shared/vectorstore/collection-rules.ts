/**
 * What every `VectorStore` enforces alike, so the Chroma store and the
 * in-process one cannot drift apart: vectors of the collection's dimension
 * only, provider and timestamps stamped on every write, and no silent mixing
 * of two embedding providers' vectors.
 */
import { SliceMeshError } from '../contracts/errors.js';
import { META, type RecordMetadata, type VectorRecord } from './types.js';

/** The error for the first record whose embedding does not fit the collection, if any. */
export function recordDimensionError(
  records: readonly VectorRecord[],
  collection: { readonly name: string; readonly dimensions: number },
): SliceMeshError | undefined {
  const bad = records.find((r) => r.embedding.length !== collection.dimensions);
  if (bad === undefined) return undefined;
  return new SliceMeshError(
    'config',
    `record ${bad.id}: embedding has ${bad.embedding.length} dimensions, collection ${collection.name} holds ${collection.dimensions}`,
  );
}

/** The error for the first query embedding that does not fit the collection, if any. */
export function queryDimensionError(
  embeddings: readonly (readonly number[])[],
  collection: { readonly name: string; readonly dimensions: number },
): SliceMeshError | undefined {
  const bad = embeddings.find((e) => e.length !== collection.dimensions);
  if (bad === undefined) return undefined;
  return new SliceMeshError(
    'config',
    `query has ${bad.length} dimensions, ${collection.name} holds ${collection.dimensions}`,
  );
}

/** A record's metadata as stored: its own keys, the provider, first-write and latest-write times. */
export function stampedMetadata(
  record: VectorRecord,
  providerId: string,
  now: number,
): RecordMetadata {
  return {
    ...record.metadata,
    [META.provider]: providerId,
    [META.createdAt]: record.metadata?.[META.createdAt] ?? now,
    [META.updatedAt]: now,
  };
}

/** Refusal to open a collection holding `count` vectors of another provider without re-embedding. */
export function providerMismatchError(
  name: string,
  count: number,
  /** The provider id recorded on the collection (as read back from the store). */
  stored: unknown,
  requested: string,
): SliceMeshError {
  return new SliceMeshError(
    'config',
    `collection ${name} holds ${count} vectors from embedding provider ${String(stored)}, ` +
      `but this process embeds with ${requested}; re-embed it (onProviderMismatch: 'reembed') or use another collection`,
    { details: { collection: name, stored, requested } },
  );
}
