/**
 * The retrieval estimate: a similarity-weighted vote over the retrieved
 * examples, corrected by the request's explicit cues. This is the whole of
 * the offline reasoner and the fallback of every other reasoner.
 */
import {
  PREFERENCE_DIMENSIONS,
  SERVICE_TYPES,
  type PreferenceDimension,
  type ServiceType,
} from '../../shared/contracts/common.js';
import type { Cues } from './cues.js';
import { agreeWithClasses } from './agreement.js';
import { chooseClasses, describeClasses } from './class-choice.js';
import { dominantDimension, fromArray } from './simplex.js';
import type { Neighbour, ReasonerDraft } from './types.js';
import { argmax, vote } from './vote.js';

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
  const cueVector = fromArray(corrected);

  // Service type: the neighbours' vote plus cue evidence.
  const typeVote = vote(neighbours, SERVICE_TYPES, (n) => n.entry.profile.serviceType);
  const typeScores = Object.fromEntries(
    SERVICE_TYPES.map((t) => [t, typeVote[t] + options.serviceCueStrength * cues.serviceTypes[t]]),
  ) as Record<ServiceType, number>;
  const serviceType = argmax(typeScores, SERVICE_TYPES);

  // Classes: what the text states, else the vote among the examples of the chosen service type (all if none).
  const sameType = neighbours.filter((n) => n.entry.profile.serviceType === serviceType);
  const voters = sameType.length > 0 ? sameType : neighbours;
  const classes = chooseClasses(voters, cues, serviceType);
  const preference = agreeWithClasses(cueVector, {
    serviceType,
    latency: classes.latency.value,
    reliability: classes.reliability.value,
    cost: classes.cost.value,
  });

  // Confidence: agreement of the vote and closeness of the best example, and how sure each class is.
  const typeShare = neighbours.length === 0 ? 0 : typeVote[serviceType];
  const topSimilarity = neighbours.reduce((m, n) => Math.max(m, n.similarity), 0);
  const closeness = Math.min(1, Math.max(0, (topSimilarity - 0.2) / 0.6));
  const typeConfidence = 0.6 * typeShare + 0.4 * closeness;
  const classConfidence =
    (classes.latency.confidence + classes.reliability.confidence + classes.cost.confidence) / 3;
  const confidence = Math.round((0.5 * typeConfidence + 0.5 * classConfidence) * 1000) / 1000;

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
  notes.push(`classes: ${describeClasses(classes)}`);
  if (cues.classes.ignored.length > 0)
    notes.push(`ignored implausible figure(s): ${cues.classes.ignored.slice(0, 3).join(', ')}`);
  notes.push(`dominant dimension: ${dominant}`);

  return {
    preference,
    serviceType,
    latencyClass: classes.latency.value,
    reliabilityClass: classes.reliability.value,
    costClass: classes.cost.value,
    confidence,
    rationale: notes.join('; ') + '.',
  };
}
