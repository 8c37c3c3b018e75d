import { describe, expect, it } from 'vitest';
import { PlacementLock } from '../../agents/slice-manager/placement-lock.js';

/** Resolves with the order in which the given acquisitions were granted. */
function grantOrder(lock: PlacementLock, ids: string[]) {
  const order: string[] = [];
  const all = ids.map((id) => lock.acquire(id).then(() => order.push(id)));
  return { order, all };
}

describe('placement lock', () => {
  it('grants one slice at a time, in arrival order', async () => {
    const lock = new PlacementLock();
    const { order } = grantOrder(lock, ['a', 'b', 'c']);
    await Promise.resolve();
    expect(order).toEqual(['a']);
    lock.release('a');
    await Promise.resolve();
    await Promise.resolve();
    expect(order).toEqual(['a', 'b']);
    lock.release('b');
    await Promise.resolve();
    await Promise.resolve();
    expect(order).toEqual(['a', 'b', 'c']);
    expect(lock.holder).toBe('c');
  });

  it('is re-entrant for the holder and shares a waiting slot', async () => {
    const lock = new PlacementLock();
    await lock.acquire('a');
    await lock.acquire('a'); // a re-plan of the holder passes at once
    const first = lock.acquire('b');
    const second = lock.acquire('b'); // a retried view call of a waiter
    expect(second).toBe(first);
    lock.release('a');
    await first;
    expect(lock.holder).toBe('b');
  });

  it('skips waiters that stopped placing and drops released waiters', async () => {
    const placing = new Set(['a', 'c']);
    const lock = new PlacementLock({ isPlacing: (id) => placing.has(id) });
    await lock.acquire('a');
    void lock.acquire('b');
    void lock.acquire('c');
    void lock.acquire('d');
    lock.release('d'); // terminated while waiting
    lock.release('a');
    await Promise.resolve();
    expect(lock.holder).toBe('c'); // b is no longer placing
    lock.release('c');
    expect(lock.holder).toBeUndefined();
  });

  it('ignores a release by a slice that does not hold the lock', async () => {
    const lock = new PlacementLock();
    await lock.acquire('a');
    lock.release('z');
    expect(lock.holder).toBe('a');
  });

  it('passes the lock on when the holder exceeds its lease', async () => {
    const expired: string[] = [];
    const lock = new PlacementLock({ leaseMs: 5, onLeaseExpired: (id) => expired.push(id) });
    await lock.acquire('a');
    await lock.acquire('b');
    expect(expired).toEqual(['a']);
    expect(lock.holder).toBe('b');
    lock.close();
  });
});
