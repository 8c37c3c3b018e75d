/**
 * The replay's totals, defined as `slicemesh eval` defines them so the two
 * are comparable (see docs/scenarios.md, "Summary figures").
 */
import type { ReplaySliceResult, ReplaySummary } from './result.js';

function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * - `requests`: every slice the scenario requests;
 * - `served` / `availability`: slices whose placement met every QoE constraint, over `requests`;
 * - averages: over every slice that was placed (has QoE figures), served or not.
 */
export function summarise(slices: readonly ReplaySliceResult[]): ReplaySummary {
  const placed = slices.filter(
    (s) => s.latencyMs !== null && s.cost !== null && s.reliabilityCost !== null,
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
