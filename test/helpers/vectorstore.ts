/**
 * The provider-switch rule every `VectorStore` must keep, checked the same way
 * on the in-process store and on a real Chroma:
 *
 *   const switched = await expectProviderSwitch(store, 'kb', p1, p2, record);
 */
import { expect } from 'vitest';
import { isSliceMeshError } from '../../shared/contracts/errors.js';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import {
  META,
  type VectorCollection,
  type VectorRecord,
  type VectorStore,
} from '../../shared/vectorstore/index.js';

/**
 * Writes `record` (which must carry a `createdAt`) with `first`, expects
 * opening with `second` to be refused, then re-embedded on request with the
 * record's id, document and first-write time kept. Returns the re-embedded collection.
 */
export async function expectProviderSwitch(
  store: VectorStore,
  name: string,
  first: EmbeddingProvider,
  second: EmbeddingProvider,
  record: VectorRecord,
): Promise<VectorCollection> {
  const original = await store.collection(name, { provider: first });
  await original.upsert([record]);
  try {
    await store.collection(name, { provider: second });
    expect.unreachable();
  } catch (error) {
    expect(isSliceMeshError(error) && error.code).toBe('config');
  }
  const switched = await store.collection(name, {
    provider: second,
    onProviderMismatch: 'reembed',
  });
  expect(switched.providerId).toBe(second.id);
  expect(switched.dimensions).toBe(second.dimensions);
  const [stored] = await switched.get([record.id]);
  expect(stored).toMatchObject({
    document: record.document,
    metadata: {
      [META.provider]: second.id,
      [META.createdAt]: record.metadata?.[META.createdAt],
    },
  });
  return switched;
}
