/**
 * A memory-bank entry as the curator sees it, and its flat Chroma metadata.
 *
 * The fields the interpreter reads are written with the shared
 * `encodeIntentMetadata` (source `memory`, preference, profile, qoe and
 * `createdAt`), so retrieval needs nothing curator-specific. `createdAt` is
 * the time the entry was last reinforced by an outcome: the interpreter's
 * soft aging counts from it, so an intent that keeps being confirmed stays
 * fresh while one nobody asks for any more fades. The curator's own
 * bookkeeping lives under `memory.*` keys that retrieval ignores.
 */
import { z } from 'zod';
import {
  Id,
  PreferenceVector,
  type QoeFigures,
  type SliceProfile,
} from '../../shared/contracts/common.js';
import {
  decodeIntentMetadata,
  encodeIntentMetadata,
  parseJsonMetadata,
} from '../../shared/vectorstore/intent-entry.js';
import type { RecordMetadata, StoredRecord } from '../../shared/vectorstore/types.js';

/** One slice's share in an entry, kept so a later outcome of the same slice replaces it. */
export const Contribution = z
  .object({
    sliceId: Id,
    /** Time of the outcome (epoch ms). */
    at: z.number().nonnegative(),
    quality: z.number().min(0).max(1),
    preference: PreferenceVector,
  })
  .strict();
export type Contribution = z.infer<typeof Contribution>;

export interface MemoryEntry {
  readonly id: string;
  /** The representative request text (the first one; its vector is the entry's vector). */
  readonly text: string;
  /** Quality-weighted mean of the contributing preferences. */
  readonly preference: PreferenceVector;
  /** Profile of the best-quality outcome seen. */
  readonly profile: SliceProfile;
  readonly bestQuality: number;
  /** Sum of the contributing qualities: the evidence behind `preference`. */
  readonly weight: number;
  /** Distinct slices counted (a slice's later outcomes replace, not add). */
  readonly observations: number;
  readonly firstSeenAt: number;
  /** Latest outcome time; also written as `createdAt`, the interpreter's aging clock. */
  readonly lastSeenAt: number;
  /** QoE observed in the latest outcome that reported figures. */
  readonly qoe?: QoeFigures | undefined;
  /** The most recent contributions, newest last (bounded). */
  readonly contributions: readonly Contribution[];
}

/** Curator bookkeeping keys (retrieval ignores them). */
export const MEMORY_META = {
  weight: 'memory.weight',
  observations: 'memory.observations',
  bestQuality: 'memory.bestQuality',
  firstSeenAt: 'memory.firstSeenAt',
  lastSeenAt: 'memory.lastSeenAt',
  contributions: 'memory.contributions',
} as const;

/** Flattens an entry into the metadata the interpreter and the curator read back. */
export function encodeMemoryEntry(entry: MemoryEntry): RecordMetadata {
  return {
    ...encodeIntentMetadata({
      source: 'memory',
      preference: entry.preference,
      profile: entry.profile,
      createdAt: entry.lastSeenAt,
      ...(entry.qoe !== undefined ? { qoe: entry.qoe } : {}),
    }),
    [MEMORY_META.weight]: entry.weight,
    [MEMORY_META.observations]: entry.observations,
    [MEMORY_META.bestQuality]: entry.bestQuality,
    [MEMORY_META.firstSeenAt]: entry.firstSeenAt,
    [MEMORY_META.lastSeenAt]: entry.lastSeenAt,
    [MEMORY_META.contributions]: JSON.stringify(entry.contributions),
  };
}

function finiteNumber(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

const Contributions = z.array(Contribution);

/**
 * Reads a stored record back; `undefined` when it is not a valid intent entry.
 * Entries written without curator bookkeeping (by hand, or by an older
 * version) count as one observation of full weight seen at `createdAt`.
 */
export function decodeMemoryEntry(record: StoredRecord): MemoryEntry | undefined {
  const intent = decodeIntentMetadata(record.metadata, 'memory');
  if (intent === undefined) return undefined;
  const m = record.metadata;
  const lastSeenAt = finiteNumber(m[MEMORY_META.lastSeenAt], intent.createdAt);
  return {
    id: record.id,
    text: record.document,
    preference: intent.preference,
    profile: intent.profile,
    bestQuality: finiteNumber(m[MEMORY_META.bestQuality], 1),
    weight: Math.max(0, finiteNumber(m[MEMORY_META.weight], 1)),
    observations: Math.max(1, Math.round(finiteNumber(m[MEMORY_META.observations], 1))),
    firstSeenAt: finiteNumber(m[MEMORY_META.firstSeenAt], lastSeenAt),
    lastSeenAt,
    ...(intent.qoe !== undefined ? { qoe: intent.qoe } : {}),
    contributions: parseJsonMetadata(m[MEMORY_META.contributions], Contributions) ?? [],
  };
}
