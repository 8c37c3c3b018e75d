import type { StoredRecord, VectorRecord } from './types.js';
import type { EmbeddingProvider } from '../embeddings/types.js';

/** Re-computes the embeddings of stored records with `provider`, keeping ids, documents and metadata. */
export async function reembedRecords(
  records: readonly StoredRecord[],
  provider: Pick<EmbeddingProvider, 'embed'>,
  batchSize = 256,
): Promise<VectorRecord[]> {
  const out: VectorRecord[] = [];
  for (let i = 0; i < records.length; i += batchSize) {
    const batch = records.slice(i, i + batchSize);
    const vectors = await provider.embed(batch.map((r) => r.document));
    batch.forEach((r, j) =>
      out.push({
        id: r.id,
        document: r.document,
        metadata: r.metadata,
        embedding: vectors[j] ?? [],
      }),
    );
  }
  return out;
}
