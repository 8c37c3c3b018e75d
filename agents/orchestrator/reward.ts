/**
 * The reward of one placement step (docs/orchestrator.md, "Reward").
 *
 *   placed:   r = SERVED_BONUS·served − VIOLATION_PENALTY·(own constraints broken)
 *                 − AFFECTED_PENALTY·(other slices it broke)
 *                 − (w_lat·latency + w_cost·cost + w_rel·(reliability + shared))
 *   rejected: r = −REJECT_PENALTY
 *
 * The three QoE terms come from the model on a common scale (each raw figure
 * divided by its entry in the model's OUTCOME_SCALES; lower is better);
 * `shared` counts, on the reliability scale, the other slices whose
 * reliability cost this placement raises by giving their node its first
 * co-tenant. The weights are:
 * - `qappo`: the slice's preference vector from the interpreter, over the
 *   dimensions the case study measures (latency, economics → cost,
 *   reliability), renormalised to sum to 1 (throughput has no term in the model);
 * - `ppo` and `ppo-sla`: static, equal weights 1/3 each (METHOD_INTENT).
 *
 * The same formula with the interpreter's weights is the `score` shared by
 * every method, so reward curves of learned and heuristic methods compare.
 */
import type { PreferenceVector } from '../../shared/contracts/common.js';
import { OUTCOME_SCALES, type NormalisedOutcome } from '../../shared/model/index.js';
import { METHOD_INTENT, type LearnedMethod } from './features.js';

export const REWARD_CONSTANTS = Object.freeze({
  SERVED_BONUS: 1,
  VIOLATION_PENALTY: 0.5,
  AFFECTED_PENALTY: 1,
  REJECT_PENALTY: 0.5,
});

export interface QoeWeights {
  latency: number;
  cost: number;
  reliability: number;
}

export const EQUAL_WEIGHTS: QoeWeights = Object.freeze({
  latency: 1 / 3,
  cost: 1 / 3,
  reliability: 1 / 3,
});

/** Weights from a preference vector: its latency, economics and reliability shares, renormalised. */
export function preferenceWeights(p: PreferenceVector): QoeWeights {
  const total = p.latency + p.economics + p.reliability;
  if (!(total > 1e-9)) return EQUAL_WEIGHTS;
  return {
    latency: p.latency / total,
    cost: p.economics / total,
    reliability: p.reliability / total,
  };
}

/** The weights a method's reward uses for a slice with preference `p`. */
export function methodWeights(method: LearnedMethod, p: PreferenceVector): QoeWeights {
  return METHOD_INTENT[method].preference ? preferenceWeights(p) : EQUAL_WEIGHTS;
}

/** Reward of one step's normalised outcome under `weights`. */
export function stepReward(o: NormalisedOutcome, weights: QoeWeights): number {
  const c = REWARD_CONSTANTS;
  if (o.rejected) return -c.REJECT_PENALTY;
  return (
    c.SERVED_BONUS * o.served -
    c.VIOLATION_PENALTY * o.violations -
    c.AFFECTED_PENALTY * o.affected -
    (weights.latency * o.latency +
      weights.cost * o.cost +
      weights.reliability * (o.reliability + o.othersNewlyShared / OUTCOME_SCALES.reliabilityCost))
  );
}
