/**
 * Writes a whole state to storage, coalesced and paced, so what persisting
 * costs stays flat per request however large the state grows.
 *
 * A state that is written after every change costs one full encoding per
 * change; once the state holds thousands of slices that is most of the CPU.
 * Here every change only asks for a write: requests that arrive while a write
 * runs or waits share the next one, and that next write starts only after a
 * pause proportional to how long the previous one took (`dutyCycle` of the
 * time at most is spent writing). A small state is written almost at once; a
 * large one is written less often, each write carrying every change since.
 */

export interface PacedWriterOptions {
  /** Most of the wall-clock time spent writing, in (0, 1] (1: no pause). */
  readonly dutyCycle?: number;
  /** The shortest pause between two writes. */
  readonly minPauseMs?: number;
  /** For tests: how to wait. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** For tests: the time in ms. */
  readonly now?: () => number;
}

export const DEFAULT_WRITE_DUTY_CYCLE = 0.2;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

export class PacedWriter {
  readonly #write: () => Promise<void>;
  readonly #dutyCycle: number;
  readonly #minPauseMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  /** The write not started yet, which every new request joins. */
  #next: Promise<void> | undefined;
  /** The chain of writes; never rejects. */
  #chain: Promise<void> = Promise.resolve();
  /** When the previous write may be followed by the next one. */
  #notBefore = 0;

  /** `write` stores the state as it is when it is called (it reads the state itself). */
  constructor(write: () => Promise<void>, options: PacedWriterOptions = {}) {
    const duty = options.dutyCycle ?? DEFAULT_WRITE_DUTY_CYCLE;
    if (!(duty > 0 && duty <= 1)) throw new RangeError(`dutyCycle ${duty} is not in (0, 1]`);
    this.#write = write;
    this.#dutyCycle = duty;
    this.#minPauseMs = options.minPauseMs ?? 0;
    this.#sleep = options.sleep ?? realSleep;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * Asks for a write that includes every change made so far. Resolves when such a
   * write has completed; rejects with its error if that write failed.
   */
  request(): Promise<void> {
    if (this.#next !== undefined) return this.#next;
    const next = this.#chain.then(async () => {
      const wait = this.#notBefore - this.#now();
      if (wait > 0) await this.#sleep(wait);
      // From here on a new request needs a later write: this one may read the state already.
      this.#next = undefined;
      const started = this.#now();
      try {
        await this.#write();
      } finally {
        const took = this.#now() - started;
        const pause = Math.max(this.#minPauseMs, (took * (1 - this.#dutyCycle)) / this.#dutyCycle);
        this.#notBefore = this.#now() + pause;
      }
    });
    this.#next = next;
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every write asked for so far has completed or failed. */
  async flush(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.#chain) {
      seen = this.#chain;
      await seen;
    }
  }
}
