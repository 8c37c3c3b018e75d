/**
 * The memory-curator agent: listens to slice outcomes (plain pub/sub from the
 * slice-manager, queue group `memory-curator`) and hands each to the curator,
 * inside the slice's trace. It writes the Chroma collection the interpreter
 * retrieves from (`<namespace>-memory`), with the same embedding provider.
 *
 * Run one instance per namespace: merges are read-modify-write on Chroma, and
 * one curator applies them in order.
 */
import type { Subscription } from '../../shared/bus/types.js';
import { isSliceMeshError, SliceMeshError } from '../../shared/contracts/errors.js';
import { SliceOutcome } from '../../shared/contracts/messages.js';
import { createEmbeddingProvider } from '../../shared/embeddings/index.js';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import {
  createAgentHandle,
  type AgentDeps,
  type AgentHandle,
  extendAgentHandle,
} from '../../shared/runtime/agent.js';
import type { SliceMeshConfig } from '../../shared/runtime/config.js';
import { readMeshFile } from '../../shared/runtime/embedded/services.js';
import { connectChromaStore } from '../../shared/vectorstore/chroma-store.js';
import {
  collectionNames,
  type ProviderMismatchPolicy,
  type VectorStore,
} from '../../shared/vectorstore/types.js';
import {
  createMemoryCurator,
  DEFAULT_MEMORY_OPTIONS,
  EMPTY_MEMORY_STATS,
  type MemoryCurator,
  type MemoryCuratorOptions,
  type MemoryStats,
} from './curator.js';

export const MEMORY_CURATOR_ROLE = 'memory-curator';

export interface MemoryCuratorConfig extends MemoryCuratorOptions {
  /** What to do with a memory bank written by another embedding provider (default `refuse`, like the interpreter). */
  readonly onProviderMismatch?: ProviderMismatchPolicy;
  /** Attempts per outcome while Chroma is unavailable (default 5). */
  readonly attempts?: number;
  /** First retry delay, doubled per attempt (default 200 ms). */
  readonly retryDelayMs?: number;
}

/** The agent's dependencies; provider and store default to the ones the configuration names. */
export interface MemoryCuratorAgentDeps extends AgentDeps {
  /** Must be the interpreter's provider (same id), or the vectors are not comparable. */
  readonly provider?: EmbeddingProvider;
  readonly store?: VectorStore;
}

export type MemoryCuratorAgent = AgentHandle & {
  /** Counters since start (all zero before). */
  stats(): MemoryStats;
  /** Name of the memory-bank collection. */
  readonly collection: string;
};

/** The agent's settings from the environment configuration. */
export function memoryCuratorConfigFrom(config: SliceMeshConfig): MemoryCuratorConfig {
  return {
    ...DEFAULT_MEMORY_OPTIONS,
    maxEntries: config.memory.maxEntries,
    mergeSimilarity: config.memory.mergeSimilarity,
  };
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Creates the memory-curator agent; nothing happens until `start()`. */
export function createMemoryCuratorAgent(
  deps: MemoryCuratorAgentDeps,
  config: MemoryCuratorConfig = memoryCuratorConfigFrom(deps.config),
): MemoryCuratorAgent {
  const { bus, logger } = deps;
  const collection = collectionNames(bus.namespace).memory;
  const attempts = Math.max(1, config.attempts ?? 5);
  const retryDelayMs = Math.max(0, config.retryDelayMs ?? 200);
  let curator: MemoryCurator | undefined;
  let subscription: Subscription | undefined;
  const owned: { close(): Promise<void> }[] = [];

  async function openStore(): Promise<VectorStore> {
    if (deps.store) return deps.store;
    const url = deps.config.chroma.url ?? readMeshFile(deps.config.mesh.dataDir)?.chromaUrl;
    if (!url) {
      throw new SliceMeshError(
        'config',
        'the memory-curator needs Chroma: set CHROMA_URL or start the mesh with `slicemesh up`',
      );
    }
    const store = await connectChromaStore({ url, now: () => deps.clock.now() });
    owned.push(store);
    return store;
  }

  async function openProvider(): Promise<EmbeddingProvider> {
    if (deps.provider) return deps.provider;
    const provider = await createEmbeddingProvider({
      kind: deps.config.embeddings.provider,
      dataDir: deps.config.mesh.dataDir,
      apiKey: deps.config.llm.apiKey,
      baseUrl: deps.config.llm.baseUrl,
      onProgress: (message) => logger.info(message),
    });
    owned.push(provider);
    return provider;
  }

  const handle = createAgentHandle(deps, {
    async start(control) {
      const provider = await openProvider();
      const store = await openStore();
      const memory = await store.collection(collection, {
        provider,
        onProviderMismatch: config.onProviderMismatch ?? 'refuse',
      });
      const ready = createMemoryCurator(
        { collection: memory, provider, now: () => deps.clock.now(), tracer: deps.tracer, logger },
        config,
      );
      curator = ready;
      subscription = bus.subscribe(
        bus.subjects.sliceOutcomesAll(),
        SliceOutcome,
        async (outcome, ctx) => {
          for (let attempt = 1; ; attempt++) {
            try {
              const result = await ready.curate(outcome, ctx.context);
              logger.debug('outcome remembered', {
                sliceId: outcome.sliceId,
                action: result.action,
                entryId: result.entryId,
              });
              return;
            } catch (error) {
              const retry =
                isSliceMeshError(error) &&
                error.retryable &&
                attempt < attempts &&
                !control.signal.aborted;
              if (!retry) {
                ready.recordFailure();
                logger.error('slice outcome not remembered', {
                  sliceId: outcome.sliceId,
                  attempts: attempt,
                  error,
                });
                throw error;
              }
              await abortableDelay(retryDelayMs * 2 ** (attempt - 1), control.signal);
            }
          }
        },
        { queue: bus.subjects.queueGroup(MEMORY_CURATOR_ROLE) },
      );
      logger.info('memory-curator listening', {
        subject: bus.subjects.sliceOutcomesAll(),
        collection,
        store: store.location,
        maxEntries: config.maxEntries,
        mergeSimilarity: config.mergeSimilarity,
      });
    },
    async stop() {
      await subscription?.stop();
      subscription = undefined;
      for (const resource of owned.splice(0).reverse()) await resource.close();
    },
  });

  return extendAgentHandle(handle, {
    stats: () => curator?.stats() ?? EMPTY_MEMORY_STATS,
    collection,
  });
}
