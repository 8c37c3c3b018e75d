/** Data that flows through the interpreter graph. */
import { z } from 'zod';
import {
  CostClass,
  LatencyClass,
  ReliabilityClass,
  ServiceType,
  type PreferenceVector,
  type SlaClasses,
  type SliceProfile,
} from '../../shared/contracts/common.js';
import type { IntentEntry, IntentSource } from '../../shared/vectorstore/intent-entry.js';
import type { Cues } from './cues.js';

/** One retrieved ⟨intent, vector⟩ example after re-ranking. */
export interface Neighbour {
  readonly id: string;
  readonly source: IntentSource;
  /** The example's request text. */
  readonly text: string;
  /** Cosine similarity to the request. */
  readonly similarity: number;
  /** Recency factor in (0, 1]: fresh memory 1, old memory fades to a floor; knowledge constant. */
  readonly recency: number;
  /** Share of this neighbour in the retrieval estimate (weights sum to 1). */
  readonly weight: number;
  readonly entry: IntentEntry;
}

/** What every reasoner returns before validation (an LLM may get any of it wrong). */
export const ReasonerDraft = z.object({
  preference: z.object({
    latency: z.number(),
    reliability: z.number(),
    economics: z.number(),
    throughput: z.number(),
  }),
  serviceType: ServiceType,
  latencyClass: LatencyClass,
  reliabilityClass: ReliabilityClass,
  costClass: CostClass,
  confidence: z.number().min(0).max(1),
  rationale: z.string().max(1_000),
});
export type ReasonerDraft = z.infer<typeof ReasonerDraft>;

export interface ReasonerInput {
  /** Normalised request text. */
  readonly text: string;
  readonly cues: Cues;
  readonly neighbours: readonly Neighbour[];
  readonly sla?: SlaClasses | undefined;
  /** The retrieval-only estimate: what validate falls back to. */
  readonly estimate: ReasonerDraft;
  readonly signal?: AbortSignal | undefined;
}

/** A reasoning step: neighbours + cues → draft. May throw or return garbage; validate copes. */
export interface Reasoner {
  /** Name reported in replies (`offline-knn`, `openai:<model>`). */
  readonly name: string;
  reason(input: ReasonerInput): Promise<unknown>;
}

/** The interpreter's answer (the reply payload without envelope fields). */
export interface Interpretation {
  readonly preference: PreferenceVector;
  readonly profile: SliceProfile;
  readonly confidence: number;
  readonly rationale: string;
  readonly neighbours: readonly {
    id: string;
    source: IntentSource;
    similarity: number;
    weight: number;
  }[];
  readonly reasoner: string;
  readonly degraded: boolean;
}
