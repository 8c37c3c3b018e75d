/**
 * The retry policy of a lifecycle call, as pure functions of the limits, the
 * failures so far and the time (docs/lifecycle.md, "Timeouts and retries").
 *
 * After the n-th failed attempt the call waits
 *
 *   delay(n) = min(max(retryBackoffMaxMs, retryBackoffMs), retryBackoffMs · 2^(n-1)) · (1 − retryJitter · u)
 *
 * with u in [0, 1) drawn from the machine's seed, the slice id, the time of the
 * call's first failure and n — the same inputs give the same delay, so a
 * seeded run (and a SimulatedClock test) is reproducible, while slices that
 * failed together retry apart instead of hammering a restarted role at once.
 * It retries only if n < maxAttempts and the retry would start no later than
 * retryBudgetMs after the first failure.
 */
import { deriveSeed } from '../../../shared/random.js';
import type { LifecycleLimits } from './limits.js';

/** What the policy needs of a slice's context. */
export interface RetryCounters {
  limits: LifecycleLimits;
  /** Failed attempts of the call in progress, before the one being judged. */
  attempts: number;
  /** When the call in progress first failed (meaningless while `attempts` is 0). */
  retryingSince?: number | undefined;
}

export type RetryDecision =
  { retry: true; delayMs: number } | { retry: false; exhausted: 'attempts' | 'budget' };

/** When the call in progress first failed, counting a failure at `now`. */
export function firstFailureAt(counters: RetryCounters, now: number): number {
  return counters.attempts === 0 ? now : (counters.retryingSince ?? now);
}

/** A uniform draw in [0, 1) for the `failure`-th failure of a call of `sliceId` that first failed at `since`. */
export function jitterDraw(seed: number, sliceId: string, since: number, failure: number): number {
  // Any number is a usable seed here: the lifecycle must not fail over its jitter.
  const base = Number.isSafeInteger(seed) && seed >= 0 ? seed : String(seed);
  return deriveSeed(base, sliceId, Math.max(0, Math.floor(since)), failure) / 2 ** 32;
}

/** The delay after the `failure`-th failed attempt (1 = the first), for a draw `u` in [0, 1). */
export function backoffDelayMs(limits: LifecycleLimits, failure: number, u: number): number {
  const base = limits.retryBackoffMs;
  const cap = Math.max(base, limits.retryBackoffMaxMs ?? base);
  const grown = Math.min(cap, base * 2 ** Math.min(Math.max(failure - 1, 0), 30));
  return Math.round(grown * (1 - (limits.retryJitter ?? 0) * u));
}

/** The pause after a failure at `now` of a call of `sliceId`, should it be retried. */
export function nextDelayMs(
  counters: RetryCounters,
  now: number,
  seed: number,
  sliceId: string,
): number {
  const failure = counters.attempts + 1;
  const since = firstFailureAt(counters, now);
  return backoffDelayMs(counters.limits, failure, jitterDraw(seed, sliceId, since, failure));
}

/** Whether (and after how long) a call that just failed at `now` is tried again. */
export function decideRetry(
  counters: RetryCounters,
  now: number,
  seed: number,
  sliceId: string,
): RetryDecision {
  const { limits } = counters;
  if (counters.attempts + 1 >= limits.maxAttempts) return { retry: false, exhausted: 'attempts' };
  const since = firstFailureAt(counters, now);
  const delayMs = nextDelayMs(counters, now, seed, sliceId);
  const budget = limits.retryBudgetMs;
  if (budget !== undefined && now - since + delayMs > budget) {
    return { retry: false, exhausted: 'budget' };
  }
  return { retry: true, delayMs };
}

/**
 * What the error of a call given up after `failures` failed attempts (the
 * first at `since`) adds when the retry budget, not the attempt cap, ended
 * it: how long it retried and the budget. Empty otherwise.
 */
export function budgetNote(
  limits: LifecycleLimits,
  failures: number,
  since: number,
  now: number,
): string {
  const budget = limits.retryBudgetMs;
  if (budget === undefined || failures >= limits.maxAttempts) return '';
  return `, retrying for ${seconds(now - since)} s (retry budget ${seconds(budget)} s)`;
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1_000).toFixed(1).replace(/\.0$/, '');
}
