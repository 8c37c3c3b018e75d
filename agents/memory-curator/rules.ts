/**
 * The memory bank's rules as pure functions: how an outcome becomes an entry,
 * how it is merged into a near-duplicate, and which entry goes when the bank
 * is full. The curator applies them; docs/memory.md explains them.
 */
import {
  PREFERENCE_DIMENSIONS,
  type PreferenceVector,
  type QoeFigures,
  type SliceProfile,
} from '../../shared/contracts/common.js';
import { DEFAULT_AGING, recencyFactor, type AgingOptions } from '../../shared/vectorstore/aging.js';
import type { Contribution, MemoryEntry } from './entry.js';

/** One slice outcome, ready to be remembered. */
export interface Observation {
  readonly sliceId: string;
  readonly at: number;
  readonly text: string;
  readonly preference: PreferenceVector;
  readonly profile: SliceProfile;
  /** Outcome quality in [0, 1] (see quality.ts). */
  readonly quality: number;
  readonly qoe?: QoeFigures | undefined;
}

/** What merging did: counted a new slice, replaced a slice's earlier outcome, or nothing. */
export type MergeAction = 'merged' | 'superseded' | 'duplicate' | 'stale';

/** Most contributions an entry remembers individually (older ones stay in its mean). */
export const DEFAULT_MAX_CONTRIBUTIONS = 16;

const EPSILON = 1e-9;

/** Clamps float drift (tiny negatives) and renormalises onto the simplex. */
export function toSimplex(
  v: Record<(typeof PREFERENCE_DIMENSIONS)[number], number>,
): PreferenceVector {
  const clamped = PREFERENCE_DIMENSIONS.map((d) => Math.max(0, Number.isFinite(v[d]) ? v[d] : 0));
  const total = clamped.reduce((a, b) => a + b, 0);
  const [latency, reliability, economics, throughput] =
    total > 0 ? clamped.map((x) => x / total) : [0.25, 0.25, 0.25, 0.25];
  return {
    latency: latency ?? 0,
    reliability: reliability ?? 0,
    economics: economics ?? 0,
    throughput: throughput ?? 0,
  };
}

/** Memory id of the entry an observation founds. */
export function memoryEntryId(sliceId: string, at: number): string {
  return `mem-${sliceId}-${at}`;
}

function contributionOf(obs: Observation): Contribution {
  return { sliceId: obs.sliceId, at: obs.at, quality: obs.quality, preference: obs.preference };
}

/** A new entry holding one observation. */
export function entryFromObservation(obs: Observation): MemoryEntry {
  return {
    id: memoryEntryId(obs.sliceId, obs.at),
    text: obs.text,
    preference: obs.preference,
    profile: obs.profile,
    bestQuality: obs.quality,
    weight: obs.quality,
    observations: 1,
    firstSeenAt: obs.at,
    lastSeenAt: obs.at,
    ...(obs.qoe !== undefined ? { qoe: obs.qoe } : {}),
    contributions: [contributionOf(obs)],
  };
}

/**
 * Merges an observation into a near-duplicate entry.
 *
 * - preference ← quality-weighted running mean: (W·p + q·p_new) / (W + q), W = Σ qualities so far;
 * - one slice, one vote: if the slice already contributed, its earlier share (q_old, p_old) is
 *   taken out first (`superseded`); the same or an older outcome of it changes nothing;
 * - observations +1 (not on supersede); lastSeenAt ← max, so the entry's aging restarts;
 * - profile ← the profile of the best-quality outcome seen; qoe ← the latest figures;
 * - the representative text and vector stay those of the entry's first outcome.
 */
