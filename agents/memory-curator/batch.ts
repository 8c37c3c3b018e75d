/**
 * How a batch of observations changes the memory bank, decided in arrival
 * order exactly as if they had come one at a time.
 *
 * The store is queried once for the whole batch, before any of it is applied.
 * Each observation then sees those hits with the batch's own work overlaid:
 * an entry the batch already changed replaces its stored version, and an
 * entry the batch founded joins the candidates with its similarity computed
 * here (its vector is the founding observation's). Vectors of stored entries
 * never change (an entry keeps its representative's vector), so the stored
 * top-k plus the batch's new entries always contain the current top-k.
 */
import { cosine } from '../../shared/embeddings/types.js';
import type { VectorHit } from '../../shared/vectorstore/types.js';
import { decodeMemoryEntry, type MemoryEntry } from './entry.js';
import {
  entryFromObservation,
  isMergeCandidate,
  mergeObservation,
  type MergeAction,
  type Observation,
} from './rules.js';

export interface BatchItem {
  readonly obs: Observation;
  /** The observation's text embedding. */
  readonly embedding: readonly number[];
  /** The store's nearest entries to `embedding` before the batch, best first. */
  readonly hits: readonly VectorHit[];
}

export interface BatchDecision {
  readonly action: MergeAction | 'inserted';
  readonly entryId: string;
  /** Similarity to the nearest entry of the same service type, if any was found. */
  readonly similarity?: number;
}

export interface PendingWrite {
  readonly entry: MemoryEntry;
  /** The entry's vector when the batch knows it (entries the batch founded). */
  readonly embedding?: readonly number[];
}

export interface BatchPlan {
  /** One per item, in order. */
  readonly decisions: readonly BatchDecision[];
  /** The final version of every entry the batch founded or changed, in first-touch order. */
  readonly writes: ReadonlyMap<string, PendingWrite>;
  /** Ids of the entries the batch founded. */
  readonly founded: ReadonlySet<string>;
}

export interface BatchRules {
  readonly mergeSimilarity: number;
  /** Nearest entries examined for a merge. */
  readonly candidates: number;
  readonly maxContributions: number;
}

interface Candidate {
  readonly entry: MemoryEntry | undefined;
  readonly similarity: number;
}

/** Decides every item of the batch in order; pure. */
export function planBatch(items: readonly BatchItem[], rules: BatchRules): BatchPlan {
  const writes = new Map<string, PendingWrite>();
  const founded = new Set<string>();
  const decisions: BatchDecision[] = [];

  for (const { obs, embedding, hits } of items) {
    const candidates: Candidate[] = hits.map((hit) => ({
      entry: writes.get(hit.id)?.entry ?? decodeMemoryEntry(hit),
      similarity: hit.similarity,
    }));
    for (const id of founded) {
      if (hits.some((h) => h.id === id)) continue;
      const write = writes.get(id);
      if (write?.embedding === undefined) continue;
      candidates.push({ entry: write.entry, similarity: cosine(embedding, write.embedding) });
    }
    // Stable: among equals the store's order comes first.
    candidates.sort((a, b) => b.similarity - a.similarity);

    let near: { entry: MemoryEntry; similarity: number } | undefined;
    let best: number | undefined;
    for (const { entry, similarity } of candidates.slice(0, rules.candidates)) {
      if (entry === undefined || entry.profile.serviceType !== obs.profile.serviceType) continue;
      best ??= similarity;
      if (isMergeCandidate(similarity, entry, obs, rules.mergeSimilarity))
        near = { entry, similarity };
      break; // best first: the first of this service type decides
    }

    if (near !== undefined) {
      const { entry, action } = mergeObservation(near.entry, obs, rules.maxContributions);
      if (action === 'merged' || action === 'superseded') {
        const known = writes.get(entry.id)?.embedding;
        writes.set(entry.id, known === undefined ? { entry } : { entry, embedding: known });
      }
      decisions.push({ action, entryId: entry.id, similarity: near.similarity });
      continue;
    }
    const entry = entryFromObservation(obs);
    writes.set(entry.id, { entry, embedding });
    founded.add(entry.id);
    decisions.push({
      action: 'inserted',
      entryId: entry.id,
      ...(best !== undefined ? { similarity: best } : {}),
    });
  }
  return { decisions, writes, founded };
}
