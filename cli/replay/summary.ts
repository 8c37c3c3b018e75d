/**
 * The replay's totals, defined as `slicemesh eval` defines them so the two
 * are comparable (see docs/scenarios.md, "Summary figures").
 */
import type { JudgedAgainst, ReplaySliceResult, ReplaySummary } from './result.js';

function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  return values.reduce((a, b) => a + b, 0) / values.length;
}

const ratio = (count: number, of: number) => (of === 0 ? 0 : count / of);

/** States in which a slice holds no placement at the end (the eval harness's "not placed"). */
const UNPLACED: ReadonlySet<ReplaySliceResult['finalState']> = new Set([
  'rejected',
  'failed',
  'unseen',
]);

/** `truth` when every slice has a known truth, `inferred` when none has (or there are none). */
export function judgedAgainst(slices: readonly ReplaySliceResult[]): JudgedAgainst {
  const known = slices.filter((s) => s.truth !== null).length;
  if (known === 0) return 'inferred';
  return known === slices.length ? 'truth' : 'mixed';
}

/**
 * The figures `slicemesh eval` reports for an episode:
 * - `requests`: every slice the scenario requests;
 * - `served` / `availability`: slices whose placement met every QoE constraint of their truth
 *   (of the classes the mesh used where the truth is unknown), over `requests` (a slice that
 *   was never placed counts as not served); `servedAsInferred` / `availabilityAsInferred`: the
 *   same against the classes the mesh used, i.e. as the mesh judges itself;
 * - `judgedAgainst`: whose classes `availability` is judged against;
 * - `profileAccuracy`: correct profiles among the slices with a truth and a profile;
 * - `avgQoeScore`: over the served slices;
 * - the other averages: over every placed slice, served or not (null when none was placed). A
 *   slice released by a termination or its lifetime counts with the figures it last had.
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
  const servedAsInferred = slices.filter((s) => s.servedAsInferred).length;
  const checked = slices.filter((s) => s.profileCorrect !== null);
  const scores = slices.flatMap((s) => (s.served && s.qoeScore !== null ? [s.qoeScore] : []));
  return {
    requests: slices.length,
    served,
    availability: ratio(served, slices.length),
    servedAsInferred,
    availabilityAsInferred: ratio(servedAsInferred, slices.length),
    judgedAgainst: judgedAgainst(slices),
    profileAccuracy:
      checked.length === 0
        ? null
        : checked.filter((s) => s.profileCorrect === true).length / checked.length,
    avgQoeScore: mean(scores),
    avgLatencyMs: mean(placed.map((s) => s.latencyMs as number)),
    avgCost: mean(placed.map((s) => s.cost as number)),
    avgReliabilityCost: mean(placed.map((s) => s.reliabilityCost as number)),
  };
}