export function mergeObservation(
  entry: MemoryEntry,
  obs: Observation,
  maxContributions = DEFAULT_MAX_CONTRIBUTIONS,
): { entry: MemoryEntry; action: MergeAction } {
  const previous = entry.contributions.find((c) => c.sliceId === obs.sliceId);
  if (previous !== undefined && obs.at === previous.at) return { entry, action: 'duplicate' };
  if (previous !== undefined && obs.at < previous.at) return { entry, action: 'stale' };

  let weight = entry.weight;
  const sum = Object.fromEntries(
    PREFERENCE_DIMENSIONS.map((d) => [d, entry.preference[d] * entry.weight]),
  ) as Record<(typeof PREFERENCE_DIMENSIONS)[number], number>;
  if (previous !== undefined) {
    weight -= previous.quality;
    for (const d of PREFERENCE_DIMENSIONS) sum[d] -= previous.quality * previous.preference[d];
  }
  weight = Math.max(0, weight) + obs.quality;
  for (const d of PREFERENCE_DIMENSIONS) sum[d] += obs.quality * obs.preference[d];
  const preference =
    weight > EPSILON
      ? toSimplex(
          Object.fromEntries(PREFERENCE_DIMENSIONS.map((d) => [d, sum[d] / weight])) as Record<
            (typeof PREFERENCE_DIMENSIONS)[number],
            number
          >,
        )
      : entry.preference;

  const better = obs.quality >= entry.bestQuality;
  const newest = obs.at >= entry.lastSeenAt;
  const contributions = [
    ...entry.contributions.filter((c) => c.sliceId !== obs.sliceId),
    contributionOf(obs),
  ]
    .sort((a, b) => a.at - b.at)
    .slice(-Math.max(1, maxContributions));

  return {
    action: previous === undefined ? 'merged' : 'superseded',
    entry: {
      ...entry,
      preference,
      profile: better ? obs.profile : entry.profile,
      bestQuality: better ? obs.quality : entry.bestQuality,
      weight,
      observations: entry.observations + (previous === undefined ? 1 : 0),
      firstSeenAt: Math.min(entry.firstSeenAt, obs.at),
      lastSeenAt: Math.max(entry.lastSeenAt, obs.at),
      ...(newest && obs.qoe !== undefined ? { qoe: obs.qoe } : {}),
      contributions,
    },
  };
}

/**
 * Whether an observation may be merged into an existing entry: similar enough
 * AND the same service type. Word-vector embeddings put "5 ms, high
 * reliability" and "50 ms, low cost" variants of one sentence close together;
 * the service type keeps such different intents apart.
 */
export function isMergeCandidate(
  similarity: number,
  entry: Pick<MemoryEntry, 'profile'>,
  obs: Pick<Observation, 'profile'>,
  threshold: number,
): boolean {
  return similarity >= threshold && entry.profile.serviceType === obs.profile.serviceType;
}

/** How much an entry is worth keeping for its evidence alone: 1 − e^(−W), saturating in the summed quality W. */
export function usefulness(entry: Pick<MemoryEntry, 'weight'>): number {
  return 1 - Math.exp(-Math.max(0, entry.weight));
}

/** Retention score = the same soft-aging factor retrieval uses × usefulness. */
export function retention(
  entry: Pick<MemoryEntry, 'weight' | 'lastSeenAt'>,
  now: number,
  aging: AgingOptions = DEFAULT_AGING,
): number {
  return recencyFactor('memory', entry.lastSeenAt, now, aging) * usefulness(entry);
}

/**
 * The `excess` entries with the lowest retention (ties: least recently seen,
 * then id), never one of `keep`. Deterministic for the same input.
 */
export function chooseEvictions(
  entries: readonly MemoryEntry[],
  excess: number,
  now: number,
  keep: ReadonlySet<string> = new Set(),
  aging: AgingOptions = DEFAULT_AGING,
): { entry: MemoryEntry; retention: number }[] {
  if (excess <= 0) return [];
  return entries
    .filter((e) => !keep.has(e.id))
    .map((entry) => ({ entry, retention: retention(entry, now, aging) }))
    .sort(
      (a, b) =>
        a.retention - b.retention ||
        a.entry.lastSeenAt - b.entry.lastSeenAt ||
        (a.entry.id < b.entry.id ? -1 : a.entry.id > b.entry.id ? 1 : 0),
    )
    .slice(0, excess);
}
