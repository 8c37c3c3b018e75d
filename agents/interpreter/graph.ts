/**
 * The interpreter as a LangGraph `StateGraph`:
 *
 *   normalize → embed → retrieve → reason → validate → respond
 *
 * Each node is a traced span. Nodes only read the state and return the keys
 * they add, so the graph is a plain pipeline whose intermediate results
 * (cues, neighbours, estimate, draft) stay inspectable.
 */
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { type Tracer } from '@opentelemetry/api';
import type { SlaClasses } from '../../shared/contracts/common.js';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import { instrument } from '../../shared/telemetry/instrument.js';
import { ATTR, SPAN } from '../../shared/telemetry/names.js';
import { extractCues, type Cues } from './cues.js';
import {
  DEFAULT_ESTIMATE_OPTIONS,
  estimateFromNeighbours,
  type EstimateOptions,
} from './estimate.js';
import { normalizeRequestText } from './normalize.js';
import { DEFAULT_RETRIEVAL_OPTIONS, type RetrievalOptions } from './retrieve.js';
import { retrieveGuarded, type GuardedSources } from './sources.js';
import type { Interpretation, Neighbour, Reasoner, ReasonerDraft } from './types.js';
import { validateDraft, type ValidatedAnswer } from './validate.js';

const MAX_RATIONALE = 2_000;

export const InterpreterState = Annotation.Root({
  /** Raw request text as received. */
  input: Annotation<string>(),
  sla: Annotation<SlaClasses | undefined>(),
  signal: Annotation<AbortSignal | undefined>(),
  text: Annotation<string>(),
  truncated: Annotation<boolean>(),
  cues: Annotation<Cues>(),
  embedding: Annotation<number[]>(),
  neighbours: Annotation<Neighbour[]>(),
  /** Sources the store could not serve for this request (the answer is then degraded). */
  retrievalNotes: Annotation<string[]>(),
  estimate: Annotation<ReasonerDraft>(),
  draft: Annotation<unknown>(),
  reasonerError: Annotation<string | undefined>(),
  answer: Annotation<ValidatedAnswer>(),
  result: Annotation<Interpretation>(),
});
export type InterpreterStateType = typeof InterpreterState.State;

export interface InterpreterGraphDeps {
  readonly provider: Pick<EmbeddingProvider, 'embed' | 'dimensions'>;
  readonly sources: GuardedSources;
  readonly reasoner: Reasoner;
  readonly tracer: Tracer;
  /** Epoch-ms clock (recency weighting). */
  readonly now: () => number;
}

export interface InterpreterGraphOptions {
  readonly retrieval?: RetrievalOptions;
  readonly estimate?: EstimateOptions;
  /** Text beyond this is cut before embedding and reasoning (the rationale says so). */
  readonly maxTextChars?: number;
}

export const DEFAULT_MAX_TEXT_CHARS = 4_000;

