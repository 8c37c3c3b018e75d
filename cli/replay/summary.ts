/**
 * The replay's totals, defined as `slicemesh eval` defines them so the two
 * are comparable (see docs/scenarios.md, "Summary figures").
 */
import type { ReplaySliceResult, ReplaySummary } from './result.js';

function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** States in which a slice holds no placement at the end (the eval harness's "not placed"). */
const UNPLACED: ReadonlySet<ReplaySliceResult['finalState']> = new Set([
  'rejected',
  'failed',
  'unseen',
]);

/**
 * The figures `slicemesh eval` reports for an episode:
 * - `requests`: every slice the scenario requests;
 * - `served` / `availability`: slices whose placement met every QoE constraint, over `requests`
 *   (a slice that was never placed counts as not served);
 * - averages: over every placed slice, served or not (null when none was placed). A slice
 *   released by a termination or its lifetime counts with the figures it last had.
 */
export function summarise(slices: readonly ReplaySliceResult[]): ReplaySummary {
  const placed = slices.filter(
    (s) =>
      !UNPLACED.has(s.finalState) &&
      s.latencyMs !== null &&
      s.cost !== null &&
      s.reliabilityCost !== null,
  );
  const served = slices.filter((s) => s.served).length;
  return {
    requests: slices.length,
    served,
    availability: slices.length === 0 ? 0 : served / slices.length,
    avgLatencyMs: mean(placed.map((s) => s.latencyMs as number)),
    avgCost: mean(placed.map((s) => s.cost as number)),
    avgReliabilityCost: mean(placed.map((s) => s.reliabilityCost as number)),
  };
}
