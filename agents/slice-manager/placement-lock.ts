/**
 * One placement at a time: a slice holds the lock from the moment it takes
 * its turn to place (the local view step, right before its placement
 * request) until the reply to its apply (or, after a refusal, to its
 * decline) has arrived — or it gave up.
 *
 * The infrastructure refuses plans made on a stale view, so placements that
 * overlap only waste each other's work: with twenty slices planning at once,
 * most plans go stale and slices run out of re-plans. Serialising them in
 * arrival order makes every plan fresh and the outcome independent of timing,
 * which is what lets a replay through the mesh match the model's evaluation.
 * Optimistic concurrency stays as the safety net (e.g. a second manager).
 *
 * Why the lock waits for the apply's reply: the next holder asks the
 * orchestrator to plan on a version (`minViewVersion`), and the version that
 * includes the previous placement is the one its apply (or decline) reply
 * reports. The orchestrator plans on its own replica of the state, which the
 * infrastructure's change feed brings to that version — usually before the
 * next request arrives, else within a bounded wait and a catch-up — so no
 * network view crosses the bus. A placement thus spans two round trips under
 * the lock (place, apply) instead of the three it took when the manager
 * fetched a view first (view, place, and the apply's send, the reply of
 * which it could skip because one connection's requests reach the
 * infrastructure in order).
 */
export interface PlacementLockOptions {
  /** A holder that neither releases nor progresses loses the lock after this long. */
  readonly leaseMs?: number;
  /** Whether a slice still wants to place; a waiter that no longer does is skipped. */
  readonly isPlacing?: (sliceId: string) => boolean;
  readonly onLeaseExpired?: (sliceId: string) => void;
}

interface Waiter {
  readonly sliceId: string;
  readonly granted: Promise<void>;
  readonly grant: () => void;
}

const DEFAULT_LEASE_MS = 60_000;

export class PlacementLock {
  readonly #leaseMs: number;
  readonly #isPlacing: (sliceId: string) => boolean;
  readonly #onLeaseExpired: ((sliceId: string) => void) | undefined;
  readonly #waiters: Waiter[] = [];
  #holder: string | undefined;
  #lease: NodeJS.Timeout | undefined;

  constructor(options: PlacementLockOptions = {}) {
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#isPlacing = options.isPlacing ?? (() => true);
    this.#onLeaseExpired = options.onLeaseExpired;
  }

  get holder(): string | undefined {
    return this.#holder;
  }

  /**
   * Resolves once `sliceId` holds the lock. Re-entrant: a holder asking again
   * (a re-plan, a retried view step) passes at once, and a slice already
   * waiting shares its place in the queue instead of taking a second one.
   */
  acquire(sliceId: string): Promise<void> {
    if (this.#holder === sliceId) {
      this.#renewLease();
      return Promise.resolve();
    }
    const queued = this.#waiters.find((waiter) => waiter.sliceId === sliceId);
    if (queued) return queued.granted;
    let grant!: () => void;
    const granted = new Promise<void>((resolve) => (grant = resolve));
    this.#waiters.push({ sliceId, granted, grant });
    if (this.#holder === undefined) this.#handOver();
    return granted;
  }

  /** Gives the lock up if `sliceId` holds it, and drops it from the queue otherwise. */
  release(sliceId: string): void {
    const index = this.#waiters.findIndex((waiter) => waiter.sliceId === sliceId);
    if (index >= 0) this.#waiters.splice(index, 1);
    if (this.#holder !== sliceId) return;
    this.#holder = undefined;
    this.#handOver();
  }

  /** Frees everything, e.g. when the manager stops. */
  close(): void {
    clearTimeout(this.#lease);
    this.#lease = undefined;
    this.#holder = undefined;
    this.#waiters.length = 0;
  }

  #handOver(): void {
    clearTimeout(this.#lease);
    this.#lease = undefined;
    while (this.#waiters.length > 0) {
      const next = this.#waiters.shift();
      if (!next || !this.#isPlacing(next.sliceId)) continue;
      this.#holder = next.sliceId;
      this.#renewLease();
      next.grant();
      return;
    }
  }

  #renewLease(): void {
    clearTimeout(this.#lease);
    const holder = this.#holder;
    this.#lease = setTimeout(() => {
      if (this.#holder !== holder || holder === undefined) return;
      this.#onLeaseExpired?.(holder);
      this.release(holder);
    }, this.#leaseMs);
    this.#lease.unref();
  }
}
