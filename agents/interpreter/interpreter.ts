/**
 * The transport-agnostic interpreter: opens the knowledge and memory
 * collections for one embedding provider, bootstraps the knowledge base
 * idempotently, builds the in-process index of it that serves the knowledge
 * retrieval, and runs requests through the graph. The NATS agent and the
 * in-process API are thin shells around it.
 */
import { trace, type Tracer } from '@opentelemetry/api';
import type { SlaClasses } from '../../shared/contracts/common.js';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import type { Logger } from '../../shared/runtime/logger.js';
import { coalesceQueries } from '../../shared/vectorstore/coalesce.js';
import {
  collectionNames,
  type ProviderMismatchPolicy,
  type VectorStore,
} from '../../shared/vectorstore/types.js';
import {
  buildInterpreterGraph,
  runInterpreterGraph,
  type InterpreterGraphOptions,
} from './graph.js';
import {
  bootstrapKnowledge,
  loadKnowledgeFile,
  type BootstrapResult,
  type KnowledgeLine,
} from './knowledge.js';
import {
  DEFAULT_INDEX_SERVING,
  openKnowledgeIndex,
  servedFromIndex,
  type KnowledgeIndex,
} from './knowledge-index.js';
import {
  DEFAULT_GUARD_OPTIONS,
  guardSource,
  type GuardHooks,
  type GuardOptions,
} from './sources.js';
import type { Interpretation, Reasoner } from './types.js';

export interface InterpreterDeps {
  readonly provider: EmbeddingProvider;
  readonly store: VectorStore;
  readonly reasoner: Reasoner;
  readonly tracer?: Tracer;
  /** Epoch-ms clock; default `Date.now`. */
  readonly now?: () => number;
  /** Says when Chroma stops answering and when it is back. */
  readonly logger?: Logger;
  /** Monotonic clock of the store guard and the index refresh (default `performance.now`); tests step it. */
  readonly guardClock?: () => number;
}

export interface InterpreterOptions extends InterpreterGraphOptions {
  /** Collection names are `<namespace>-knowledge` and `<namespace>-memory`. */
  readonly namespace: string;
  /** Knowledge-base file to bootstrap from, or the parsed lines; omit to use the collection as it is. */
  readonly knowledge?: string | readonly KnowledgeLine[];
  /** What to do with a memory bank written by another embedding provider (knowledge is always re-embedded from its file). */
  readonly onMemoryProviderMismatch?: ProviderMismatchPolicy;
  /** How long a store query may take and how long a failed store is skipped (see sources.ts). */
  readonly guard?: Partial<GuardOptions>;
  /**
   * Where the knowledge neighbours come from: `index` (default), the in-process
   * index on every request; `store`, a Chroma query per request, with the index
   * answering only when Chroma does not.
   */
  readonly knowledgeFrom?: 'index' | 'store';
  /**
   * How often the index re-reads the knowledge collection to follow a changed
   * content (ms, default 10 000; with `knowledgeFrom: 'index'`).
   */
  readonly knowledgeRefreshMs?: number;
}

export interface InterpretRequest {
  readonly text: string;
  readonly sla?: SlaClasses | undefined;
  readonly sliceId?: string | undefined;
}

export interface Interpreter {
  readonly reasoner: string;
  readonly providerId: string;
  readonly bootstrap: BootstrapResult | undefined;
  /** The in-process index of the knowledge collection. */
  readonly knowledgeIndex: KnowledgeIndex;
  interpret(request: InterpretRequest, signal?: AbortSignal): Promise<Interpretation>;
}

