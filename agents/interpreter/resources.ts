/**
 * Wiring from configuration to the interpreter's parts: the embedding
 * provider, the vector store (CHROMA_URL, a running mesh's Chroma, an embedded
 * one, or the in-process index) and the reasoner. Used by the agent entry, the
 * CLI and the in-process API, so all three behave the same.
 */
import { fileURLToPath } from 'node:url';
import type { SliceMeshConfig } from '../../shared/runtime/config.js';
import { readMeshFile } from '../../shared/runtime/embedded/services.js';
import { startChromaServer, type ChromaServer } from '../../shared/runtime/embedded/chroma.js';
import { createEmbeddingProvider } from '../../shared/embeddings/index.js';
import type { EmbeddingProvider, EmbeddingProviderKind } from '../../shared/embeddings/types.js';
import { connectChromaStore } from '../../shared/vectorstore/chroma-store.js';
import { createMemoryVectorStore } from '../../shared/vectorstore/memory-store.js';
import type { VectorStore } from '../../shared/vectorstore/types.js';
import { createReasoner, type ReasonerKind } from './reasoners/index.js';
import type { OpenAIReasonerOptions } from './reasoners/openai.js';
import type { Reasoner } from './types.js';

/** The labelled knowledge base shipped with the project. */
export const DEFAULT_KNOWLEDGE_PATH = fileURLToPath(
  new URL('../../scenarios/knowledge/intents.jsonl', import.meta.url),
);

export interface InterpreterResourceOptions {
  /** Where caches and embedded servers keep data (SLICEMESH_DATA_DIR). */
  readonly dataDir: string;
  /**
   * `chroma`: CHROMA_URL, else the Chroma of a mesh running from `dataDir`,
   * else an embedded Chroma started here. `memory`: an in-process index (batch use).
   */
  readonly index?: 'chroma' | 'memory';
  readonly chromaUrl?: string | undefined;
  readonly embeddings?: EmbeddingProviderKind;
  /** Model of the transformers/openai embedding provider. */
  readonly embeddingModel?: string | undefined;
  readonly reasoner?: ReasonerKind;
  readonly llm?: Omit<OpenAIReasonerOptions, 'model'> & { model?: string | undefined };
  readonly now?: () => number;
  /** Progress lines (cache build, embedded server start), e.g. to stderr. */
  readonly onProgress?: (message: string) => void;
}

export interface InterpreterResources {
  readonly provider: EmbeddingProvider;
  readonly store: VectorStore;
  readonly reasoner: Reasoner;
  /** The embedded Chroma started for this process, if any. */
  readonly chroma: ChromaServer | undefined;
  close(): Promise<void>;
}

/** Resource options from the mesh configuration (env), with explicit overrides. */
export function resourceOptionsFromConfig(
  config: SliceMeshConfig,
  overrides: Partial<InterpreterResourceOptions> = {},
): InterpreterResourceOptions {
  return {
    dataDir: config.mesh.dataDir,
    chromaUrl: config.chroma.url,
    embeddings: config.embeddings.provider,
    reasoner: config.llm.reasoner,
    llm: { model: config.llm.model, apiKey: config.llm.apiKey, baseUrl: config.llm.baseUrl },
    ...overrides,
  };
}

/** Opens provider, store and reasoner; `close()` releases all of them (and stops an embedded Chroma). */
export async function openInterpreterResources(
  options: InterpreterResourceOptions,
): Promise<InterpreterResources> {
  const progress = options.onProgress;
  const cleanups: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const fn of cleanups.reverse()) await fn();
  };
  try {
    const provider = await createEmbeddingProvider({
      kind: options.embeddings ?? 'wink',
      dataDir: options.dataDir,
      model: options.embeddingModel,
      apiKey: options.llm?.apiKey,
      baseUrl: options.llm?.baseUrl,
      ...(progress ? { onProgress: progress } : {}),
    });
    cleanups.push(() => provider.close());

    const reasoner = await createReasoner(options.reasoner ?? 'offline', {
      ...options.llm,
      model: options.llm?.model,
    });

    let store: VectorStore;
    let chroma: ChromaServer | undefined;
    if ((options.index ?? 'chroma') === 'memory') {
      store = createMemoryVectorStore(options.now ? { now: options.now } : {});
    } else {
      let url = options.chromaUrl ?? readMeshFile(options.dataDir)?.chromaUrl ?? undefined;
      if (url === undefined) {
        progress?.(`starting embedded Chroma under ${options.dataDir}/chroma…`);
        chroma = await startChromaServer({ dataDir: options.dataDir });
        const started = chroma;
        cleanups.push(() => started.stop());
        url = chroma.url;
      }
      store = await connectChromaStore({ url, ...(options.now ? { now: options.now } : {}) });
    }
    cleanups.push(() => store.close());
    return { provider, store, reasoner, chroma, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
