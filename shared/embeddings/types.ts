/**
 * An embedding provider turns texts into unit-length vectors of a fixed
 * dimension. Its `id` names the vector space: two vectors are only
 * comparable when they come from providers with the same id, so every stored
 * vector records it (see shared/vectorstore).
 */
export interface EmbeddingProvider {
  /** Names the vector space, including every parameter that changes vectors. */
  readonly id: string;
  readonly dimensions: number;
  /** One unit-length vector per text, in order. Empty text gives the zero vector. */
  embed(texts: readonly string[]): Promise<number[][]>;
  /** Releases models, workers or sockets. */
  close(): Promise<void>;
}

/** The provider families selectable through `SLICEMESH_EMBEDDINGS`. */
export const EMBEDDING_PROVIDER_KINDS = ['wink', 'transformers', 'openai'] as const;
export type EmbeddingProviderKind = (typeof EMBEDDING_PROVIDER_KINDS)[number];

/** Scales `v` to unit length in place (the zero vector stays zero); returns it. */
export function normalizeInPlace(v: Float32Array | number[]): typeof v {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] ?? 0) ** 2;
  if (sum > 0) {
    const inv = 1 / Math.sqrt(sum);
    for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) * inv;
  }
  return v;
}

/** Cosine similarity of two vectors of equal length (0 when either is zero). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
