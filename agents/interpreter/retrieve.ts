/**
 * Retrieval over the knowledge base and the memory bank, re-ranked by
 * similarity and recency.
 *
 * Each hit's weight is exp(similarity / τ) × recency. Knowledge entries are
 * curated and timeless: a constant recency. Memory entries are observed
 * outcomes: fresh ones count fully and their influence halves every
 * `memoryHalfLifeMs`, down to a floor — old memories fade but are never
 * deleted or ignored.
 */
import type { VectorCollection, VectorHit } from '../../shared/vectorstore/types.js';
import { decodeIntentMetadata, type IntentSource } from '../../shared/vectorstore/intent-entry.js';
import { DEFAULT_AGING, recencyFactor, type AgingOptions } from '../../shared/vectorstore/aging.js';
import type { Neighbour } from './types.js';

/** Retrieval settings on top of the aging shared with the memory-curator. */
export interface RetrievalOptions extends AgingOptions {
  /** Neighbours kept after re-ranking. */
  readonly k: number;
  /** Candidates fetched from each collection before re-ranking. */
  readonly candidates: number;
  /** Softmax temperature τ over cosine similarity. */
  readonly temperature: number;
}

export const DEFAULT_RETRIEVAL_OPTIONS: RetrievalOptions = {
  k: 10,
  candidates: 16,
  temperature: 0.05,
  // Aging is defined once, with the memory-curator (shared/vectorstore/aging.ts).
  ...DEFAULT_AGING,
};

export { recencyFactor };

export interface SourcedHit {
  readonly source: IntentSource;
  readonly hit: VectorHit;
}

/** Re-ranks hits from both collections into the top-k neighbours with normalised weights. */
export function rerank(
  hits: readonly SourcedHit[],
  now: number,
  options: RetrievalOptions,
): Neighbour[] {
  const scored: { n: Omit<Neighbour, 'weight'>; logScore: number }[] = [];
  for (const { source, hit } of hits) {
    const entry = decodeIntentMetadata(hit.metadata, source);
    if (entry === undefined) continue; // a malformed record must not steer the answer
    const similarity = Number.isFinite(hit.similarity) ? hit.similarity : 0;
    const recency = recencyFactor(entry.source, entry.createdAt, now, options);
    scored.push({
      n: { id: hit.id, source: entry.source, text: hit.document, similarity, recency, entry },
      logScore: similarity / options.temperature + Math.log(recency),
    });
  }
  // Best first; ties by id so the order is deterministic.
  scored.sort((a, b) => b.logScore - a.logScore || (a.n.id < b.n.id ? -1 : 1));
  const top = scored.slice(0, options.k);
  const max = top[0]?.logScore ?? 0;
  const raw = top.map((s) => Math.exp(s.logScore - max));
  const total = raw.reduce((a, b) => a + b, 0);
  return top.map((s, i) => ({ ...s.n, weight: total > 0 ? (raw[i] ?? 0) / total : 0 }));
}

/** What retrieval needs of a source: a collection, or the knowledge base's in-process index. */
export type NeighbourSearch = Pick<VectorCollection, 'query'>;

export interface RetrievalSources {
  readonly knowledge: NeighbourSearch;
  readonly memory?: NeighbourSearch | undefined;
}

/** Queries both collections in parallel and re-ranks the union. */
export async function retrieveNeighbours(
  sources: RetrievalSources,
  embedding: readonly number[],
  now: number,
  options: RetrievalOptions = DEFAULT_RETRIEVAL_OPTIONS,
): Promise<Neighbour[]> {
  const [knowledge, memory] = await Promise.all([
    sources.knowledge.query(embedding, options.candidates),
    sources.memory ? sources.memory.query(embedding, options.candidates) : Promise.resolve([]),
  ]);
  return rerank(
    [
      ...knowledge.map((hit) => ({ source: 'knowledge' as const, hit })),
      ...memory.map((hit) => ({ source: 'memory' as const, hit })),
    ],
    now,
    options,
  );
}
