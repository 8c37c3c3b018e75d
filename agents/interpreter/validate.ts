/**
 * The gate between a reasoner and the wire: whatever the reasoner returned,
 * the answer leaving here satisfies the reply schema. Garbage or failure
 * falls back to the retrieval estimate and is marked degraded; a vector that
 * is merely off the simplex is projected back onto it.
 */
import {
  PREFERENCE_DIMENSIONS,
  type PreferenceVector,
  type SlaClasses,
  type SliceProfile,
} from '../../shared/contracts/common.js';
import { hasWords } from './normalize.js';
import { fromArray, isValidPreference, projectOntoSimplex, simplexViolation } from './simplex.js';
import { ReasonerDraft } from './types.js';

/** Sum deviations up to this are rounding noise; beyond it the projection is mentioned in the rationale. */
const NOTICEABLE_VIOLATION = 1e-3;

/** Highest confidence of an answer to a text without a single word: whatever it says is a guess. */
export const WORDLESS_CONFIDENCE = 0.2;

export interface ValidatedAnswer {
  readonly preference: PreferenceVector;
  readonly profile: SliceProfile;
  readonly confidence: number;
  readonly rationale: string;
  readonly degraded: boolean;
  /** Why the reasoner's draft was not used as-is (empty when it was). */
  readonly notes: readonly string[];
}

const UNIFORM: PreferenceVector = {
  latency: 0.25,
  reliability: 0.25,
  economics: 0.25,
  throughput: 0.25,
};

function describeIssues(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || 'draft'}: ${i.message}`)
    .join('; ');
}

/** Projects a draft's raw vector; undefined when nothing usable is left (all zero / not finite). */
function projectDraftVector(
  draft: ReasonerDraft,
): { vector: PreferenceVector; violation: number } | undefined {
  const raw = PREFERENCE_DIMENSIONS.map((d) => draft.preference[d]);
  // A vector without any positive finite weight carries no preference at all (its projection would be uniform).
  if (!raw.some((x) => Number.isFinite(x) && x > 0)) return undefined;
  const violation = simplexViolation(raw);
  const projected = projectOntoSimplex(raw);
  if (projected === undefined) return undefined;
  const vector = fromArray(projected);
  return isValidPreference(vector) ? { vector, violation } : undefined;
}

/**
 * Turns a reasoner result into a valid answer.
 * @param draft what the reasoner returned (anything)
 * @param reasonerError set when the reasoner threw or timed out
 * @param estimate the retrieval estimate (always a valid draft)
 * @param sla explicit classes from the request: they override inferred ones
 * @param text the normalised request text: one without a word makes the answer a guess
 */
export function validateDraft(
  draft: unknown,
  reasonerError: string | undefined,
  estimate: ReasonerDraft,
  sla: SlaClasses | undefined,
  text?: string,
): ValidatedAnswer {
  const notes: string[] = [];
  let chosen: ReasonerDraft = estimate;
  let degraded = false;
  let vector: PreferenceVector | undefined;
  // Emoji, digits or punctuation alone: neighbours "similar" to it and a reasoner's reading of it
  // are noise, however confident; the answer stands only as a flagged guess.
  const wordless = text !== undefined && !hasWords(text);
  if (wordless) {
    notes.push('the text has no words to read (no letters in any script): the answer is a guess');
    degraded = true;
  }

  if (reasonerError !== undefined) {
    notes.push(`reasoner failed (${reasonerError}); using the retrieval estimate`);
    degraded = true;
  } else {
    const parsed = ReasonerDraft.safeParse(draft);
    if (!parsed.success) {
      notes.push(
        `reasoner output rejected (${describeIssues(parsed.error)}); using the retrieval estimate`,
      );
      degraded = true;
    } else {
      const projected = projectDraftVector(parsed.data);
      if (projected === undefined) {
        notes.push('reasoner returned an unusable preference vector; using the retrieval estimate');
        degraded = true;
      } else {
        chosen = parsed.data;
        vector = projected.vector;
        if (projected.violation > NOTICEABLE_VIOLATION) {
          notes.push(
            `reasoner vector was off the simplex by ${projected.violation.toFixed(3)}; projected onto it`,
          );
        }
      }
    }
  }
  // The estimate is valid by construction; the uniform vector is a last line of defence.
  vector ??= projectDraftVector(estimate)?.vector ?? UNIFORM;

  const profile: SliceProfile = {
    serviceType: sla?.serviceType ?? chosen.serviceType,
    latency: sla?.latency ?? chosen.latencyClass,
    reliability: sla?.reliability ?? chosen.reliabilityClass,
    cost: sla?.cost ?? chosen.costClass,
  };
  const overridden = (['serviceType', 'latency', 'reliability', 'cost'] as const).filter(
    (k) => sla?.[k] !== undefined,
  );
  if (overridden.length > 0)
    notes.push(`explicit SLA overrides ${overridden.map((k) => `${k}=${sla?.[k]}`).join(', ')}`);

  const confidence = Number.isFinite(chosen.confidence)
    ? Math.min(1, Math.max(0, chosen.confidence))
    : 0;
  return {
    preference: vector,
    profile,
    // A degraded answer is a fallback: say so in the confidence too.
    confidence: wordless
      ? Math.min(confidence, WORDLESS_CONFIDENCE)
      : degraded
        ? Math.min(confidence, 0.5)
        : confidence,
    rationale: chosen.rationale,
    degraded,
    notes,
  };
}
