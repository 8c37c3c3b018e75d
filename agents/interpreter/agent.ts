/**
 * The interpreter agent: a queue-group NATS service answering
 * `InferenceRequest` with `InferenceReply` on `subjects.interpreterInfer()`.
 * Instances share the queue group `interpreter`, so running more of them
 * spreads the load; each keeps no per-request state.
 */
import type { Subscription } from '../../shared/bus/types.js';
import { ENDPOINTS } from '../../shared/contracts/endpoints.js';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import {
  createAgentHandle,
  type AgentDeps,
  type AgentHandle,
  extendAgentHandle,
  completeAgentDeps,
} from '../../shared/runtime/agent.js';
import type { SliceMeshConfig } from '../../shared/runtime/config.js';
import type { ProviderMismatchPolicy, VectorStore } from '../../shared/vectorstore/types.js';
import type { EstimateOptions } from './estimate.js';
import { createInterpreter, type Interpreter } from './interpreter.js';
import type { KnowledgeLine } from './knowledge.js';
import {
  DEFAULT_KNOWLEDGE_PATH,
  openInterpreterResources,
  resourceOptionsFromConfig,
  type InterpreterResources,
} from './resources.js';
import type { RetrievalOptions } from './retrieve.js';
import type { GuardOptions } from './sources.js';
import type { Reasoner } from './types.js';

export const INTERPRETER_ROLE = 'interpreter';

/**
 * The bus is required; the rest defaults (role name, bus tracer and logger,
 * system clock, config from the environment). Provider, store and reasoner
 * default to what the config selects, opened at start and closed at stop.
 */
export type InterpreterAgentDeps = Pick<AgentDeps, 'bus'> &
  Partial<AgentDeps> & {
    readonly provider?: EmbeddingProvider;
    readonly store?: VectorStore;
    readonly reasoner?: Reasoner;
  };

export interface InterpreterAgentConfig {
  /** Knowledge-base file (or lines) bootstrapped into Chroma at start; omit to use the collection as it is. */
  readonly knowledge?: string | readonly KnowledgeLine[];
  readonly retrieval?: RetrievalOptions;
  readonly estimate?: EstimateOptions;
  readonly maxTextChars?: number;
  readonly onMemoryProviderMismatch?: ProviderMismatchPolicy;
  /** Store query timeout and how long a failed store is skipped. */
  readonly guard?: Partial<GuardOptions>;
  /** Knowledge neighbours from the in-process index (default) or from a Chroma query per request. */
  readonly knowledgeFrom?: 'index' | 'store';
  /** How often the index re-reads the knowledge collection (ms). */
  readonly knowledgeRefreshMs?: number;
}

/** The agent's settings from the environment configuration (the shipped knowledge base). */
export function interpreterConfigFrom(_config: SliceMeshConfig): InterpreterAgentConfig {
  return { knowledge: DEFAULT_KNOWLEDGE_PATH };
}

export interface InterpreterAgent extends AgentHandle {
  /** The interpreter behind the service once started (in-process callers, tests). */
  readonly interpreter: Interpreter | undefined;
}

/** Creates the interpreter agent; nothing happens until `start()`. */
export function createInterpreterAgent(
  partialDeps: InterpreterAgentDeps,
  config: InterpreterAgentConfig = {},
): InterpreterAgent {
  const deps = completeAgentDeps(partialDeps, INTERPRETER_ROLE);
  const { bus } = deps;
  let interpreter: Interpreter | undefined;
  let subscription: Subscription | undefined;
  let owned: InterpreterResources | undefined;

  const handle = createAgentHandle(deps, {
    start: async () => {
      let { provider, store, reasoner } = partialDeps;
      if (provider === undefined || store === undefined || reasoner === undefined) {
        owned = await openInterpreterResources(
          resourceOptionsFromConfig(deps.config, {
            onProgress: (message) => deps.logger.info(message),
          }),
        );
        provider ??= owned.provider;
        store ??= owned.store;
        reasoner ??= owned.reasoner;
      }
      const now = () => deps.clock.now();
      interpreter = await createInterpreter(
        { provider, store, reasoner, tracer: deps.tracer, now, logger: deps.logger },
        {
          namespace: bus.namespace,
          ...(config.knowledge !== undefined ? { knowledge: config.knowledge } : {}),
          ...(config.retrieval ? { retrieval: config.retrieval } : {}),
          ...(config.estimate ? { estimate: config.estimate } : {}),
          ...(config.maxTextChars ? { maxTextChars: config.maxTextChars } : {}),
          ...(config.onMemoryProviderMismatch
            ? { onMemoryProviderMismatch: config.onMemoryProviderMismatch }
            : {}),
          ...(config.guard ? { guard: config.guard } : {}),
          ...(config.knowledgeFrom ? { knowledgeFrom: config.knowledgeFrom } : {}),
          ...(config.knowledgeRefreshMs !== undefined
            ? { knowledgeRefreshMs: config.knowledgeRefreshMs }
            : {}),
        },
      );
      const ready = interpreter;
      subscription = bus.serve(
        ENDPOINTS.interpreterInfer,
        async (req) => {
          const result = await ready.interpret({
            text: req.text,
            sla: req.sla,
            sliceId: req.sliceId,
          });
          return {
            type: 'interpreter.infer.reply.v1' as const,
            sliceId: req.sliceId,
            ...result,
            neighbours: [...result.neighbours],
          };
        },
        { queue: bus.subjects.queueGroup(INTERPRETER_ROLE) },
      );
      deps.logger.info('interpreter serving', {
        subject: bus.subjects.interpreterInfer(),
        reasoner: ready.reasoner,
        provider: ready.providerId,
        knowledge: ready.bootstrap,
        knowledgeIndex: ready.knowledgeIndex.size,
      });
    },
    stop: async () => {
      // Intake first (waits for requests in flight), then what this agent opened.
      await subscription?.stop();
      subscription = undefined;
      await owned?.close();
      owned = undefined;
    },
  });

  return extendAgentHandle(handle, {
    get interpreter() {
      return interpreter;
    },
  });
}
