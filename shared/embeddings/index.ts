/**
 * Embedding providers shared by the interpreter and the memory-curator.
 * `createEmbeddingProvider` picks one by kind (`SLICEMESH_EMBEDDINGS`).
 */
import { join } from 'node:path';
import { SliceMeshError } from '../contracts/errors.js';
import {
  createOpenAIEmbeddingProvider,
  createTransformersEmbeddingProvider,
  DEFAULT_OPENAI_EMBEDDING_MODEL,
  DEFAULT_TRANSFORMERS_MODEL,
} from './optional-providers.js';
import {
  EMBEDDING_PROVIDER_KINDS,
  type EmbeddingProvider,
  type EmbeddingProviderKind,
} from './types.js';
import { createWinkEmbeddingProvider } from './wink-provider.js';

export * from './types.js';
export { tokenize } from './tokenize.js';
export {
  createWinkEmbeddingProvider,
  type WinkEmbeddingProvider,
  type WinkProviderOptions,
} from './wink-provider.js';
export {
  createOpenAIEmbeddingProvider,
  createTransformersEmbeddingProvider,
  importOptional,
  DEFAULT_OPENAI_EMBEDDING_MODEL,
  DEFAULT_TRANSFORMERS_MODEL,
} from './optional-providers.js';
export {
  loadWordVectors,
  buildWordVectorFile,
  DEFAULT_PRECISION,
  DEFAULT_VOCABULARY,
} from './word-vector-cache.js';
export { VECTOR_PRECISIONS, type VectorPrecision } from './word-vector-file.js';

export interface EmbeddingProviderSpec {
  readonly kind: EmbeddingProviderKind;
  /** Data directory; caches go to `<dataDir>/embeddings`. */
  readonly dataDir: string;
  /** transformers: hub id or local folder; openai: model name. Ignored by wink. */
  readonly model?: string | undefined;
  readonly apiKey?: string | undefined;
  readonly baseUrl?: string | undefined;
  readonly onProgress?: (message: string) => void;
}

/** Creates the selected provider; optional ones throw `missing-dependency` when not installed. */
export async function createEmbeddingProvider(
  spec: EmbeddingProviderSpec,
): Promise<EmbeddingProvider> {
  const cacheDir = join(spec.dataDir, 'embeddings');
  switch (spec.kind) {
    case 'wink':
      return createWinkEmbeddingProvider({
        cacheDir,
        ...(spec.onProgress ? { onProgress: spec.onProgress } : {}),
      });
    case 'transformers':
      return createTransformersEmbeddingProvider({
        model: spec.model ?? DEFAULT_TRANSFORMERS_MODEL,
        cacheDir,
      });
    case 'openai':
      return createOpenAIEmbeddingProvider({
        model: spec.model ?? DEFAULT_OPENAI_EMBEDDING_MODEL,
        apiKey: spec.apiKey,
        baseUrl: spec.baseUrl,
      });
    default: {
      const kind: never = spec.kind;
      throw new SliceMeshError(
        'config',
        `unknown embedding provider ${String(kind)}; use ${EMBEDDING_PROVIDER_KINDS.join(', ')}`,
      );
    }
  }
}
