/**
 * The metadata of one ⟨intent, preference⟩ entry as stored in the knowledge
 * and memory collections. The interpreter reads it; the memory-curator writes
 * memory entries with `encodeIntentMetadata` so both agree on one format.
 * Chroma metadata is flat, so structured fields are JSON strings.
 */
import type { z } from 'zod';
import { PreferenceVector, QoeFigures, SliceProfile } from '../contracts/common.js';
import { META, type RecordMetadata } from './types.js';

export const INTENT_SOURCES = ['knowledge', 'memory'] as const;
export type IntentSource = (typeof INTENT_SOURCES)[number];

export interface IntentEntry {
  readonly source: IntentSource;
  readonly preference: PreferenceVector;
  readonly profile: SliceProfile;
  /** Epoch ms of creation; drives the recency weighting of memory entries. */
  readonly createdAt: number;
  /** QoE observed when the slice ran (memory entries). */
  readonly qoe?: QoeFigures;
  /** Hash of the labelled content (knowledge entries), used for idempotent bootstrap. */
  readonly contentHash?: string;
}

/** Flat metadata keys of an intent entry (besides the store's own `provider`/`createdAt`/`updatedAt`). */
export const INTENT_META = {
  source: 'source',
  preference: 'preference',
  profile: 'profile',
  qoe: 'qoe',
  contentHash: 'contentHash',
} as const;

/** Flattens an entry into Chroma metadata. */
export function encodeIntentMetadata(entry: IntentEntry): RecordMetadata {
  const out: RecordMetadata = {
    [INTENT_META.source]: entry.source,
    [INTENT_META.preference]: JSON.stringify(entry.preference),
    [INTENT_META.profile]: JSON.stringify(entry.profile),
    [META.createdAt]: entry.createdAt,
  };
  if (entry.qoe !== undefined) out[INTENT_META.qoe] = JSON.stringify(entry.qoe);
  if (entry.contentHash !== undefined) out[INTENT_META.contentHash] = entry.contentHash;
  return out;
}

/** A JSON-string metadata value checked against `schema`; `undefined` when absent or invalid. */
export function parseJsonMetadata<T>(raw: unknown, schema: z.ZodType<T>): T | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads an entry back; `undefined` when the metadata is not a valid intent
 * entry (a retrieval step skips such records rather than trusting them).
 */
export function decodeIntentMetadata(
  metadata: RecordMetadata,
  fallbackSource: IntentSource,
): IntentEntry | undefined {
  const preference = parseJsonMetadata(metadata[INTENT_META.preference], PreferenceVector);
  const profile = parseJsonMetadata(metadata[INTENT_META.profile], SliceProfile);
  if (preference === undefined || profile === undefined) return undefined;
  const sourceRaw = metadata[INTENT_META.source];
  const source = INTENT_SOURCES.find((s) => s === sourceRaw) ?? fallbackSource;
  const createdAtRaw = metadata[META.createdAt];
  const createdAt =
    typeof createdAtRaw === 'number' && Number.isFinite(createdAtRaw) ? createdAtRaw : 0;
  const qoe = parseJsonMetadata(metadata[INTENT_META.qoe], QoeFigures);
  const hash = metadata[INTENT_META.contentHash];
  return {
    source,
    preference,
    profile,
    createdAt,
    ...(qoe !== undefined ? { qoe } : {}),
    ...(typeof hash === 'string' ? { contentHash: hash } : {}),
  };
}
