import { z } from 'zod';
import { ResourceDemand } from '../../../shared/contracts/index.js';

/**
 * Timeouts and retry bounds of one slice lifecycle. They travel inside the
 * machine's context so a slice restored from its snapshot keeps the limits it
 * was created with.
 */
export const LifecycleLimits = z
  .object({
    /** Interpreter reply deadline; an LLM-backed reasoner can take seconds. */
    interpretTimeoutMs: z.number().int().positive(),
    viewTimeoutMs: z.number().int().positive(),
    planTimeoutMs: z.number().int().positive(),
    applyTimeoutMs: z.number().int().positive(),
    releaseTimeoutMs: z.number().int().positive(),
    /** Attempts per call, the first one included (timeouts and retryable errors count). */
    maxAttempts: z.number().int().min(1).max(20),
    /** Pause before a retry, so an absent service is not hammered. */
    retryBackoffMs: z.number().int().nonnegative(),
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
  maxAttempts: 3,
  retryBackoffMs: 250,
  maxReplans: 3,
  // Mid-range of the case study's per-slice demands (2-6 CPU, 2-6 memory units).
  defaultDemand: { cpu: 3, mem: 3 },
};

/** Fills unspecified limits with the defaults and validates the result. */
export function resolveLimits(partial: Partial<LifecycleLimits> = {}): LifecycleLimits {
  return LifecycleLimits.parse({ ...DEFAULT_LIFECYCLE_LIMITS, ...partial });
}
