/**
 * Parameters of the case-study network model (paper §IV-B) and the
 * calibration choices that fill its gaps. Every number here is documented,
 * with its source, in docs/case-study-model.md.
 */
import {
  COST_CLASSES,
  PRIORITY_CLASSES,
  SERVICE_TYPES,
  type CostClass,
  type LatencyClass,
  type ReliabilityClass,
  type ServiceType,
  type SliceProfile,
} from '../contracts/common.js';

/** Inclusive integer range. */
export interface IntRange {
  readonly min: number;
  readonly max: number;
}

export interface ModelConfig {
  /** Local server CPU units (paper: 40). */
  readonly localCpu: number;
  /** Local server memory units (paper: 30). */
  readonly localMem: number;
  /** Boot-up delay of a newly started container, local or cloud (paper: 30 ms). */
  readonly bootDelayMs: number;
  /** Server cost charged to a slice running on the local server (paper: 30). */
  readonly localServerCost: number;
  /** Server cost charged to a slice running in the cloud (paper: 10). */
  readonly cloudServerCost: number;
  /** Delay of a VNF node, drawn per node from the seed (paper: 10–15 ms). */
  readonly vnfDelayMs: IntRange;
  /** Deployment cost of a new VNF node, drawn per node from the seed (paper: 2–4). */
  readonly vnfDeployCost: IntRange;
  /** End-to-end latency limit per latency class (paper: 30 / 100 / 150 ms). */
  readonly latencyLimitMs: Readonly<Record<LatencyClass, number>>;
  /** Most slices a node may carry for a tenant of each reliability class (paper: 1 / 2 / 4). */
  readonly sharingLimit: Readonly<Record<ReliabilityClass, number>>;
  /** Cost limit per cost class (paper: 25 / 40). */
  readonly costLimit: Readonly<Record<CostClass, number>>;
  /** VNF nodes between the CU and the cloud per service type (calibration). */
  readonly chainLength: Readonly<Record<ServiceType, number>>;
}

export const DEFAULT_MODEL_CONFIG: ModelConfig = Object.freeze({
  localCpu: 40,
  localMem: 30,
  bootDelayMs: 30,
  localServerCost: 30,
  cloudServerCost: 10,
  vnfDelayMs: Object.freeze({ min: 10, max: 15 }),
  vnfDeployCost: Object.freeze({ min: 2, max: 4 }),
  latencyLimitMs: Object.freeze({ high: 30, medium: 100, 'best-effort': 150 }),
  sharingLimit: Object.freeze({ high: 1, medium: 2, 'best-effort': 4 }),
  costLimit: Object.freeze({ 'cost-sensitive': 25, general: 40 }),
  chainLength: Object.freeze({ URLLC: 1, eMBB: 3, mMTC: 2 }),
});

/**
 * Every placement reserves this many VNF sequence numbers, whether or not it
 * deploys new nodes; the node it deploys at chain position p takes number
 * `nextNodeSeq + p`. So a node's delay and cost depend only on the seed and
 * on which placement deployed it, never on what earlier placements chose —
 * which is what lets the exact oracle know every draw in advance.
 */
export const NODE_SEQ_BLOCK = 3;

/** Resource amounts are kept as integers in thousandths of a unit, so release restores capacity exactly. */
export const RESOURCE_SCALE = 1000;

/**
 * Common scales that bring latency, cost and reliability cost to the same
 * order of magnitude (paper §IV-A): divide a figure by its scale.
 */
export const OUTCOME_SCALES = Object.freeze({ latencyMs: 100, cost: 40, reliabilityCost: 3 });

/**
 * Seed ranges: policies train on seeds below 1,000,000 and are evaluated on
 * seeds from 1,000,000 up, so evaluation instances are never seen in training.
 */
export const SEED_RANGES = Object.freeze({
  training: Object.freeze({ min: 0, max: 999_999 }),
  evaluation: Object.freeze({ min: 1_000_000, max: 1_999_999 }),
});

/** The first `count` held-out evaluation seeds. */
export function evaluationSeeds(count: number): number[] {
  return Array.from({ length: count }, (_, i) => SEED_RANGES.evaluation.min + i);
}

export function isTrainingSeed(seed: number): boolean {
  return (
    Number.isInteger(seed) && seed >= SEED_RANGES.training.min && seed <= SEED_RANGES.training.max
  );
}

export function isEvaluationSeed(seed: number): boolean {
  return (
    Number.isInteger(seed) &&
    seed >= SEED_RANGES.evaluation.min &&
    seed <= SEED_RANGES.evaluation.max
  );
}

// Small integer codes for the hot path; the string enums stay the public face.
export const SERVICE_INDEX: Readonly<Record<ServiceType, number>> = { URLLC: 0, eMBB: 1, mMTC: 2 };
export const PRIORITY_INDEX: Readonly<Record<LatencyClass, number>> = {
  high: 0,
  medium: 1,
  'best-effort': 2,
};
export const COST_INDEX: Readonly<Record<CostClass, number>> = { 'cost-sensitive': 0, general: 1 };
export { SERVICE_TYPES, PRIORITY_CLASSES, COST_CLASSES };

/** Longest VNF chain of any service type under `config`. */
export function maxChainLength(config: ModelConfig): number {
  return Math.max(...SERVICE_TYPES.map((t) => config.chainLength[t]));
}

/** The limits a slice of `profile` is held to: its classes' entries in the parameter set. */
export interface SlaLimits {
  readonly latencyMs: number;
  /** Most slices one node of the path may carry. */
  readonly sharing: number;
  readonly cost: number;
}

export function slaLimits(
  profile: SliceProfile,
  config: ModelConfig = DEFAULT_MODEL_CONFIG,
): SlaLimits {
  return {
    latencyMs: config.latencyLimitMs[profile.latency],
    sharing: config.sharingLimit[profile.reliability],
    cost: config.costLimit[profile.cost],
  };
}
