/**
 * Partition leases when a renewal's answer is lost: the server applied the
 * update (the lease is ours at a newer revision) but the client saw a
 * conflict, as happens while a NATS node fails over. The lease must be kept;
 * a lease another instance now holds must be let go.
 */
import { describe, expect, it } from 'vitest';
import { SliceMeshError } from '../../shared/contracts/index.js';
import type { Bus, KvEntry, TypedKv } from '../../shared/bus/index.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import { PartitionLeases } from '../../agents/slice-manager/partitions.js';

interface Lease {
  instance: string;
  at: number;
}

/** An in-memory bucket with revisions; `onUpdate` may interfere with one update. */
function memoryBucket() {
  const entries = new Map<string, KvEntry<Lease>>();
  let revision = 0;
  const hooks: { onUpdate?: (key: string, value: Lease) => 'apply-then-conflict' | undefined } = {};
  const conflict = (key: string) => new SliceMeshError('stale-view', `KV ${key} changed`);
  const kv: TypedKv<Lease> = {
    bucket: 'TEST_PARTITIONS',
    get: async (key) => entries.get(key) ?? null,
    put: async (key, value) => {
      entries.set(key, { value, revision: ++revision });
      return revision;
    },
    update: async (key, value, expected) => {
      const current = entries.get(key);
      if (!current || current.revision !== expected) throw conflict(key);
      entries.set(key, { value, revision: ++revision });
      if (hooks.onUpdate?.(key, value) === 'apply-then-conflict') throw conflict(key);
      return revision;
    },
    create: async (key, value) => {
      if (entries.has(key)) throw conflict(key);
      entries.set(key, { value, revision: ++revision });
      return revision;
    },
    delete: async (key) => {
      entries.delete(key);
    },
    keys: async () => [...entries.keys()].sort(),
  };
  return { kv, entries, hooks };
}

function leasesOn(kv: TypedKv<Lease>, instanceId: string) {
  const released: number[][] = [];
  const bus = {
    subjects: { partitionBucket: 'TEST_PARTITIONS' },
    kv: async () => kv,
  } as unknown as Bus;
  const leases = new PartitionLeases(
    bus,
    silentLogger,
    {
      acquire: async () => {},
      release: async (partitions) => {
        released.push(partitions);
      },
    },
    { instanceId, leaseMs: 60_000 },
  );
  return { leases, released };
}

describe('partition leases', () => {
  it('keeps a lease whose renewal was applied although its answer was a conflict', async () => {
    const bucket = memoryBucket();
    const { leases, released } = leasesOn(bucket.kv, 'a');
    await leases.start();
    expect(leases.owned()).toHaveLength(16);

    bucket.hooks.onUpdate = (key) => (key === 'partition.3' ? 'apply-then-conflict' : undefined);
    await leases.rebalance();
    bucket.hooks.onUpdate = undefined;
    expect(released).toEqual([]);
    expect(leases.owned()).toHaveLength(16);

    // The kept revision is the one stored: the next renewal succeeds.
    await leases.rebalance();
    expect(released).toEqual([]);
    expect(bucket.entries.get('partition.3')?.value.instance).toBe('a');
    await leases.stop();
  });

  it('lets go of a lease that another instance took meanwhile', async () => {
    const bucket = memoryBucket();
    const { leases, released } = leasesOn(bucket.kv, 'a');
    await leases.start();

    // The lease expired and instance b claimed partition 5.
    bucket.entries.delete('partition.5');
    await bucket.kv.create('partition.5', { instance: 'b', at: Date.now() });
    await leases.rebalance();
    expect(released).toEqual([[5]]);
    expect(leases.owned()).not.toContain(5);
    expect(bucket.entries.get('partition.5')?.value.instance).toBe('b');
    await leases.stop();
  });
});
