/**
 * Orchestrator role: PPO-based slice placement (the paper's QAPPO, PPO with
 * the SLA classes only, and PPO without any intent) and the baselines,
 * served over the bus; plus the training pipeline used by `slicemesh train`.
 * Only this module is imported from outside the folder.
 */
export {
  createOrchestratorAgent,
  orchestratorConfigFrom,
  ORCHESTRATOR_ROLE,
  type OrchestratorAgent,
  type OrchestratorConfig,
  type OrchestratorDeps,
} from './agent.js';
export {
  DEFAULT_REPLICA_WAIT_MS,
  NetworkReplica,
  fixedStateSource,
  type ReplicaCounters,
  type ReplicaOptions,
  type StateSource,
} from './replica.js';
export {
  FeatureBuilder,
  LEARNED_METHODS,
  METHOD_INTENT,
  isLearnedMethod,
  inputSize,
  type Intent,
  type LearnedMethod,
  type MethodIntent,
} from './features.js';
export { LearnedPolicy, type IntentLookup, type LearnedDecision } from './learned-policy.js';
export { registerLearnedPolicies, type LearnedPolicyOptions } from './registry.js';
export {
  EQUAL_WEIGHTS,
  REWARD_CONSTANTS,
  methodWeights,
  preferenceWeights,
  stepReward,
  type QoeWeights,
} from './reward.js';
export { initBackend, type BackendName } from './ppo/backend.js';
export {
  CHECKPOINT_FILE,
  loadCheckpoint,
  readCheckpointMetadata,
  saveCheckpoint,
  type CheckpointMetadata,
} from './ppo/checkpoint.js';
export { DEFAULT_HYPERPARAMETERS, type PpoHyperparameters } from './ppo/hyperparameters.js';
export { train, type ProgressReport, type TrainerState } from './ppo/trainer.js';
export {
  INTENT_CACHE_FILE,
  IntentCache,
  buildIntentCache,
  cacheIsCurrent,
  coveredRequests,
  preferenceCacheCommand,
  type CacheCoverage,
} from './training/intent-cache.js';
export {
  CURVE_BASELINES,
  CURVE_CSV,
  CURVE_SVG,
  DEFAULT_CACHE_EVAL_SEEDS,
  DEFAULT_POOL_SEEDS,
  DEFAULT_SLA_SHARE,
  modelFingerprint,
  renderRunCurve,
  runTraining,
  type RunOptions,
  type RunResult,
} from './training/run.js';
export { PlacementTrainingEnv, trainingPool } from './training/placement-env.js';
