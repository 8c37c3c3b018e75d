/**
 * The retrieval estimate: a similarity-weighted vote over the retrieved
 * examples, corrected by the request's explicit cues. This is the whole of
 * the offline reasoner and the fallback of every other reasoner.
 */
import {
  COST_CLASSES,
  PREFERENCE_DIMENSIONS,
  PRIORITY_CLASSES,
  SERVICE_TYPES,
  type PreferenceDimension,
  type ServiceType,
} from '../../shared/contracts/common.js';
import type { Cues } from './cues.js';
import { dominantDimension, fromArray } from './simplex.js';
import type { Neighbour, ReasonerDraft } from './types.js';

export interface EstimateOptions {
  /** Strength of the cue correction: preference ∝ vote × exp(cueStrength × evidence). */
  readonly cueStrength: number;
  /** Weight of service-type cues against the neighbours' vote (which sums to 1). */
  readonly serviceCueStrength: number;
}

export const DEFAULT_ESTIMATE_OPTIONS: EstimateOptions = {
  cueStrength: 0.25,
  serviceCueStrength: 0.3,
};

type Priority = (typeof PRIORITY_CLASSES)[number];

function argmax<K extends string>(scores: Record<K, number>, order: readonly K[]): K {
  let best = order[0] as K;
  for (const k of order) if (scores[k] > scores[best]) best = k;
  return best;
}

function vote<K extends string>(
  neighbours: readonly Neighbour[],
  order: readonly K[],
  pick: (n: Neighbour) => K,
): Record<K, number> {
  const scores = Object.fromEntries(order.map((k) => [k, 0])) as Record<K, number>;
  for (const n of neighbours) scores[pick(n)] += n.weight;
  return scores;
}

/** The winning class of the voters' weighted vote, or `fallback` when there are none. */
function classVote<K extends string>(
  voters: readonly Neighbour[],
  order: readonly K[],
  pick: (n: Neighbour) => K,
  fallback: K,
): K {
  return voters.length > 0 ? argmax(vote(voters, order, pick), order) : fallback;
}

const rank = (c: Priority) => PRIORITY_CLASSES.indexOf(c); // 0 = high

/** At least as strict as `floor` (high < medium < best-effort in rank). */
const atLeast = (c: Priority, floor: Priority): Priority => (rank(c) > rank(floor) ? floor : c);

/** Builds the retrieval estimate. Neighbours must carry normalised weights. */
export function estimateFromNeighbours(
  neighbours: readonly Neighbour[],
  cues: Cues,
  options: EstimateOptions = DEFAULT_ESTIMATE_OPTIONS,
): ReasonerDraft {
  const notes: string[] = [];

  // Preference: weighted average of the examples' vectors, then the cue correction.
  const base = PREFERENCE_DIMENSIONS.map((d) =>
    neighbours.length === 0
      ? 0.25
      : neighbours.reduce((acc, n) => acc + n.weight * n.entry.preference[d], 0),
  );
  const corrected = base.map(
    (x, i) =>
      x *
      Math.exp(
        options.cueStrength * cues.dimensions[PREFERENCE_DIMENSIONS[i] as PreferenceDimension],
      ),
  );
  const preference = fromArray(corrected);

  // Service type: the neighbours' vote plus cue evidence.
  const typeVote = vote(neighbours, SERVICE_TYPES, (n) => n.entry.profile.serviceType);
  const typeScores = Object.fromEntries(
    SERVICE_TYPES.map((t) => [t, typeVote[t] + options.serviceCueStrength * cues.serviceTypes[t]]),
  ) as Record<ServiceType, number>;
  const serviceType = argmax(typeScores, SERVICE_TYPES);

  // Classes: vote among the examples of the chosen service type (all if none).
  const sameType = neighbours.filter((n) => n.entry.profile.serviceType === serviceType);
  const voters = sameType.length > 0 ? sameType : neighbours;
  let latencyClass = classVote(voters, PRIORITY_CLASSES, (n) => n.entry.profile.latency, 'medium');
  let reliabilityClass = classVote(
    voters,
    PRIORITY_CLASSES,
    (n) => n.entry.profile.reliability,
    'medium',
  );
  let costClass = classVote(voters, COST_CLASSES, (n) => n.entry.profile.cost, 'general');

  // Stated figures and explicit phrases outrank the neighbours' classes.
  const ms = cues.figures.latencyMs;
  if (ms !== undefined && ms <= 30) latencyClass = 'high';
  else if (ms !== undefined && ms <= 100) latencyClass = atLeast(latencyClass, 'medium');
  if (cues.dimensions.latency <= -2 && latencyClass === 'high') latencyClass = 'medium';
  if ((cues.figures.availabilityPercent ?? 0) >= 99.99 || cues.dimensions.reliability >= 3.5) {
    reliabilityClass = atLeast(reliabilityClass, 'medium');
    if ((cues.figures.availabilityPercent ?? 0) >= 99.99) reliabilityClass = 'high';
  }
  if (cues.dimensions.economics >= 2) costClass = 'cost-sensitive';

  // Confidence: agreement of the vote and closeness of the best example.
  const typeShare = neighbours.length === 0 ? 0 : typeVote[serviceType];
  const topSimilarity = neighbours.reduce((m, n) => Math.max(m, n.similarity), 0);
  const closeness = Math.min(1, Math.max(0, (topSimilarity - 0.2) / 0.6));
  const confidence = Math.round((0.6 * typeShare + 0.4 * closeness) * 1000) / 1000;

  const dominant = dominantDimension(preference);
  if (neighbours.length === 0)
    notes.push('no similar examples were found; estimate from cues only');
  else {
    const best = neighbours[0];
    notes.push(
      `${neighbours.length} similar examples (best ${best?.id ?? '?'} at similarity ${(best?.similarity ?? 0).toFixed(2)}) ` +
        `vote ${serviceType} (${Math.round(typeShare * 100)} %)`,
    );
  }
  if (cues.matched.length > 0) notes.push(`cues: ${cues.matched.slice(0, 6).join(', ')}`);
  notes.push(`dominant dimension: ${dominant}`);

  return {
    preference,
    serviceType,
    latencyClass,
    reliabilityClass,
    costClass,
    confidence,
    rationale: notes.join('; ') + '.',
  };
}
