/**
 * In-process interpreter for batch work (e.g. computing preference vectors to
 * train the orchestrator): no NATS. By default it goes through Chroma like the
 * agent; `index: 'memory'` keeps the retrieval index in process instead.
 */
import type { SlaClasses } from '../../shared/contracts/common.js';
import { DEFAULT_NAMESPACE } from '../../shared/contracts/subjects.js';
import { createInterpreter, type Interpreter } from './interpreter.js';
import type { KnowledgeLine } from './knowledge.js';
import {
  DEFAULT_KNOWLEDGE_PATH,
  openInterpreterResources,
  type InterpreterResourceOptions,
} from './resources.js';
import type { Interpretation } from './types.js';

export interface OfflineInterpreterOptions extends Partial<
  Omit<InterpreterResourceOptions, 'reasoner' | 'llm'>
> {
  /** Chroma server URL; omitted → a running mesh's Chroma or an embedded one. */
  readonly chromaUrl?: string | undefined;
  /** Collection namespace (default `slicemesh`). */
  readonly namespace?: string;
  /** Knowledge-base file or parsed lines (default: the shipped knowledge base). */
  readonly knowledge?: string | readonly KnowledgeLine[];
}

export interface OfflineInterpreter {
  /** Interprets one request with the deterministic offline reasoner. */
  interpret(text: string, sla?: SlaClasses): Promise<Interpretation>;
  readonly interpreter: Interpreter;
  close(): Promise<void>;
}

/** Creates an in-process interpreter with the offline reasoner (deterministic; no LLM, no NATS). */
export async function createOfflineInterpreter(
  options: OfflineInterpreterOptions = {},
): Promise<OfflineInterpreter> {
  const resources = await openInterpreterResources({
    dataDir: options.dataDir ?? '.data',
    ...options,
    reasoner: 'offline',
  });
  try {
    const interpreter = await createInterpreter(
      {
        provider: resources.provider,
        store: resources.store,
        reasoner: resources.reasoner,
        ...(options.now ? { now: options.now } : {}),
      },
      {
        namespace: options.namespace ?? DEFAULT_NAMESPACE,
        knowledge: options.knowledge ?? DEFAULT_KNOWLEDGE_PATH,
      },
    );
    return {
      interpreter,
      interpret: (text, sla) => interpreter.interpret({ text, sla }),
      close: () => resources.close(),
    };
  } catch (error) {
    await resources.close();
    throw error;
  }
}
