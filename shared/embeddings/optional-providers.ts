/**
 * Optional embedding providers, loaded with dynamic import so they cost
 * nothing unless selected:
 *  - `transformers`: `@huggingface/transformers` (not installed by default)
 *    with a local model folder or, where there is internet, a hub model
 *    (DistilBERT as in the paper, or MiniLM). Mean pooling, normalised.
 *  - `openai`: OpenAI-compatible `/embeddings` endpoint via `@langchain/openai`.
 * Selecting one whose package is missing gives `SliceMeshError('missing-dependency')`.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { SliceMeshError, toSliceMeshError } from '../contracts/errors.js';
import { normalizeInPlace, type EmbeddingProvider } from './types.js';

/** Imports an optional package by name; a missing package becomes a typed error with the fix. */
export async function importOptional<T>(name: string, purpose: string): Promise<T> {
  try {
    // A variable specifier keeps bundlers and the type checker from requiring the package.
    const specifier: string = name;
    return (await import(specifier)) as T;
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new SliceMeshError(
        'missing-dependency',
        `${purpose} needs the optional package ${name}, which is not installed: npm install ${name}`,
        { cause, details: { package: name } },
      );
    }
    throw toSliceMeshError(cause, 'missing-dependency');
  }
}

/** The small part of `@huggingface/transformers` this provider uses. */
interface TransformersModule {
  env: {
    localModelPath?: string;
    allowRemoteModels?: boolean;
    allowLocalModels?: boolean;
    cacheDir?: string;
  };
  pipeline(
    task: 'feature-extraction',
    model: string,
    options?: Record<string, unknown>,
  ): Promise<
    ((
      texts: string[],
      options: { pooling: 'mean'; normalize: boolean },
    ) => Promise<{ tolist(): number[][] }>) & {
      dispose?: () => Promise<void>;
    }
  >;
}

export interface TransformersProviderOptions {
  /** A hub model id (`Xenova/distilbert-base-uncased`) or a local folder with an ONNX export. */
  readonly model: string;
  /** Where downloaded hub models are cached. */
  readonly cacheDir: string;
}

export const DEFAULT_TRANSFORMERS_MODEL = 'Xenova/distilbert-base-uncased';

/** Sentence embeddings from a local or hub transformer model (mean-pooled, normalised). */
export async function createTransformersEmbeddingProvider(
  options: TransformersProviderOptions,
): Promise<EmbeddingProvider> {
  const transformers = await importOptional<TransformersModule>(
    '@huggingface/transformers',
    'the transformers embedding provider',
  );
  const localDir = resolve(options.model);
  const isLocal = existsSync(localDir) && statSync(localDir).isDirectory();
  transformers.env.cacheDir = options.cacheDir;
  let modelId = options.model;
  if (isLocal) {
    // A local folder is served as a "local model" so nothing is ever fetched.
    transformers.env.localModelPath = resolve(localDir, '..');
    transformers.env.allowLocalModels = true;
    transformers.env.allowRemoteModels = false;
    modelId = localDir.slice(resolve(localDir, '..').length + 1);
  }
  let extractor: Awaited<ReturnType<TransformersModule['pipeline']>>;
  try {
    extractor = await transformers.pipeline('feature-extraction', modelId);
  } catch (cause) {
    throw new SliceMeshError(
      isLocal ? 'config' : 'unavailable',
      `cannot load transformer model ${options.model}${isLocal ? '' : ' (no local folder of that name; the hub needs internet)'}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const run = async (texts: readonly string[]): Promise<number[][]> => {
    if (texts.length === 0) return [];
    const output = await extractor([...texts], { pooling: 'mean', normalize: true });
    return output.tolist();
  };
  const probe = await run(['dimension probe']);
  const dimensions = probe[0]?.length ?? 0;
  return {
    id: `transformers/${options.model}/mean-norm`,
    dimensions,
    embed: run,
    close: async () => {
      await extractor.dispose?.();
    },
  };
}

export interface OpenAIEmbeddingProviderOptions {
  readonly model: string;
  readonly apiKey?: string | undefined;
  readonly baseUrl?: string | undefined;
  readonly timeoutMs?: number;
  readonly maxRetries?: number;
}

export const DEFAULT_OPENAI_EMBEDDING_MODEL = 'text-embedding-3-small';

interface LangchainOpenAIModule {
  OpenAIEmbeddings: new (fields: Record<string, unknown>) => {
    embedDocuments(texts: string[]): Promise<number[][]>;
  };
}

/** Embeddings from an OpenAI-compatible `/embeddings` endpoint. */
export async function createOpenAIEmbeddingProvider(
  options: OpenAIEmbeddingProviderOptions,
): Promise<EmbeddingProvider> {
  if (options.apiKey === undefined && options.baseUrl === undefined) {
    throw new SliceMeshError(
      'config',
      'the openai embedding provider needs OPENAI_API_KEY or SLICEMESH_LLM_BASE_URL',
    );
  }
  const { OpenAIEmbeddings } = await importOptional<LangchainOpenAIModule>(
    '@langchain/openai',
    'the openai embedding provider',
  );
  const client = new OpenAIEmbeddings({
    model: options.model,
    // Local OpenAI-compatible servers accept any key; the client insists on one.
    apiKey: options.apiKey ?? 'not-needed',
    // Floats, not base64: several OpenAI-compatible servers (Ollama, llama.cpp) only speak floats.
    encodingFormat: 'float',
    timeout: options.timeoutMs ?? 15_000,
    maxRetries: options.maxRetries ?? 2,
    ...(options.baseUrl !== undefined ? { configuration: { baseURL: options.baseUrl } } : {}),
  });
  const run = async (texts: readonly string[]): Promise<number[][]> => {
    if (texts.length === 0) return [];
    try {
      const vectors = await client.embedDocuments([...texts]);
      return vectors.map((v) => normalizeInPlace([...v]) as number[]);
    } catch (cause) {
      throw new SliceMeshError(
        'unavailable',
        `embedding endpoint failed: ${(cause as Error).message}`,
        { cause },
      );
    }
  };
  const probe = await run(['dimension probe']);
  const host = options.baseUrl === undefined ? 'api.openai.com' : new URL(options.baseUrl).host;
  return {
    id: `openai/${host}/${options.model}`,
    dimensions: probe[0]?.length ?? 0,
    embed: run,
    close: () => Promise.resolve(),
  };
}
