/**
 * Breach episodes of one slice, with hysteresis: an episode opens after
 * `enterSamples` consecutive samples outside the SLA and closes after
 * `clearSamples` consecutive samples within it, or when the slice is
 * re-placed. Each episode yields exactly one violation, so noise around a
 * limit does not spam the slice-manager, and a restarted telemetry agent that
 * re-detects the same episode sends a message JetStream deduplicates.
 */
import type { Breach } from './sla.js';

export interface HysteresisOptions {
  /** Consecutive breaching samples that open an episode (default 2). */
  readonly enterSamples: number;
  /** Consecutive samples within the SLA that close it (default 3). */
  readonly clearSamples: number;
  /**
   * Least time between two violations of one slice (default 5 s): a
   * re-placement that lands in another breach does not loop at KPI rate.
   */
  readonly cooldownMs: number;
}

export const DEFAULT_HYSTERESIS: HysteresisOptions = Object.freeze({
  enterSamples: 2,
  clearSamples: 3,
  cooldownMs: 5_000,
});

/** A violation to publish: the worst breach and the id JetStream deduplicates it by. */
export interface EpisodeOpened {
  readonly breach: Breach;
  readonly episode: number;
  readonly msgId: string;
}

export class BreachTracker {
  readonly sliceId: string;
  readonly #options: HysteresisOptions;
  /** Identifies the placement episodes belong to (changes on re-placement). */
  #placementKey: string;
  #open = false;
  #over = 0;
  #under = 0;
  #episode = 0;
  #lastViolationAt: number | undefined;

  constructor(
    sliceId: string,
    placementKey: string,
    options: HysteresisOptions = DEFAULT_HYSTERESIS,
  ) {
    this.sliceId = sliceId;
    this.#placementKey = placementKey;
    this.#options = options;
  }

  /** True while a breach episode is open. */
  get breached(): boolean {
    return this.#open;
  }

  /** Episodes opened so far. */
  get episodes(): number {
    return this.#episode;
  }

  /**
   * Feeds one judged sample (its breaches, worst first; empty when within the
   * SLA). Returns the episode it opened, if any.
   */
  observe(breaches: readonly Breach[], now: number): EpisodeOpened | undefined {
    const worst = breaches[0];
    if (this.#open) {
      this.#under = worst === undefined ? this.#under + 1 : 0;
      if (this.#under >= this.#options.clearSamples) this.#reset();
      return undefined;
    }
    if (worst === undefined) {
      this.#over = 0;
      return undefined;
    }
    this.#over++;
    if (this.#over < this.#options.enterSamples) return undefined;
    if (
      this.#lastViolationAt !== undefined &&
      now - this.#lastViolationAt < this.#options.cooldownMs
    ) {
      return undefined;
    }
    this.#open = true;
    this.#under = 0;
    this.#episode++;
    this.#lastViolationAt = now;
    return {
      breach: worst,
      episode: this.#episode,
      msgId: `sla-${this.sliceId}-${this.#placementKey}-${this.#episode}`,
    };
  }

  /** The slice runs on a new placement: re-arm (a still-open episode ends). */
  replaced(placementKey: string): void {
    if (placementKey === this.#placementKey) return;
    this.#placementKey = placementKey;
    this.#reset();
  }

  #reset(): void {
    this.#open = false;
    this.#over = 0;
    this.#under = 0;
  }
}
