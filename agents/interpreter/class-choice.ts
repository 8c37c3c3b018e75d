/**
 * The SLA classes of the retrieval estimate: what the request states about a
 * class decides it; where it states nothing, the similar examples vote, and
 * the service type's rules of docs/knowledge-base.md fill in what neither
 * settles (URLLC is never best-effort on latency and is high on latency or
 * reliability; mMTC is never high on latency).
 *
 * Each class carries a confidence, calibrated on the knowledge base in 5-fold
 * cross-validation (share of classes right per basis): a stated class 0.9 for a
 * figure or a specific statement (measured 0.91–1.00), 0.75 for a general one;
 * a voted class the share of the vote behind it (votes of 70 % or more were
 * right 0.81–0.96 of the time, smaller ones 0.50–0.73); a class set by a rule
 * 0.6 (measured 0.59–0.64). The rationale names every class below
 * UNCERTAIN_BELOW and what was chosen.
 */
import {
  COST_CLASSES,
  PRIORITY_CLASSES,
  type CostClass,
  type LatencyClass,
  type ReliabilityClass,
  type ServiceType,
} from '../../shared/contracts/common.js';
import type { ClassStatement } from './class-statements.js';
import type { Cues } from './cues.js';
import type { Neighbour } from './types.js';
import { argmax, vote } from './vote.js';

export interface ChosenClass<C extends string> {
  readonly value: C;
  readonly confidence: number;
  /** `stated "<words>"` or `voted 62 %`, for the rationale. */
  readonly basis: string;
  readonly stated: boolean;
}

export interface ChosenClasses {
  readonly latency: ChosenClass<LatencyClass>;
  readonly reliability: ChosenClass<ReliabilityClass>;
  readonly cost: ChosenClass<CostClass>;
}

/** Below this a class is reported as uncertain. */
export const UNCERTAIN_BELOW = 0.6;
/** A stricter class needs at least this share of the vote, counted from the strictest down. */
const STRICTER_NEEDS = 0.5;
/** A vote this one-sided overrides the weakest-class default for reliability. */
const AGREEING_VOTE = 0.7;

function fromStatement<C extends string>(s: ClassStatement<C>): ChosenClass<C> {
  return {
    value: s.value,
    confidence: s.strength >= 3 ? 0.9 : 0.75,
    basis: `stated "${s.evidence.slice(0, 60)}"`,
    stated: true,
  };
}

function fromVote<C extends string>(
  voters: readonly Neighbour[],
  order: readonly C[],
  pick: (n: Neighbour) => C,
  fallback: C,
): ChosenClass<C> {
  if (voters.length === 0)
    return { value: fallback, confidence: 0.3, basis: 'no examples, default', stated: false };
  const scores = vote(voters, order, pick);
  const total = order.reduce((sum, k) => sum + scores[k], 0);
  // The labelling rules give a request the weakest class that still satisfies what it says: when the
  // text says nothing, a stricter class needs more than WEAKER_UNLESS of the vote behind it (or stricter).
  let value = argmax(scores, order);
  let behind = 0;
  for (let i = 0; i < order.length; i++) {
    const k = order[i] as C;
    behind += total > 0 ? scores[k] / total : 0;
    if (behind >= STRICTER_NEEDS) {
      value = k;
      break;
    }
  }
  const share = total > 0 ? scores[value] / total : 0;
  return {
    value,
    confidence: Math.round(share * 1000) / 1000,
    basis: `voted ${Math.round(share * 100)} %`,
    stated: false,
  };
}

function ruled<C extends string>(value: C, why: string): ChosenClass<C> {
  return { value, confidence: 0.6, basis: why, stated: false };
}

/**
 * Reliability the text says nothing about: the weakest class the service type allows (URLLC
 * medium, else best-effort), as the labelling rules assign it, unless the request stresses
 * reliability in other words (alarms, protection, safety) or its closest examples agree on a
 * stricter class.
 */
function unstatedReliability(
  voters: readonly Neighbour[],
  cues: Cues,
  serviceType: ServiceType,
): ChosenClass<ReliabilityClass> {
  const voted = fromVote(voters, PRIORITY_CLASSES, (n) => n.entry.profile.reliability, 'medium');
  if (cues.dimensions.reliability > 0 || voted.confidence >= AGREEING_VOTE) return voted;
  return ruled(
    serviceType === 'URLLC' ? 'medium' : 'best-effort',
    'nothing said about reliability',
  );
}

/** Chooses the three classes for a request of `serviceType`. */
export function chooseClasses(
  voters: readonly Neighbour[],
  cues: Cues,
  serviceType: ServiceType,
): ChosenClasses {
  const said = cues.classes;
  let latency = said.latency
    ? fromStatement(said.latency)
    : fromVote(voters, PRIORITY_CLASSES, (n) => n.entry.profile.latency, 'medium');
  let reliability = said.reliability
    ? fromStatement(said.reliability)
    : unstatedReliability(voters, cues, serviceType);
  let cost = said.cost
    ? fromStatement(said.cost)
    : fromVote(voters, COST_CLASSES, (n) => n.entry.profile.cost, 'general');

  // Strong but unlabelled evidence still moves a voted class.
  if (!latency.stated && cues.dimensions.latency <= -2 && latency.value === 'high')
    latency = ruled('medium', 'latency relaxed');
  if (
    !reliability.stated &&
    cues.dimensions.reliability >= 3.5 &&
    reliability.value === 'best-effort'
  )
    reliability = ruled('medium', 'reliability stressed');
  if (!cost.stated && cues.dimensions.economics >= 2)
    cost = ruled('cost-sensitive', 'cost stressed');

  // The service type's rules fill in what the text left open; what the text states is never overridden.
  if (serviceType === 'URLLC') {
    if (!latency.stated && latency.value === 'best-effort')
      latency = ruled('medium', 'URLLC is never best-effort on latency');
    if (latency.value !== 'high' && reliability.value !== 'high') {
      if (!latency.stated) latency = ruled('high', 'URLLC needs latency or reliability high');
      else if (!reliability.stated)
        reliability = ruled('high', 'URLLC needs latency or reliability high');
    }
  }
  if (serviceType === 'mMTC' && !latency.stated && latency.value === 'high')
    latency = ruled('medium', 'mMTC is never high on latency');
  // mMTC is cost-sensitive by default, unless the request stresses safety or timeliness.
  if (serviceType === 'mMTC' && !cost.stated) {
    const stressed = latency.value === 'high' || reliability.value === 'high';
    const value = stressed ? 'general' : 'cost-sensitive';
    if (cost.value !== value)
      cost = ruled(value, stressed ? 'mMTC stressing safety or timeliness' : 'mMTC fleet');
  }
  return { latency, reliability, cost };
}

/** "latency high (stated "under 30 ms"), reliability medium (uncertain: voted 48 %), …" */
export function describeClasses(classes: ChosenClasses): string {
  return (['latency', 'reliability', 'cost'] as const)
    .map((k) => {
      const c = classes[k];
      const uncertain = c.confidence < UNCERTAIN_BELOW ? 'uncertain: ' : '';
      return `${k} ${c.value} (${uncertain}${c.basis})`;
    })
    .join(', ');
}
