/**
 * LLM reasoner: `ChatOpenAI` with structured output (the `ReasonerDraft`
 * schema) over a few-shot prompt of retrieved examples. Works with any
 * OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp server) through
 * `baseUrl`. Time and retries are bounded; every failure is thrown and the
 * graph's validate step falls back to the retrieval estimate. The reply's
 * classes are required fields of that schema, so a reply that omits one is a
 * failure too: its vector is not kept without the classes that go with it.
 */
import { SliceMeshError } from '../../../shared/contracts/errors.js';
import { ReasonerDraft, type Reasoner } from '../types.js';
import { buildFewShotMessages } from './prompt.js';

export type StructuredOutputMethod = 'jsonSchema' | 'functionCalling' | 'jsonMode';

export interface OpenAIReasonerOptions {
  readonly model: string | undefined;
  readonly apiKey?: string | undefined;
  /** OpenAI-compatible base URL, e.g. `http://localhost:11434/v1` for Ollama. */
  readonly baseUrl?: string | undefined;
  /** Per-attempt timeout. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt (bounded: total time ≤ (1 + maxRetries) × timeoutMs). */
  readonly maxRetries?: number;
  /** How structured output is requested; `functionCalling` suits servers without json_schema support. */
  readonly method?: StructuredOutputMethod;
  /** Few-shot examples taken from the retrieved neighbours. */
  readonly examples?: number;
  readonly temperature?: number;
}

interface StructuredRunnable {
  invoke(
    messages: { role: string; content: string }[],
    options?: { signal?: AbortSignal },
  ): Promise<unknown>;
}

interface ChatOpenAIModule {
  ChatOpenAI: new (fields: Record<string, unknown>) => {
    withStructuredOutput(
      schema: unknown,
      options: { name: string; method: StructuredOutputMethod },
    ): StructuredRunnable;
  };
}

/** Short, log-safe reason of a failed call. */
export function describeLlmFailure(error: unknown): string {
  const e = error as { name?: string; message?: string; status?: number; code?: string };
  if (e.name === 'AbortError' || e.name === 'TimeoutError' || /timed? ?out/i.test(e.message ?? ''))
    return 'timeout';
  if (typeof e.status === 'number') return `HTTP ${e.status}`;
  if (e.name === 'OutputParserException' || /pars(e|ing)|JSON/i.test(e.message ?? ''))
    return 'malformed output';
  return (e.message ?? String(error)).slice(0, 160);
}

/** Creates the LLM reasoner; `config` error when the model or endpoint is missing. */
export async function createOpenAIReasoner(options: OpenAIReasonerOptions): Promise<Reasoner> {
  if (options.model === undefined || options.model === '') {
    throw new SliceMeshError(
      'config',
      'the openai reasoner needs SLICEMESH_LLM_MODEL (e.g. gpt-4o-mini, llama3.1:8b)',
    );
  }
  if (options.apiKey === undefined && options.baseUrl === undefined) {
    throw new SliceMeshError(
      'config',
      'the openai reasoner needs OPENAI_API_KEY, or SLICEMESH_LLM_BASE_URL pointing at an OpenAI-compatible server',
    );
  }
  const timeoutMs = options.timeoutMs ?? 20_000;
  const maxRetries = options.maxRetries ?? 1;
  const examples = options.examples ?? 6;
  // Loaded on demand so the offline path never pays for the OpenAI client.
  const { ChatOpenAI } = (await import('@langchain/openai')) as unknown as ChatOpenAIModule;
  const chat = new ChatOpenAI({
    model: options.model,
    // Local servers ignore the key, but the client requires one.
    apiKey: options.apiKey ?? 'not-needed',
    temperature: options.temperature ?? 0,
    timeout: timeoutMs,
    maxRetries,
    ...(options.baseUrl !== undefined ? { configuration: { baseURL: options.baseUrl } } : {}),
  });
  const structured = chat.withStructuredOutput(ReasonerDraft, {
    name: 'slice_intent',
    method: options.method ?? 'jsonSchema',
  });

  return {
    name: `openai:${options.model}`,
    async reason(input) {
      const messages = buildFewShotMessages(input, examples).map((m) => ({
        role: m.role,
        content: m.content,
      }));
      // Hard upper bound on top of the client's own per-attempt timeout.
      const deadline = AbortSignal.timeout(timeoutMs * (maxRetries + 1) + 1_000);
      const signal = input.signal ? AbortSignal.any([input.signal, deadline]) : deadline;
      try {
        return await structured.invoke(messages, { signal });
      } catch (error) {
        throw new SliceMeshError('unavailable', describeLlmFailure(error), { cause: error });
      }
    },
  };
}
