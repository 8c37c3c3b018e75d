/**
 * Interpreter agent: natural-language slice request → QoE preference vector
 * and slice profile, by agentic RAG (normalize → embed → retrieve → reason →
 * validate → respond). Only this module is imported from outside the folder.
 */
export {
  createInterpreterAgent,
  interpreterConfigFrom,
  INTERPRETER_ROLE,
  type InterpreterAgent,
  type InterpreterAgentConfig,
  type InterpreterAgentDeps,
} from './agent.js';
export {
  createInterpreter,
  type Interpreter,
  type InterpreterDeps,
  type InterpreterOptions,
  type InterpretRequest,
} from './interpreter.js';
export {
  DEFAULT_GUARD_OPTIONS,
  guardSource,
  retrieveGuarded,
  type GuardedSource,
  type GuardedSources,
  type GuardHooks,
  type GuardOptions,
  type Retrieval,
  type SourceAnswer,
} from './sources.js';
export {
  collectionFingerprint,
  DEFAULT_INDEX_SERVING,
  openKnowledgeIndex,
  servedFromIndex,
  type IndexServingHooks,
  type IndexServingOptions,
  type KnowledgeIndex,
} from './knowledge-index.js';
export {
  createOfflineInterpreter,
  type OfflineInterpreter,
  type OfflineInterpreterOptions,
} from './offline.js';
export {
  DEFAULT_KNOWLEDGE_PATH,
  openInterpreterResources,
  resourceOptionsFromConfig,
  type InterpreterResourceOptions,
  type InterpreterResources,
} from './resources.js';
export {
  buildInterpreterGraph,
  DEFAULT_MAX_TEXT_CHARS,
  InterpreterState,
  type InterpreterGraphDeps,
  type InterpreterGraphOptions,
} from './graph.js';
export {
  bootstrapKnowledge,
  loadKnowledgeFile,
  parseKnowledge,
  contentHash,
  KnowledgeLine,
  type BootstrapResult,
} from './knowledge.js';
export {
  createOfflineReasoner,
  createOpenAIReasoner,
  createReasoner,
  REASONER_KINDS,
  type ReasonerKind,
} from './reasoners/index.js';
export { extractCues, type Cues } from './cues.js';
export {
  DEFAULT_RETRIEVAL_OPTIONS,
  recencyFactor,
  rerank,
  retrieveNeighbours,
  type NeighbourSearch,
  type RetrievalOptions,
} from './retrieve.js';
export {
  DEFAULT_ESTIMATE_OPTIONS,
  estimateFromNeighbours,
  type EstimateOptions,
} from './estimate.js';
// The graph's stages one by one, for bench:interpreter's per-stage timings.
export { normalizeRequestText } from './normalize.js';
export { validateDraft } from './validate.js';
export { projectOntoSimplex, dominantDimension } from './simplex.js';
export {
  evaluateInterpreter,
  scoreEvaluation,
  loadEvalFile,
  percentile,
  EvalLine,
  EVAL_MEASURES,
  type Confusion,
  type EvalItem,
  type EvalMeasure,
  type EvalPrediction,
  type EvaluationReport,
} from './evaluate.js';
export type { Interpretation, Neighbour, Reasoner, ReasonerDraft, ReasonerInput } from './types.js';
