/**
 * The memory-curator agent: listens to slice outcomes (plain pub/sub from the
 * slice-manager, queue group `memory-curator`) and hands each to the curator,
 * inside the slice's trace. It writes the Chroma collection the interpreter
 * retrieves from (`<namespace>-memory`), with the same embedding provider.
 * Outcomes that cannot be written while Chroma is down wait in a bounded
 * queue and are written when it is back (pending.ts).
 *
 * Run one instance per namespace: merges are read-modify-write on Chroma, and
 * one curator applies them in order.
 */
import type { Context } from '@opentelemetry/api';
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
import { createPendingQueue, DEFAULT_PENDING_OPTIONS, type PendingQueue } from './pending.js';

export const MEMORY_CURATOR_ROLE = 'memory-curator';

/** Slice ids named in one log line about outcomes given up together. */
const LOGGED_IDS = 20;

export interface MemoryCuratorConfig extends MemoryCuratorOptions {
  /** What to do with a memory bank written by another embedding provider (default `refuse`, like the interpreter). */
  readonly onProviderMismatch?: ProviderMismatchPolicy;
  /** Most outcomes held while Chroma is unavailable; beyond it the oldest is given up (default 10 000). */
  readonly maxPending?: number;
  /** First retry delay while Chroma is unavailable, doubled per failed retry (default 200 ms)… */
  readonly retryDelayMs?: number;
  /** …up to this (default 5 000 ms). */
  readonly maxRetryDelayMs?: number;
}

/** The curator's counters, plus the outcomes waiting for Chroma. */
export interface MemoryAgentStats extends MemoryStats {
  readonly pending: number;
}

/** The agent's dependencies; provider and store default to the ones the configuration names. */
export interface MemoryCuratorAgentDeps extends AgentDeps {
  /** Must be the interpreter's provider (same id), or the vectors are not comparable. */
  readonly provider?: EmbeddingProvider;
  readonly store?: VectorStore;
}

export type MemoryCuratorAgent = AgentHandle & {
  /** Counters since start (all zero before). */
  stats(): MemoryAgentStats;
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

/** Creates the memory-curator agent; nothing happens until `start()`. */
export function createMemoryCuratorAgent(
  deps: MemoryCuratorAgentDeps,
  config: MemoryCuratorConfig = memoryCuratorConfigFrom(deps.config),
): MemoryCuratorAgent {
  const { bus, logger } = deps;
  const collection = collectionNames(bus.namespace).memory;
  let curator: MemoryCurator | undefined;
  let subscription: Subscription | undefined;
  let pending: PendingQueue<{ outcome: SliceOutcome; context: Context }> | undefined;
  const owned: { close(): Promise<void> }[] = [];
  const given = { overflow: 0, stopped: 0 };
  const stoppedIds: string[] = [];

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
    async start() {
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
      const pendingOptions = {
        ...DEFAULT_PENDING_OPTIONS,
        ...(config.maxPending !== undefined ? { maxPending: config.maxPending } : {}),
        ...(config.retryDelayMs !== undefined ? { retryDelayMs: config.retryDelayMs } : {}),
        ...(config.maxRetryDelayMs !== undefined
          ? { maxRetryDelayMs: config.maxRetryDelayMs }
          : {}),
      };
      const queue = createPendingQueue<{ outcome: SliceOutcome; context: Context }>(
        {
          attempt: async ({ outcome, context }) => {
            const result = await ready.curate(outcome, context);
            logger.debug('outcome remembered', {
              sliceId: outcome.sliceId,
              action: result.action,
              entryId: result.entryId,
            });
          },
          retryable: (error) => isSliceMeshError(error) && error.retryable,
          onGiveUp: ({ outcome }, reason, error) => {
            ready.recordFailure();
            if (reason === 'failed') {
              logger.error('slice outcome not remembered', { sliceId: outcome.sliceId, error });
              return;
            }
            // A long outage can give up many: one line for the first, then every 100th.
            const lost = (given[reason] += 1);
            if (reason === 'stopped') {
              if (stoppedIds.length < LOGGED_IDS) stoppedIds.push(outcome.sliceId);
            } else if (lost === 1 || lost % 100 === 0) {
              logger.error(
                'slice outcome not remembered: too many outcomes wait for Chroma (maxPending); the oldest are given up',
                {
                  sliceId: outcome.sliceId,
                  givenUp: lost,
                  maxPending: pendingOptions.maxPending,
                  error,
                },
              );
            }
          },
          onWaiting: (error) =>
            logger.warn('Chroma unavailable: slice outcomes wait until it is back', { error }),
          onRecovered: (written) =>
            logger.info('Chroma is back: the waiting slice outcomes are remembered', { written }),
        },
        pendingOptions,
      );
      pending = queue;
      subscription = bus.subscribe(
        bus.subjects.sliceOutcomesAll(),
        SliceOutcome,
        (outcome, ctx) => queue.submit({ outcome, context: ctx.context }),
        { queue: bus.subjects.queueGroup(MEMORY_CURATOR_ROLE) },
      );
      logger.info('memory-curator listening', {
        subject: bus.subjects.sliceOutcomesAll(),
        collection,
        store: store.location,
        maxEntries: config.maxEntries,
        mergeSimilarity: config.mergeSimilarity,
        maxPending: pendingOptions.maxPending,
      });
    },
    async stop() {
      await subscription?.stop();
      subscription = undefined;
      // What still waits for Chroma gets one last try; the rest is reported as lost.
      await pending?.close();
      if (given.stopped > 0)
        logger.error('slice outcomes not remembered: stopped while they waited for Chroma', {
          count: given.stopped,
          sliceIds: stoppedIds,
        });
      for (const resource of owned.splice(0).reverse()) await resource.close();
    },
  });

  return extendAgentHandle(handle, {
    stats: () => ({ ...(curator?.stats() ?? EMPTY_MEMORY_STATS), pending: pending?.size ?? 0 }),
    collection,
  });
}
