/** Similarity-weighted votes of retrieved examples (their weights sum to 1). */
import type { Neighbour } from './types.js';

/** The key with the largest score; ties go to the earlier key of `order`. */
export function argmax<K extends string>(scores: Record<K, number>, order: readonly K[]): K {
  let best = order[0] as K;
  for (const k of order) if (scores[k] > scores[best]) best = k;
  return best;
}

/** Sum of the neighbours' weights per value of `pick`. */
export function vote<K extends string>(
  neighbours: readonly Neighbour[],
  order: readonly K[],
  pick: (n: Neighbour) => K,
): Record<K, number> {
  const scores = Object.fromEntries(order.map((k) => [k, 0])) as Record<K, number>;
  for (const n of neighbours) scores[pick(n)] += n.weight;
  return scores;
}
