/**
 * How many slices may be on their way to active at once (requested,
 * interpreting, planning, deploying). A new request waits for a place before
 * its lifecycle starts, and while it waits its intake message stays unacknowledged
 * in JetStream (kept alive, and redelivered should this instance die).
 *
 * Without it every request that arrived started at once: when requests came in
 * faster than placements could be made, thousands of slices queued for the
 * placement lock, their view steps outlived the call's retry budget, and they
 * ended `failed` although they only had to wait. With it, an overloaded mesh
 * queues the surplus in the durable intake, where waiting costs nothing.
 */
export class AdmissionGate {
  readonly #limit: number;
  readonly #admitted = new Set<string>();
  readonly #waiting: { sliceId: string; admit: () => void }[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`admission limit ${limit} is not a positive integer`);
    this.#limit = limit;
  }

  /** Slices admitted and not yet released. */
  get admitted(): number {
    return this.#admitted.size;
  }

  /** Slices waiting for a place. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Takes a place now if one is free and nobody waits (or `sliceId` holds one already);
   * false otherwise. Synchronous, so a caller that gets a place continues without yielding.
   */
  tryAcquire(sliceId: string): boolean {
    if (this.#admitted.has(sliceId)) return true;
    if (this.#admitted.size >= this.#limit || this.#waiting.length > 0) return false;
    this.#admitted.add(sliceId);
    return true;
  }

  /** Resolves once `sliceId` has a place (at once when it already holds one), in arrival order. */
  acquire(sliceId: string): Promise<void> {
    if (this.tryAcquire(sliceId)) return Promise.resolve();
    return new Promise<void>((resolve) =>
      this.#waiting.push({
        sliceId,
        admit: () => {
          this.#admitted.add(sliceId);
          resolve();
        },
      }),
    );
  }

  /** Gives `sliceId`'s place to the next waiter; a slice without one is ignored. */
  release(sliceId: string): void {
    if (!this.#admitted.delete(sliceId)) return;
    while (this.#admitted.size < this.#limit) {
      const next = this.#waiting.shift();
      if (next === undefined) return;
      next.admit();
    }
  }
}