/** Builds and compiles the graph. */
export function buildInterpreterGraph(
  deps: InterpreterGraphDeps,
  options: InterpreterGraphOptions = {},
) {
  const retrieval = options.retrieval ?? DEFAULT_RETRIEVAL_OPTIONS;
  const estimateOptions = options.estimate ?? DEFAULT_ESTIMATE_OPTIONS;
  const maxTextChars = options.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS;
  const traced =
    <R>(span: string, fn: (s: InterpreterStateType) => Promise<R> | R) =>
    (s: InterpreterStateType): Promise<R> =>
      instrument(deps.tracer, span, {}, () => fn(s));

  const normalize = traced(SPAN.interpreterNormalize, (s) => {
    const { text, truncated } = normalizeRequestText(s.input, maxTextChars);
    return { text, truncated, cues: extractCues(text) };
  });

  const embed = traced(SPAN.interpreterEmbed, async (s) => {
    const [vector] = await deps.provider.embed([s.text]);
    return { embedding: vector ?? new Array<number>(deps.provider.dimensions).fill(0) };
  });

  const retrieve = traced(SPAN.interpreterRetrieve, async (s) => {
    const { neighbours, notes } = await retrieveGuarded(
      deps.sources,
      s.embedding,
      deps.now(),
      retrieval,
    );
    return { neighbours, retrievalNotes: notes };
  });

  const reason = traced(SPAN.interpreterReason, async (s) => {
    const estimate = estimateFromNeighbours(s.neighbours, s.cues, estimateOptions);
    try {
      const draft = await deps.reasoner.reason({
        text: s.text,
        cues: s.cues,
        neighbours: s.neighbours,
        sla: s.sla,
        estimate,
        signal: s.signal,
      });
      return { estimate, draft, reasonerError: undefined };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { estimate, draft: undefined, reasonerError: message.slice(0, 200) };
    }
  });

  const validate = traced(SPAN.interpreterValidate, (s) => {
    const answer = validateDraft(s.draft, s.reasonerError, s.estimate, s.sla, s.text);
    // An answer without what the store holds (the memory bank) is flagged and says why.
    const notes = [...s.retrievalNotes];
    // With no examples at all the answer rests on cues alone: flag it.
    if (s.neighbours.length === 0 && !answer.degraded) notes.push('no examples retrieved');
    if (notes.length > 0) {
      return { answer: { ...answer, degraded: true, notes: [...answer.notes, ...notes] } };
    }
    return { answer };
  });

  const respond = traced(SPAN.interpreterRespond, (s): { result: Interpretation } => {
    const a = s.answer;
    const extra = [...a.notes];
    if (s.truncated) extra.push(`request text cut to ${maxTextChars} characters`);
    const rationale = [a.rationale, ...extra].filter((x) => x.length > 0).join(' | ');
    return {
      result: {
        preference: a.preference,
        profile: a.profile,
        confidence: a.confidence,
        rationale:
          rationale.length > MAX_RATIONALE
            ? `${rationale.slice(0, MAX_RATIONALE - 1)}…`
            : rationale,
        neighbours: s.neighbours.map((n) => ({
          id: n.id,
          source: n.source,
          similarity: Math.round(n.similarity * 1e4) / 1e4,
          weight: Math.round(n.weight * 1e4) / 1e4,
        })),
        reasoner: deps.reasoner.name.slice(0, 64),
        degraded: a.degraded,
      },
    };
  });

  return new StateGraph(InterpreterState)
    .addNode('normalize', normalize)
    .addNode('embed', embed)
    .addNode('retrieve', retrieve)
    .addNode('reason', reason)
    .addNode('validate', validate)
    .addNode('respond', respond)
    .addEdge(START, 'normalize')
    .addEdge('normalize', 'embed')
    .addEdge('embed', 'retrieve')
    .addEdge('retrieve', 'reason')
    .addEdge('reason', 'validate')
    .addEdge('validate', 'respond')
    .addEdge('respond', END)
    .compile();
}

export type InterpreterGraph = ReturnType<typeof buildInterpreterGraph>;

/** Runs one request through the graph inside an `interpreter.infer` span. */
export async function runInterpreterGraph(
  graph: InterpreterGraph,
  tracer: Tracer,
  request: { text: string; sla?: SlaClasses | undefined; sliceId?: string | undefined },
  reasonerName: string,
  signal?: AbortSignal,
): Promise<Interpretation> {
  const attributes = {
    [ATTR.reasoner]: reasonerName,
    ...(request.sliceId !== undefined ? { [ATTR.sliceId]: request.sliceId } : {}),
  };
  return instrument(tracer, SPAN.interpreterInfer, attributes, async () => {
    // `durability: 'exit'` skips per-step checkpoint bookkeeping: the graph keeps no checkpoints anyway.
    const state = await graph.invoke(
      { input: request.text, sla: request.sla, signal },
      { durability: 'exit' },
    );
    return state.result;
  });
}
