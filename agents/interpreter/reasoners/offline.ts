/**
 * The embedded default reasoner. It is not a language model: it returns the
 * retrieval estimate — a similarity-weighted vote/average over the retrieved
 * ⟨intent, vector⟩ examples, corrected by explicit domain cues — which is
 * deterministic, needs no network and answers in microseconds.
 */
import type { Reasoner } from '../types.js';

export const OFFLINE_REASONER_NAME = 'offline-knn';

export function createOfflineReasoner(): Reasoner {
  return {
    name: OFFLINE_REASONER_NAME,
    reason: (input) =>
      Promise.resolve({
        ...input.estimate,
        rationale: `Offline k-NN reasoner (not an LLM): ${input.estimate.rationale}`,
      }),
  };
}
