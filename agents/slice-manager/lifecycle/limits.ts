import { z } from 'zod';
import { ResourceDemand } from '../../../shared/contracts/index.js';

/**
 * Timeouts and retry bounds of one slice lifecycle. They travel inside the
 * machine's context so a slice restored from its snapshot keeps the limits it
 * was created with.
 *
 * The retry policy (see retry.ts): after a failed attempt a call waits an
 * exponentially growing, jittered delay and tries again, as long as it has
 * attempts left and the retry would start within `retryBudgetMs` of the
 * call's first failure. The three `retry*` fields after `retryBackoffMs` are
 * optional because snapshots stored before they existed lack them: such a
 * slice keeps the policy it was created with (a fixed `retryBackoffMs`
 * between at most `maxAttempts` attempts).
 */
export const LifecycleLimits = z
  .object({
    /** Interpreter reply deadline; an LLM-backed reasoner can take seconds. */
    interpretTimeoutMs: z.number().int().positive(),
    viewTimeoutMs: z.number().int().positive(),
    planTimeoutMs: z.number().int().positive(),
    applyTimeoutMs: z.number().int().positive(),
    releaseTimeoutMs: z.number().int().positive(),
    /** Most attempts per call, the first one included (timeouts and retryable errors count). */
    maxAttempts: z.number().int().min(1).max(1_000),
    /** Delay before the first retry; each later one doubles it, up to `retryBackoffMaxMs`. */
    retryBackoffMs: z.number().int().nonnegative(),
    /** Longest delay between two attempts (never below `retryBackoffMs`); absent: no growth. */
    retryBackoffMaxMs: z.number().int().nonnegative().optional(),
    /** Share of each delay drawn at random (0 = none, 1 = anywhere in [0, delay)); absent: 0. */
    retryJitter: z.number().min(0).max(1).optional(),
    /**
     * How long after its first failure a call may still start a retry, so a
     * role restarting for a few seconds does not fail the slices that need
     * it meanwhile. Absent: attempts alone bound the call.
     */
    retryBudgetMs: z.number().int().positive().optional(),
    /** Re-plans after the infrastructure refused a plan made on a stale view. */
    maxReplans: z.number().int().min(0).max(20),
    /** Demand assumed when a request states none. */
    defaultDemand: ResourceDemand,
  })
  .strict();
export type LifecycleLimits = z.infer<typeof LifecycleLimits>;

export const DEFAULT_LIFECYCLE_LIMITS: LifecycleLimits = {
  interpretTimeoutMs: 30_000,
  viewTimeoutMs: 3_000,
  planTimeoutMs: 10_000,
  applyTimeoutMs: 5_000,
  releaseTimeoutMs: 5_000,
  // A cap, not the bound one expects to meet: the retry budget ends a call first.
  maxAttempts: 100,
  retryBackoffMs: 250,
  retryBackoffMaxMs: 5_000,
  retryJitter: 0.5,
  // Outlasts a role's restart (2-3 s measured, plus a call timeout or two).
  retryBudgetMs: 30_000,
  maxReplans: 3,
  // Mid-range of the case study's per-slice demands (2-6 CPU, 2-6 memory units).
  defaultDemand: { cpu: 3, mem: 3 },
};

/** Fills unspecified limits with the defaults and validates the result. */
export function resolveLimits(partial: Partial<LifecycleLimits> = {}): LifecycleLimits {
  return LifecycleLimits.parse({ ...DEFAULT_LIFECYCLE_LIMITS, ...partial });
}
