/**
 * Makes the estimated preference vector agree with the chosen classes, as
 * the labelling rules of docs/knowledge-base.md require of every labelled
 * pair: latency high → latency ≥ 0.25 and among the top two; best-effort
 * latency or reliability → ≤ 0.20 and not dominant; reliability high →
 * ≥ 0.20; cost-sensitive → economics ≥ 0.25; general → economics ≤ 0.20;
 * throughput dominant only for eMBB.
 *
 * The neighbours' vector is moved as little as it takes: weights are clipped
 * into their bounds and the difference is spread over the unbound weights in
 * proportion to their size, a few rounds until nothing moves. The placement
 * reward of qappo weighs by this vector, so a vector that contradicts the
 * classes would steer it against the request it reads.
 */
import {
  PREFERENCE_DIMENSIONS,
  type CostClass,
  type LatencyClass,
  type PreferenceDimension,
  type PreferenceVector,
  type ReliabilityClass,
  type ServiceType,
} from '../../shared/contracts/common.js';
import { fromArray } from './simplex.js';

export interface ClassesOfVector {
  readonly serviceType: ServiceType;
  readonly latency: LatencyClass;
  readonly reliability: ReliabilityClass;
  readonly cost: CostClass;
}

/** Room kept between a capped weight and the largest other one, so "not dominant" holds after rounding. */
const MARGIN = 0.02;
const ROUNDS = 24;

type Bounds = Record<PreferenceDimension, { lo: number; hi: number }>;

function staticBounds(classes: ClassesOfVector): Bounds {
  const b = Object.fromEntries(PREFERENCE_DIMENSIONS.map((d) => [d, { lo: 0, hi: 1 }])) as Bounds;
  if (classes.latency === 'high') b.latency.lo = 0.25;
  if (classes.latency === 'best-effort') b.latency.hi = 0.2;
  if (classes.reliability === 'high') b.reliability.lo = 0.2;
  if (classes.reliability === 'best-effort') b.reliability.hi = 0.2;
  if (classes.cost === 'cost-sensitive') b.economics.lo = 0.25;
  else b.economics.hi = 0.2;
  return b;
}

const largestOther = (x: Record<PreferenceDimension, number>, d: PreferenceDimension) =>
  Math.max(...PREFERENCE_DIMENSIONS.filter((o) => o !== d).map((o) => x[o]));

const secondLargestOther = (x: Record<PreferenceDimension, number>, d: PreferenceDimension) => {
  const others = PREFERENCE_DIMENSIONS.filter((o) => o !== d)
    .map((o) => x[o])
    .sort((a, b) => b - a);
  return others[1] ?? 0;
};

/** The vector closest in shape to `p` that the rules accept for `classes`. */
export function agreeWithClasses(p: PreferenceVector, classes: ClassesOfVector): PreferenceVector {
  const x = { ...p } as Record<PreferenceDimension, number>;
  const fixed = staticBounds(classes);
  for (let round = 0; round < ROUNDS; round++) {
    const bounds: Bounds = structuredClone(fixed);
    // The order constraints depend on the other weights, so they are re-read every round.
    if (classes.latency === 'best-effort')
      bounds.latency.hi = Math.min(bounds.latency.hi, largestOther(x, 'latency') - MARGIN);
    if (classes.reliability === 'best-effort')
      bounds.reliability.hi = Math.min(
        bounds.reliability.hi,
        largestOther(x, 'reliability') - MARGIN,
      );
    if (classes.serviceType !== 'eMBB')
      bounds.throughput.hi = Math.min(bounds.throughput.hi, largestOther(x, 'throughput') - MARGIN);
    if (classes.latency === 'high')
      bounds.latency.lo = Math.max(bounds.latency.lo, secondLargestOther(x, 'latency') + MARGIN);
    let moved = 0;
    for (const d of PREFERENCE_DIMENSIONS) {
      const { lo, hi } = bounds[d];
      const clipped = Math.min(Math.max(x[d], lo), Math.max(lo, hi));
      moved += Math.abs(clipped - x[d]);
      x[d] = clipped;
    }
    // Too much weight is taken from weights above their floor, too little given to weights below their cap.
    const excess = PREFERENCE_DIMENSIONS.reduce((s, d) => s + x[d], 0) - 1;
    const movable = PREFERENCE_DIMENSIONS.filter((d) =>
      excess > 0 ? x[d] > bounds[d].lo + 1e-9 : x[d] < bounds[d].hi - 1e-9,
    );
    const pool = movable.length > 0 ? movable : [...PREFERENCE_DIMENSIONS];
    const size = (d: PreferenceDimension) => (excess > 0 ? x[d] : x[d] + 0.01);
    const poolSum = pool.reduce((s, d) => s + size(d), 0);
    for (const d of pool) {
      const share = poolSum > 1e-9 ? size(d) / poolSum : 1 / pool.length;
      x[d] = Math.max(0, x[d] - excess * share);
    }
    if (moved < 1e-6 && Math.abs(excess) < 1e-9) break;
  }
  return fromArray(PREFERENCE_DIMENSIONS.map((d) => x[d]));
}
