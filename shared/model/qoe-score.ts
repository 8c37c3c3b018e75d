/**
 * The per-slice QoE score of evaluations and replays: how good a served
 * slice's placement is on the dimensions its requester cares about.
 *
 *   score = 1 − (w_lat · latencyMs/100 + w_cost · cost/40 + w_rel · reliabilityCost/3)
 *
 * The bracket is the QoE term of the learned methods' reward (the outcome
 * figures on the model's common OUTCOME_SCALES); higher is better, and a
 * typical served slice scores between about 0 and 0.7. Unserved slices have
 * no score: availability already counts them.
 *
 * The weights are the judge's, never a method's: they come from the
 * requester's true classes (`requesterWeights`), so a method is not scored by
 * the preference vector it inferred itself. Each class contributes by how
 * strict it is — latency and reliability high 3, medium 2, best-effort 1;
 * cost-sensitive 3, general 1 — normalised to sum to 1. An URLLC control
 * slice (high, high, general) weighs latency and reliability 3/7 each and
 * cost 1/7; a cheap sensor fleet (best-effort, best-effort, cost-sensitive)
 * weighs cost 3/5.
 */
import type { CostClass, LatencyClass, SliceProfile } from '../contracts/common.js';
import { OUTCOME_SCALES } from './config.js';

export interface JudgeWeights {
  readonly latency: number;
  readonly cost: number;
  readonly reliability: number;
}

const PRIORITY_WEIGHT: Readonly<Record<LatencyClass, number>> = {
  high: 3,
  medium: 2,
  'best-effort': 1,
};
const COST_WEIGHT: Readonly<Record<CostClass, number>> = { 'cost-sensitive': 3, general: 1 };

/** The judge's weights for a requester with the true classes of `profile`. */
export function requesterWeights(
  profile: Pick<SliceProfile, 'latency' | 'reliability' | 'cost'>,
): JudgeWeights {
  const latency = PRIORITY_WEIGHT[profile.latency];
  const reliability = PRIORITY_WEIGHT[profile.reliability];
  const cost = COST_WEIGHT[profile.cost];
  const total = latency + reliability + cost;
  return { latency: latency / total, cost: cost / total, reliability: reliability / total };
}

export interface PlacedFigures {
  readonly latencyMs: number;
  readonly cost: number;
  readonly reliabilityCost: number;
}

/** QoE score of a served slice's figures under the judge's `weights` (rounded to 6 decimals). */
export function qoeScore(figures: PlacedFigures, weights: JudgeWeights): number {
  const penalty =
    weights.latency * (figures.latencyMs / OUTCOME_SCALES.latencyMs) +
    weights.cost * (figures.cost / OUTCOME_SCALES.cost) +
    weights.reliability * (figures.reliabilityCost / OUTCOME_SCALES.reliabilityCost);
  return Math.round((1 - penalty) * 1e6) / 1e6;
}

/** The score of a slice judged against `truth`: null unless it was served. */
export function sliceQoeScore(
  served: boolean,
  figures: PlacedFigures | null,
  truth: Pick<SliceProfile, 'latency' | 'reliability' | 'cost'>,
): number | null {
  if (!served || figures === null) return null;
  return qoeScore(figures, requesterWeights(truth));
}
