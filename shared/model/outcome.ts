/**
 * Outcome terms on a common scale, for a learner to weight by a preference
 * vector (the environment itself computes no reward). The paper weights
 * latency, cost and reliability "of the same order of magnitude": each raw
 * figure is divided by its scale in OUTCOME_SCALES, so a typical placement
 * gives terms between 0 and about 1 (lower is better).
 */
import { OUTCOME_SCALES } from './config.js';
import type { Outcome } from './actions.js';

export interface NormalisedOutcome {
  /** latencyMs / 100. */
  latency: number;
  /** cost / 40 (the largest cost limit). */
  cost: number;
  /** reliability cost / 3. */
  reliability: number;
  /** 1 when the slice was placed and all its constraints hold, else 0. */
  served: number;
  /** Number of the slice's own constraints that fail (0..3). */
  violations: number;
  /** Other slices whose sharing limit the placement broke. */
  affected: number;
  /** Other slices whose reliability cost grew by one. */
  othersNewlyShared: number;
  /** 1 when the request was rejected. */
  rejected: number;
}

/** Fills `out` (reused if given) with the normalised terms of a step outcome. */
export function normaliseOutcome(
  outcome: Outcome,
  out: Partial<NormalisedOutcome> = {},
): NormalisedOutcome {
  const placed = outcome.placed;
  out.latency = placed ? outcome.latencyMs / OUTCOME_SCALES.latencyMs : 0;
  out.cost = placed ? outcome.cost / OUTCOME_SCALES.cost : 0;
  out.reliability = placed ? outcome.reliabilityCost / OUTCOME_SCALES.reliabilityCost : 0;
  out.served = outcome.served ? 1 : 0;
  let v = outcome.violations;
  let count = 0;
  while (v !== 0) {
    count += v & 1;
    v >>>= 1;
  }
  out.violations = count;
  out.affected = outcome.affected;
  out.othersNewlyShared = outcome.othersNewlyShared;
  out.rejected = placed ? 0 : 1;
  return out as NormalisedOutcome;
}

/**
 * Weighted cost of one placed slice on the common scale: the normalised
 * latency, cost and reliability terms summed with equal weights. The exact
 * oracle minimises its total as the tie-break among plans serving the most.
 */
export function tieBreakWeight(latencyMs: number, cost: number, reliabilityCost: number): number {
  return (
    latencyMs / OUTCOME_SCALES.latencyMs +
    cost / OUTCOME_SCALES.cost +
    reliabilityCost / OUTCOME_SCALES.reliabilityCost
  );
}
