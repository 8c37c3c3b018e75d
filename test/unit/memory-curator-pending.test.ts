/**
 * The queue of outcomes that wait for Chroma: nothing is lost while the store
 * is away, order is kept, the store is probed with one outcome at a time with
 * a doubling, capped delay, and memory stays bounded.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import {
  createPendingQueue,
  type GiveUpReason,
  type PendingOptions,
} from '../../agents/memory-curator/pending.js';
import { waitFor } from '../helpers/wait.js';

function fakeStore(options: Partial<PendingOptions> = {}) {
  const state = { down: false, poison: new Set<string>() };
  const attempts: { item: string; at: number; down: boolean }[] = [];
  const written: string[] = [];
  const givenUp: { item: string; reason: GiveUpReason }[] = [];
  const events: string[] = [];
  const queue = createPendingQueue<string>(
    {
      attempt: (item) => {
        attempts.push({ item, at: Date.now(), down: state.down });
        if (state.poison.has(item)) return Promise.reject(new Error(`cannot embed ${item}`));
        if (state.down) return Promise.reject(new SliceMeshError('unavailable', 'Chroma is down'));
        written.push(item);
        return Promise.resolve();
      },
      retryable: (error) => error instanceof SliceMeshError && error.retryable,
      onGiveUp: (item, reason) => givenUp.push({ item, reason }),
      onWaiting: () => events.push('waiting'),
      onRecovered: (n) => events.push(`recovered ${n}`),
    },
    { maxPending: 100, retryDelayMs: 5, maxRetryDelayMs: 20, flushBatch: 2, ...options },
  );
  return { state, attempts, written, givenUp, events, queue };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('outcomes waiting for the store', () => {
  it('writes at once while the store answers', async () => {
    const s = fakeStore();
    await s.queue.submit('a');
    await s.queue.submit('b');
    expect(s.written).toEqual(['a', 'b']);
    expect(s.queue.size).toBe(0);
    expect(s.events).toEqual([]);
  });

  it('keeps every outcome while the store is down and writes them all, in order, once it is back', async () => {
    const s = fakeStore();
    s.state.down = true;
    for (const item of ['a', 'b', 'c', 'd', 'e']) await s.queue.submit(item);
    expect(s.queue.size).toBe(5);
    // A few retries pass with the store still down: only the oldest outcome probes it.
    await waitFor(() => s.attempts.length >= 4, { what: 'a few probes' });
    expect(new Set(s.attempts.map((a) => a.item))).toEqual(new Set(['a']));
    expect(s.givenUp).toEqual([]);

    s.state.down = false;
    await s.queue.submit('f'); // arrives while the others still wait: it queues behind them
    await waitFor(() => s.queue.size === 0, { what: 'the queue to drain' });
    expect(s.written).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(s.givenUp).toEqual([]);
    expect(s.events).toEqual(['waiting', 'recovered 6']);
  });

  it('doubles the delay between probes up to the cap', async () => {
    vi.useFakeTimers();
    const s = fakeStore({ retryDelayMs: 100, maxRetryDelayMs: 400 });
    s.state.down = true;
    const start = Date.now();
    await s.queue.submit('a');
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 400 + 400);
    expect(s.attempts.map((a) => a.at - start)).toEqual([0, 100, 300, 700, 1_100, 1_500]);
    s.state.down = false;
    await vi.advanceTimersByTimeAsync(400);
    expect(s.written).toEqual(['a']);
    // Back to the first delay after a success.
    s.state.down = true;
    await s.queue.submit('b');
    const failedAt = Date.now();
    await vi.advanceTimersByTimeAsync(100);
    expect(s.attempts.at(-1)).toMatchObject({ item: 'b', at: failedAt + 100 });
  });

  it('stays bounded: beyond maxPending the oldest outcome is given up', async () => {
    const s = fakeStore({ maxPending: 3, retryDelayMs: 60_000, maxRetryDelayMs: 60_000 });
    s.state.down = true;
    for (const item of ['a', 'b', 'c', 'd', 'e']) await s.queue.submit(item);
    expect(s.queue.size).toBe(3);
    expect(s.givenUp).toEqual([
      { item: 'a', reason: 'overflow' },
      { item: 'b', reason: 'overflow' },
    ]);
    s.state.down = false;
    await s.queue.close();
    expect(s.written).toEqual(['c', 'd', 'e']);
  });

  it('gives up at once on a failure that waiting would not cure, and goes on with the rest', async () => {
    const s = fakeStore();
    s.state.poison.add('bad');
    await s.queue.submit('bad');
    expect(s.givenUp).toEqual([{ item: 'bad', reason: 'failed' }]);
    expect(s.queue.size).toBe(0);

    s.state.down = true;
    await s.queue.submit('a');
    await s.queue.submit('bad');
    await s.queue.submit('b');
    s.state.down = false;
    await waitFor(() => s.queue.size === 0, { what: 'the queue to drain' });
    expect(s.written).toEqual(['a', 'b']);
    expect(s.givenUp.map((g) => g.reason)).toEqual(['failed', 'failed']);
  });

  it('on close, writes what waits if the store is back, else reports each as lost', async () => {
    const back = fakeStore({ retryDelayMs: 60_000, maxRetryDelayMs: 60_000 });
    back.state.down = true;
    for (const item of ['a', 'b', 'c']) await back.queue.submit(item);
    back.state.down = false;
    await back.queue.close();
    expect(back.written).toEqual(['a', 'b', 'c']);
    expect(back.givenUp).toEqual([]);

    const down = fakeStore({ retryDelayMs: 60_000, maxRetryDelayMs: 60_000 });
    down.state.down = true;
    for (const item of ['a', 'b']) await down.queue.submit(item);
    await down.queue.close();
    await down.queue.submit('c');
    expect(down.written).toEqual([]);
    expect(down.givenUp).toEqual([
      { item: 'a', reason: 'stopped' },
      { item: 'b', reason: 'stopped' },
      { item: 'c', reason: 'stopped' },
    ]);
  });
});
