/**
 * Time is injected: components ask a Clock, never `Date.now()`, so tests can
 * drive time by hand and replays stay deterministic.
 */
import { SliceMeshError } from '../contracts/errors.js';

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to (tests, simulations). */
export class ManualClock implements Clock {
  #now: number;

  constructor(start = 0) {
    this.#now = start;
  }

  /** Current manual time (epoch ms). */
  now(): number {
    return this.#now;
  }

  /** Moves time forward by `ms` (never backwards). */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new SliceMeshError('internal', `ManualClock.advance needs a finite ms >= 0, got ${ms}`);
    }
    this.#now += ms;
    return this.#now;
  }

  /** Sets the time; moving it backwards is refused because time-ordered logic would break. */
  set(epochMs: number): void {
    if (!Number.isFinite(epochMs) || epochMs < this.#now) {
      throw new SliceMeshError(
        'internal',
        `ManualClock.set cannot go from ${this.#now} back to ${epochMs}`,
      );
    }
    this.#now = epochMs;
  }
}
