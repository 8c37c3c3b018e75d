/**
 * Preference vectors live on the probability simplex. These helpers turn
 * whatever a reasoner produced into a valid named vector, or report that
 * nothing usable is left.
 */
import {
  PREFERENCE_DIMENSIONS,
  PreferenceVector,
  type PreferenceDimension,
} from '../../shared/contracts/common.js';

/**
 * Euclidean projection of `values` onto { x ≥ 0, Σx = 1 } (Duchi et al., 2008):
 * the nearest valid vector, so small violations are corrected minimally.
 * Non-finite entries count as 0. Returns `undefined` for an empty input.
 */
export function projectOntoSimplex(values: readonly number[]): number[] | undefined {
  if (values.length === 0) return undefined;
  const v = values.map((x) => (Number.isFinite(x) ? x : 0));
  const sorted = [...v].sort((a, b) => b - a);
  let cumulative = 0;
  let theta = 0;
  for (let i = 0; i < sorted.length; i++) {
    cumulative += sorted[i] ?? 0;
    const t = (cumulative - 1) / (i + 1);
    if ((sorted[i] ?? 0) - t > 0) theta = t;
  }
  return v.map((x) => Math.max(x - theta, 0));
}

/** Named vector → array in the canonical dimension order. */
export function toArray(v: Record<PreferenceDimension, number>): number[] {
  return PREFERENCE_DIMENSIONS.map((d) => v[d]);
}

/** Array in the canonical order → named vector whose weights sum to exactly 1. */
export function fromArray(values: readonly number[]): PreferenceVector {
  const clean = PREFERENCE_DIMENSIONS.map((_, i) => Math.max(0, values[i] ?? 0));
  const sum = clean.reduce((a, b) => a + b, 0);
  const scaled = sum > 0 ? clean.map((x) => x / sum) : clean.map(() => 1 / clean.length);
  // Round to 6 decimals for readable output, then put the rounding residue on the largest weight.
  const rounded = scaled.map((x) => Math.round(x * 1e6) / 1e6);
  const residue = 1 - rounded.reduce((a, b) => a + b, 0);
  const top = rounded.indexOf(Math.max(...rounded));
  rounded[top] = Math.max(0, (rounded[top] ?? 0) + residue);
  const [latency = 0, reliability = 0, economics = 0, throughput = 0] = rounded;
  return { latency, reliability, economics, throughput };
}

/** Distance of a raw vector's sum from 1 (∞ when an entry is not finite). */
export function simplexViolation(values: readonly number[]): number {
  if (values.some((x) => !Number.isFinite(x))) return Infinity;
  const negative = values.reduce((acc, x) => acc + Math.max(0, -x), 0);
  return Math.abs(values.reduce((a, b) => a + b, 0) - 1) + negative;
}

/** The dimension with the largest weight (ties: canonical order). */
export function dominantDimension(v: PreferenceVector): PreferenceDimension {
  let best: PreferenceDimension = PREFERENCE_DIMENSIONS[0];
  for (const d of PREFERENCE_DIMENSIONS) if (v[d] > v[best]) best = d;
  return best;
}

/** True when `v` satisfies the wire schema (non-negative, sums to 1 within tolerance). */
export function isValidPreference(v: unknown): v is PreferenceVector {
  return PreferenceVector.safeParse(v).success;
}
