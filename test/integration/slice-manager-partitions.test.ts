/**
 * Several slice-manager instances share the intake partitions. Two instances
 * split the sixteen partitions between them; a listing through either one
 * pages through every slice once; when one instance dies (its connection cut,
 * its leases left to expire), the other takes its partitions over, resumes
 * their slices from the store and handles what was sent meanwhile: nothing
 * lost, nothing done twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENDPOINTS,
  INTAKE_PARTITIONS,
  SliceEvent,
  SliceRequest,
  SliceTermination,
  isSliceMeshError,
  partitionOf,
} from '../../shared/contracts/index.js';
import type { Bus } from '../../shared/bus/index.js';
import { listAllSlices, listSlicePages } from '../../shared/clients/slice-list.js';
import { ManualClock, systemClock } from '../../shared/runtime/clock.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import { SliceManager } from '../../agents/slice-manager/manager.js';
import { openSliceStore } from '../../agents/slice-manager/store.js';
import { uniqueNamespace, useNatsServer } from '../helpers/nats.js';
import { serveAgentDoubles, sliceRequest, type AgentDoubles } from '../helpers/slice-doubles.js';
import { waitFor } from '../helpers/wait.js';

const nats = useNatsServer();
const LEASE_MS = 1_500;

describe('slice-manager instances sharing the partitions', () => {
  let namespace: string;
  let client: Bus;
  let doubles: AgentDoubles;
  const managers: { bus: Bus; manager: SliceManager }[] = [];
  const events: SliceEvent[] = [];

  const startManager = async (name: string) => {
    const bus = await nats.connectBus({ namespace, name });
    const manager = new SliceManager(
      { bus, logger: silentLogger, clock: systemClock, seed: 1, instanceId: name },
      { partitionLeaseMs: LEASE_MS, reconcileIntervalMs: 0, limits: { retryBackoffMs: 50 } },
    );
    await manager.start();
    managers.push({ bus, manager });
    return manager;
  };
  const submit = async (ids: string[]) => {
    for (const id of ids) {
      await client.jsPublish(
        client.subjects.sliceRequest('default', id),
        SliceRequest,
        sliceRequest(id),
        {
          msgId: id,
        },
      );
    }
  };
  const activeOnce = (ids: string[]) =>
    ids.every((id) => events.filter((e) => e.sliceId === id && e.to === 'active').length === 1);

  beforeAll(async () => {
    namespace = uniqueNamespace('partitions');
    client = await nats.connectBus({ namespace, name: 'client' });
    doubles = serveAgentDoubles(await nats.connectBus({ namespace, name: 'doubles' }));
    await client.ensureStreams();
    await client.consume(
      client.subjects.eventStream,
      'test-reader',
      client.subjects.sliceEventsAll(),
      SliceEvent,
      (event) => void events.push(event),
    );
  });

  afterAll(async () => {
    for (const { manager } of managers) await manager.stop().catch(() => undefined);
    await doubles.stop();
  });

  const first = Array.from({ length: 40 }, (_, i) => `cell-${String(i).padStart(2, '0')}`);
  const later = Array.from({ length: 24 }, (_, i) => `late-${String(i).padStart(2, '0')}`);
  let a: SliceManager;
  let b: SliceManager;

  it('split the partitions between two instances, each partition owned once', async () => {
    a = await startManager('manager-a');
    b = await startManager('manager-b');
    await waitFor(
      async () => {
        await Promise.all([a.rebalance(), b.rebalance()]);
        return a.partitions().length === 8 && b.partitions().length === 8;
      },
      { timeoutMs: 15_000, what: 'eight partitions each' },
    );
    expect([...a.partitions(), ...b.partitions()].sort((x, y) => x - y)).toEqual(
      Array.from({ length: INTAKE_PARTITIONS }, (_, p) => p),
    );
  });

  it('runs every slice in the instance that owns its partition, and lists them all page by page', async () => {
    await submit(first);
    await waitFor(() => activeOnce(first), { timeoutMs: 20_000, what: 'the first slices active' });
    for (const id of first) {
      const owner = a.partitions().includes(partitionOf(id)) ? a : b;
      expect(owner.records().map((r) => r.sliceId)).toContain(id);
    }
    // Pages of 7 through whichever instance answers: every slice once, by partition then id.
    const pages: string[][] = [];
    for await (const page of listSlicePages(client, { pageSize: 7 })) {
      expect(page.length).toBeLessThanOrEqual(7);
      pages.push(page.map((r) => r.sliceId));
    }
    const expected = [...first].sort(
      (x, y) => partitionOf(x) - partitionOf(y) || (x < y ? -1 : x > y ? 1 : 0),
    );
    expect(pages.flat()).toEqual(expected);
    // A get reaches the owner from either instance.
    for (const id of [first[0], first[1], first[2]] as string[]) {
      const reply = await client.request(ENDPOINTS.sliceGet, {
        type: 'slice.get.request.v1',
        sliceId: id,
      });
      expect(reply.slice.state).toBe('active');
    }
  });

  it('refuses an unknown page cursor with a typed error', async () => {
    const error = await client
      .request(ENDPOINTS.sliceList, { type: 'slice.list.request.v2', cursor: 'bm90LWEtY3Vyc29y' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isSliceMeshError(error) && error.code).toBe('invalid-cursor');
  });

  it('moves a dead instance’s partitions to the living one: nothing lost, nothing done twice', async () => {
    const dead = managers.find((m) => m.manager === a);
    // Cut the connection: no renewals, no handover, no acknowledgements any more.
    await dead?.bus.connection.close();
    await submit(later);
    await waitFor(
      async () => {
        await b.rebalance();
        return b.partitions().length === INTAKE_PARTITIONS;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'the living instance owning every partition' },
    );
    await waitFor(() => activeOnce(later), { timeoutMs: 20_000, what: 'the later slices active' });
    // The dead instance's slices were resumed from the store, not run again.
    for (const id of [...first, ...later]) {
      expect(doubles.calls.infer.get(id), id).toBe(1);
      expect(doubles.calls.apply.get(id), id).toBe(1);
      expect(events.filter((e) => e.sliceId === id && e.to === 'requested')).toHaveLength(1);
    }
    const listed = await listAllSlices(client, { state: 'active' });
    expect(listed.map((r) => r.sliceId).sort()).toEqual([...first, ...later].sort());
  });
});

describe('compacting finished slices', () => {
  it('drops a finished slice after the retention period, from memory and from the store', async () => {
    const namespace = uniqueNamespace('compact');
    const client = await nats.connectBus({ namespace, name: 'client' });
    const doubles = serveAgentDoubles(await nats.connectBus({ namespace, name: 'doubles' }));
    const bus = await nats.connectBus({ namespace, name: 'manager' });
    const clock = new ManualClock(1_000_000);
    const manager = new SliceManager(
      { bus, logger: silentLogger, clock, seed: 1 },
      { finishedRetentionMs: 60_000, reconcileIntervalMs: 0 },
    );
    await manager.start();
    try {
      for (const id of ['kept', 'gone']) {
        await client.jsPublish(
          client.subjects.sliceRequest('default', id),
          SliceRequest,
          sliceRequest(id),
          { msgId: id },
        );
      }
      await waitFor(() => manager.records('active').length === 2, { what: 'both active' });
      await client.jsPublish(
        client.subjects.sliceTerminate('default', 'gone'),
        SliceTermination,
        {
          type: 'slice.terminate.v2',
          tenant: 'default',
          sliceId: 'gone',
          submittedAt: clock.now(),
        },
        { msgId: 'gone-terminate' },
      );
      await waitFor(() => manager.records('released').length === 1, { what: 'gone released' });
      // Within the retention period it stays.
      expect(await manager.compact()).toBe(0);
      clock.advance(61_000);
      expect(await manager.compact()).toBe(1);
      expect(manager.records().map((r) => r.sliceId)).toEqual(['kept']);
      expect(manager.counters().compacted).toBe(1);
      expect(await (await openSliceStore(bus)).get('gone')).toBeNull();
      const error = await client
        .request(ENDPOINTS.sliceGet, { type: 'slice.get.request.v1', sliceId: 'gone' })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isSliceMeshError(error) && error.code).toBe('unknown-slice');
    } finally {
      await manager.stop();
      await doubles.stop();
    }
  });
});
