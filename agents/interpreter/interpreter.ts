/**
 * The transport-agnostic interpreter: opens the knowledge and memory
 * collections for one embedding provider, bootstraps the knowledge base
 * idempotently, and runs requests through the graph. The NATS agent and the
 * in-process API are thin shells around it.
 */
import { trace, type Tracer } from '@opentelemetry/api';
import type { SlaClasses } from '../../shared/contracts/common.js';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
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
import type { Interpretation, Reasoner } from './types.js';

export interface InterpreterDeps {
  readonly provider: EmbeddingProvider;
  readonly store: VectorStore;
  readonly reasoner: Reasoner;
  readonly tracer?: Tracer;
  /** Epoch-ms clock; default `Date.now`. */
  readonly now?: () => number;
}

export interface InterpreterOptions extends InterpreterGraphOptions {
  /** Collection names are `<namespace>-knowledge` and `<namespace>-memory`. */
  readonly namespace: string;
  /** Knowledge-base file to bootstrap from, or the parsed lines; omit to use the collection as it is. */
  readonly knowledge?: string | readonly KnowledgeLine[];
  /** What to do with a memory bank written by another embedding provider (knowledge is always re-embedded from its file). */
  readonly onMemoryProviderMismatch?: ProviderMismatchPolicy;
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

  let bootstrap: BootstrapResult | undefined;
  if (options.knowledge !== undefined) {
    const lines =
      typeof options.knowledge === 'string'
        ? await loadKnowledgeFile(options.knowledge)
        : options.knowledge;
    bootstrap = await bootstrapKnowledge(knowledge, deps.provider, lines, now());
  }

  const graph = buildInterpreterGraph(
    {
      provider: deps.provider,
      // Concurrent requests share one store round trip per collection.
      sources: { knowledge: coalesceQueries(knowledge), memory: coalesceQueries(memory) },
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
    interpret: (request, signal) =>
      runInterpreterGraph(graph, tracer, request, deps.reasoner.name, signal),
  };
}
