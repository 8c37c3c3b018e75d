/**
 * The interpreter agent: a queue-group NATS service answering
 * `InferenceRequest` with `InferenceReply` on `subjects.interpreterInfer()`.
 * Instances share the queue group `interpreter`, so running more of them
 * spreads the load; each keeps no per-request state.
 */
import type { Tracer } from '@opentelemetry/api';
import type { Bus, Subscription } from '../../shared/bus/types.js';
import { InferenceReply, InferenceRequest } from '../../shared/contracts/messages.js';
import { toSliceMeshError } from '../../shared/contracts/errors.js';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import type { Logger } from '../../shared/runtime/logger.js';
import type { VectorStore, ProviderMismatchPolicy } from '../../shared/vectorstore/types.js';
import { createInterpreter, type Interpreter } from './interpreter.js';
import type { KnowledgeLine } from './knowledge.js';
import type { EstimateOptions } from './estimate.js';
import type { RetrievalOptions } from './retrieve.js';
import type { Reasoner } from './types.js';

export const INTERPRETER_ROLE = 'interpreter';

export type AgentState = 'initialized' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface InterpreterAgentDeps {
  readonly bus: Bus;
  readonly provider: EmbeddingProvider;
  readonly store: VectorStore;
  readonly reasoner: Reasoner;
  readonly tracer?: Tracer;
  readonly logger?: Logger;
  /** Epoch-ms clock (recency weighting, record timestamps). */
  readonly now?: () => number;
}

export interface InterpreterAgentConfig {
  /** Knowledge-base file (or lines) bootstrapped into Chroma at start; omit to use the collection as is. */
  readonly knowledge?: string | readonly KnowledgeLine[];
  readonly retrieval?: RetrievalOptions;
  readonly estimate?: EstimateOptions;
  readonly maxTextChars?: number;
  readonly onMemoryProviderMismatch?: ProviderMismatchPolicy;
}

export interface InterpreterAgent {
  readonly role: typeof INTERPRETER_ROLE;
  readonly state: AgentState;
  /** Resolves when the agent has stopped: null after a clean stop, the error after a failure. */
  readonly stopped: Promise<Error | null>;
  /** Opens collections, bootstraps the knowledge base, then starts serving. */
  start(): Promise<void>;
  /** Stops taking requests and waits for the ones in flight. Idempotent. */
  stop(): Promise<void>;
  /** The interpreter behind the service (for in-process callers and tests). */
  readonly interpreter: Interpreter | undefined;
}

/** Creates the interpreter agent; nothing happens until `start()`. */
export function createInterpreterAgent(
  deps: InterpreterAgentDeps,
  config: InterpreterAgentConfig = {},
): InterpreterAgent {
  let state: AgentState = 'initialized';
  let interpreter: Interpreter | undefined;
  let subscription: Subscription | undefined;
  let resolveStopped: (value: Error | null) => void = () => undefined;
  const stopped = new Promise<Error | null>((resolve) => {
    resolveStopped = resolve;
  });
  const log = deps.logger?.child({ role: INTERPRETER_ROLE });
  let stopping: Promise<void> | undefined;

  const agent: InterpreterAgent = {
    role: INTERPRETER_ROLE,
    get state() {
      return state;
    },
    stopped,
    get interpreter() {
      return interpreter;
    },
    async start() {
      if (state !== 'initialized')
        throw toSliceMeshError(new Error(`cannot start an agent in state ${state}`));
      try {
        interpreter = await createInterpreter(
          {
            provider: deps.provider,
            store: deps.store,
            reasoner: deps.reasoner,
            tracer: deps.tracer ?? deps.bus.tracer,
            ...(deps.now ? { now: deps.now } : {}),
          },
          {
            namespace: deps.bus.namespace,
            ...(config.knowledge !== undefined ? { knowledge: config.knowledge } : {}),
            ...(config.retrieval ? { retrieval: config.retrieval } : {}),
            ...(config.estimate ? { estimate: config.estimate } : {}),
            ...(config.maxTextChars ? { maxTextChars: config.maxTextChars } : {}),
            ...(config.onMemoryProviderMismatch
              ? { onMemoryProviderMismatch: config.onMemoryProviderMismatch }
              : {}),
          },
        );
        const ready = interpreter;
        subscription = deps.bus.serve(
          deps.bus.subjects.interpreterInfer(),
          InferenceRequest,
          InferenceReply,
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
          { queue: deps.bus.subjects.queueGroup(INTERPRETER_ROLE) },
        );
        state = 'running';
        log?.info('interpreter serving', {
          subject: deps.bus.subjects.interpreterInfer(),
          reasoner: ready.reasoner,
          provider: ready.providerId,
          knowledge: ready.bootstrap,
        });
      } catch (error) {
        state = 'failed';
        const err = toSliceMeshError(error);
        resolveStopped(err);
        throw err;
      }
    },
    stop() {
      stopping ??= (async () => {
        if (state === 'stopped' || state === 'failed') return;
        state = 'stopping';
        try {
          await subscription?.stop();
          state = 'stopped';
          resolveStopped(null);
        } catch (error) {
          state = 'failed';
          resolveStopped(toSliceMeshError(error));
        }
      })();
      return stopping;
    },
  };
  return agent;
}
