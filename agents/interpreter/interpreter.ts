/**
 * The transport-agnostic interpreter: opens the knowledge and memory
 * collections for one embedding provider, bootstraps the knowledge base
 * idempotently, keeps an in-process copy of it, and runs requests through the
 * graph. The NATS agent and the in-process API are thin shells around it.
 */
import { trace, type Tracer } from '@opentelemetry/api';
import type { SlaClasses } from '../../shared/contracts/common.js';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import type { Logger } from '../../shared/runtime/logger.js';
import { coalesceQueries } from '../../shared/vectorstore/coalesce.js';
import { createMemoryVectorStore } from '../../shared/vectorstore/memory-store.js';
import {
  collectionNames,
  type ProviderMismatchPolicy,
  type VectorCollection,
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
  /** Monotonic clock of the store guard (default `performance.now`); tests step it. */
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
  /** Records in the in-process copy of the knowledge base. */
  readonly knowledgeCopy: number;
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
  // Each text is embedded once, for the copy and for the store alike.
  const embedOnce = embeddingMemo(deps.provider);
  const copy = await knowledgeCopy(knowledge, embedOnce, deps.provider, lines, now());
  let bootstrap: BootstrapResult | undefined;
  if (lines !== undefined) bootstrap = await bootstrapKnowledge(knowledge, embedOnce, lines, now());

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
  const graph = buildInterpreterGraph(
    {
      provider: deps.provider,
      // Concurrent requests share one store round trip per collection. Only the knowledge
      // base has an in-process copy to fall back on.
      sources: {
        knowledge: guardSource('knowledge', coalesceQueries(knowledge), copy, guard, hooks),
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
    knowledgeCopy: await copy.count(),
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

/**
 * The in-process copy of the knowledge base: the file's lines when the
 * interpreter bootstraps them, else the records the store holds, embedded by
 * the same provider (so the same vectors, ids and metadata as in Chroma).
 */
async function knowledgeCopy(
  stored: VectorCollection,
  embed: Pick<EmbeddingProvider, 'embed'>,
  provider: EmbeddingProvider,
  lines: readonly KnowledgeLine[] | undefined,
  now: number,
): Promise<VectorCollection> {
  const copy = await createMemoryVectorStore({ now: () => now }).collection(stored.name, {
    provider,
  });
  if (lines !== undefined) {
    await bootstrapKnowledge(copy, embed, lines, now);
    return copy;
  }
  const records = await stored.get();
  const vectors = await embed.embed(records.map((r) => r.document));
  await copy.upsert(
    records.map((r, i) => ({
      id: r.id,
      document: r.document,
      embedding: vectors[i] ?? [],
      metadata: r.metadata,
    })),
  );
  return copy;
}
