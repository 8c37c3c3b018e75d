/**
 * Outcomes that wait for the store. Slice outcomes arrive by plain pub/sub,
 * so nothing would redeliver one the curator could not write: an outcome
 * whose write failed because Chroma is down waits here, in arrival order,
 * and is written once Chroma answers again. While outcomes wait, later ones
 * queue behind them, so the memory bank still sees them in order.
 *
 * One probe at a time: after a failure the oldest waiting outcome is retried
 * with a growing delay (doubling, capped); when it goes through, the rest
 * follow at once. Memory is bounded: beyond `maxPending` the oldest waiting
 * outcome is given up (and reported), since fresh outcomes count most.
 * Writing an outcome twice is harmless (the curator finds its own
 * contribution and counts a duplicate).
 */

export interface PendingOptions {
  /** Most outcomes held while the store is down. */
  readonly maxPending: number;
  /** First retry delay (ms); doubled after every failed retry, up to `maxRetryDelayMs`. */
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  /** Waiting outcomes written together once the store answers (the curator batches them). */
  readonly flushBatch: number;
}

export const DEFAULT_PENDING_OPTIONS: PendingOptions = {
  maxPending: 10_000,
  retryDelayMs: 200,
  maxRetryDelayMs: 5_000,
  flushBatch: 64,
};

/** Why an item was given up. */
export type GiveUpReason = 'failed' | 'overflow' | 'stopped';

export interface PendingHooks<T> {
  /** Writes one item; rejects when it could not. */
  readonly attempt: (item: T) => Promise<unknown>;
  /** Whether a failure is the store being away (wait and retry) rather than final. */
  readonly retryable: (error: unknown) => boolean;
  /** An item that will not be written: a final failure, the bound exceeded, or stopped while waiting. */
  readonly onGiveUp: (item: T, reason: GiveUpReason, error: unknown) => void;
  /** The first item started waiting (the store went away). */
  readonly onWaiting?: (error: unknown) => void;
  /** Every waiting item was written (the store is back). */
  readonly onRecovered?: (written: number) => void;
}

export interface PendingQueue<T> {
  /**
   * Writes `item`, or queues it while others wait. Resolves once the item is
   * written, queued or given up; never rejects.
   */
  submit(item: T): Promise<void>;
  /** Items waiting for the store. */
  readonly size: number;
  /** Stops retrying: one last attempt to write what waits, then gives the rest up. */
  close(): Promise<void>;
}

interface Waiting<T> {
  readonly item: T;
  lastError: unknown;
}

export function createPendingQueue<T>(
  hooks: PendingHooks<T>,
  options: PendingOptions = DEFAULT_PENDING_OPTIONS,
): PendingQueue<T> {
  const maxPending = Math.max(1, options.maxPending);
  const flushBatch = Math.max(1, options.flushBatch);
  const waiting: Waiting<T>[] = [];
  let failedRounds = 0;
  let writtenSinceOutage = 0;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;
  let closed = false;

  const enqueue = (item: T, error: unknown): void => {
    if (waiting.length === 0 && round === undefined) {
      writtenSinceOutage = 0;
      hooks.onWaiting?.(error);
    }
    waiting.push({ item, lastError: error });
    while (waiting.length > maxPending) {
      const dropped = waiting.shift();
      if (dropped) hooks.onGiveUp(dropped.item, 'overflow', dropped.lastError);
    }
    schedule();
  };

  const schedule = (): void => {
    if (closed || timer !== undefined || round !== undefined || waiting.length === 0) return;
    const delay = Math.min(
      options.maxRetryDelayMs,
      options.retryDelayMs * 2 ** Math.min(failedRounds, 30),
    );
    timer = setTimeout(() => {
      timer = undefined;
      round = retryRound().finally(() => {
        round = undefined;
        if (waiting.length === 0) {
          if (writtenSinceOutage > 0) hooks.onRecovered?.(writtenSinceOutage);
          writtenSinceOutage = 0;
        } else schedule();
      });
    }, delay);
  };

  /** Writes `batch` (the head of `waiting`); drops what went through or failed for good. Returns whether all went. */
  const writeHead = async (batch: readonly Waiting<T>[]): Promise<boolean> => {
    const results = await Promise.allSettled(batch.map((w) => hooks.attempt(w.item)));
    const kept: Waiting<T>[] = [];
    results.forEach((result, i) => {
      const w = batch[i];
      if (w === undefined) return;
      if (result.status === 'fulfilled') writtenSinceOutage += 1;
      else if (hooks.retryable(result.reason)) {
        w.lastError = result.reason;
        kept.push(w);
      } else hooks.onGiveUp(w.item, 'failed', result.reason);
    });
    // Items queued meanwhile stay behind the ones kept.
    waiting.splice(0, batch.length, ...kept);
    return kept.length === 0;
  };

  /** Probes with the oldest item; once it goes through, writes the rest in order. */
  const retryRound = async (): Promise<void> => {
    const head = waiting[0];
    if (head === undefined) return;
    if (!(await writeHead([head]))) {
      failedRounds += 1;
      return;
    }
    failedRounds = 0;
    while (waiting.length > 0 && !closed) {
      if (!(await writeHead(waiting.slice(0, flushBatch)))) {
        failedRounds += 1;
        return;
      }
    }
  };

  return {
    async submit(item) {
      if (closed) {
        hooks.onGiveUp(item, 'stopped', undefined);
        return;
      }
      if (waiting.length > 0 || round !== undefined) {
        enqueue(item, waiting[waiting.length - 1]?.lastError);
        return;
      }
      try {
        await hooks.attempt(item);
      } catch (error) {
        if (!hooks.retryable(error)) hooks.onGiveUp(item, 'failed', error);
        else if (closed) hooks.onGiveUp(item, 'stopped', error);
        else enqueue(item, error);
      }
    },
    get size() {
      return waiting.length;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await round;
      // The store may be back already, before the next retry was due: probe, then flush.
      const head = waiting[0];
      let answering = head !== undefined && (await writeHead([head]));
      while (answering && waiting.length > 0)
        answering = await writeHead(waiting.slice(0, flushBatch));
      for (const w of waiting.splice(0)) hooks.onGiveUp(w.item, 'stopped', w.lastError);
    },
  };
}