/** Opens the collections, bootstraps the knowledge base and compiles the graph. */
export async function createInterpreter(
  deps: InterpreterDeps,
  options: InterpreterOptions,
): Promise<Interpreter> {
  const names = collectionNames(options.namespace);
  const now = deps.now ?? Date.now;
  const tracer = deps.tracer ?? trace.getTracer('slicemesh-interpreter');
  const knowledge = await deps.store.collection(names.knowledge, {
    provider: deps.provider,
    onProviderMismatch: 'reembed',
  });
  const memory = await deps.store.collection(names.memory, {
    provider: deps.provider,
    onProviderMismatch: options.onMemoryProviderMismatch ?? 'refuse',
  });

  const lines =
    options.knowledge === undefined
      ? undefined
      : typeof options.knowledge === 'string'
        ? await loadKnowledgeFile(options.knowledge)
        : options.knowledge;
  // Each text is embedded once, for the store and the index alike.
  const embedOnce = embeddingMemo(deps.provider);
  let bootstrap: BootstrapResult | undefined;
  if (lines !== undefined) bootstrap = await bootstrapKnowledge(knowledge, embedOnce, lines, now());
  // Built from what the collection holds after the bootstrap, so it answers as Chroma does.
  const index = await openKnowledgeIndex(knowledge, deps.provider, embedOnce);

  const guard = { ...DEFAULT_GUARD_OPTIONS, ...options.guard };
  const hooks: GuardHooks = {
    ...(deps.guardClock ? { clock: deps.guardClock } : {}),
    onChange: ({ source, collection, state, reason }) => {
      if (state === 'down')
        deps.logger?.warn('Chroma does not answer: interpreting without it (degraded)', {
          source,
          collection,
          reason,
        });
      else deps.logger?.info('Chroma answers again', { source, collection });
    },
  };
  let refreshFailing = false;
  const knowledgeSource =
    options.knowledgeFrom === 'store'
      ? guardSource('knowledge', coalesceQueries(knowledge), index, guard, hooks)
      : servedFromIndex(
          index,
          { refreshMs: options.knowledgeRefreshMs ?? DEFAULT_INDEX_SERVING.refreshMs },
          {
            ...(deps.guardClock ? { clock: deps.guardClock } : {}),
            onRefresh: (outcome) => {
              if ('error' in outcome) {
                // Said once per failing spell: the index keeps answering as it is meanwhile.
                if (!refreshFailing)
                  deps.logger?.warn(
                    'cannot re-read the knowledge collection; the index stays as it is',
                    {
                      collection: index.name,
                      reason:
                        outcome.error instanceof Error
                          ? outcome.error.message
                          : String(outcome.error),
                    },
                  );
                refreshFailing = true;
                return;
              }
              refreshFailing = false;
              if (outcome.rebuilt)
                deps.logger?.info('knowledge collection changed: index rebuilt', {
                  collection: index.name,
                  records: outcome.size,
                });
            },
          },
        );
  const graph = buildInterpreterGraph(
    {
      provider: deps.provider,
      // Concurrent requests share one store round trip per collection.
      sources: {
        knowledge: knowledgeSource,
        memory: guardSource('memory', coalesceQueries(memory), undefined, guard, hooks),
      },
      reasoner: deps.reasoner,
      tracer,
      now,
    },
    options,
  );
  return {
    reasoner: deps.reasoner.name,
    providerId: deps.provider.id,
    bootstrap,
    knowledgeIndex: index,
    interpret: (request, signal) =>
      runInterpreterGraph(graph, tracer, request, deps.reasoner.name, signal),
  };
}

/** The provider's `embed`, remembering every text's vector while the interpreter starts. */
function embeddingMemo(
  provider: Pick<EmbeddingProvider, 'embed'>,
): Pick<EmbeddingProvider, 'embed'> {
  const known = new Map<string, number[]>();
  return {
    async embed(texts) {
      const missing = [...new Set(texts.filter((t) => !known.has(t)))];
      if (missing.length > 0) {
        const vectors = await provider.embed(missing);
        missing.forEach((t, i) => {
          const v = vectors[i];
          if (v !== undefined) known.set(t, v);
        });
      }
      return texts.map((t) => known.get(t) ?? []);
    },
  };
}
