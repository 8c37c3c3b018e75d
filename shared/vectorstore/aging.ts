/**
 * Soft aging of memory-bank entries: the one definition shared by the
 * interpreter (which re-ranks retrieved neighbours with it) and the
 * memory-curator (which uses the same factor to decide what the bank keeps
 * when it is full). Changing a parameter here changes both.
 *
 * A memory entry counts fully when fresh; its influence halves every
 * `memoryHalfLifeMs` since it was last seen, down to `memoryFloor` — old
 * experience fades but never vanishes from retrieval. Knowledge-base entries
 * are curated and timeless: a constant factor.
 */
import type { IntentSource } from './intent-entry.js';

export interface AgingOptions {
  /** Recency factor of knowledge-base entries. */
  readonly knowledgeRecency: number;
  /** Half-life of a memory entry's influence, ms. */
  readonly memoryHalfLifeMs: number;
  /** Smallest recency factor a memory entry decays to. */
  readonly memoryFloor: number;
}

export const DEFAULT_AGING: AgingOptions = Object.freeze({
  knowledgeRecency: 0.8,
  memoryHalfLifeMs: 7 * 24 * 3600 * 1000,
  memoryFloor: 0.2,
});

/** Recency factor in (0, 1] of an entry of `source` last seen at `seenAt`, looked at `now`. */
export function recencyFactor(
  source: IntentSource,
  seenAt: number,
  now: number,
  options: AgingOptions = DEFAULT_AGING,
): number {
  if (source === 'knowledge') return options.knowledgeRecency;
  const age = Math.max(0, now - seenAt);
  const decay = 0.5 ** (age / options.memoryHalfLifeMs);
  return options.memoryFloor + (1 - options.memoryFloor) * decay;
}
