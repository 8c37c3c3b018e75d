/**
 * The reconciliation decision (pure) and a pass over a paged fake
 * infrastructure: orphans are released, lost slices reported, mismatches
 * counted, every page bounded, and a second pass finds nothing new.
 */
import { describe, expect, it } from 'vitest';
import {
  ReservationsReply,
  SliceMeshError,
  type Reservation,
  type ReservationsRequest,
  type SliceRecord,
  type SliceState,
} from '../../shared/contracts/index.js';
import type { Bus } from '../../shared/bus/index.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import {
  Reconciler,
  isLost,
  judgeReservation,
  type LocalSlice,
} from '../../agents/slice-manager/reconciler.js';

function record(sliceId: string, state: SliceState, containerId = 'c1', appliedAt = 100) {
  const r: SliceRecord = { sliceId, state, text: 'x', history: [] };
  if (state !== 'requested') {
    r.placement = { site: 'cloud', containerId, vnfNodeIds: ['n1', 'n2'], appliedAt };
  }
  return r;
}
const known = (r: SliceRecord): LocalSlice => ({ kind: 'known', record: r });
const held = (sliceId: string, containerId = 'c1'): Reservation => ({
  sliceId,
  containerId,
  vnfNodeIds: ['n1', 'n2'],
});

describe('reconciliation decision', () => {
  it('releases what is held for a slice that ended or that nobody requested', () => {
    for (const state of ['released', 'failed', 'rejected'] as const) {
      expect(judgeReservation(known(record('s', state)), held('s'), undefined)).toEqual({
        action: 'release',
        why: `the slice is ${state}`,
      });
    }
    expect(judgeReservation({ kind: 'unknown' }, held('s'), undefined)).toEqual({
      action: 'release',
      why: 'no such slice',
    });
  });

  it('leaves alone slices on their way, active ones on their own placement and unreadable ones', () => {
    for (const state of [
      'requested',
      'interpreting',
      'planning',
      'deploying',
      'adapting',
      'terminating',
    ] as const) {
      expect(judgeReservation(known(record('s', state)), held('s'), 100)).toEqual({
        action: 'none',
      });
    }
    expect(judgeReservation(known(record('s', 'active')), held('s'), 100)).toEqual({
      action: 'none',
    });
    expect(judgeReservation({ kind: 'unreadable' }, held('s'), undefined)).toEqual({
      action: 'none',
    });
  });

  it('reports an active slice held elsewhere than recorded, unless it was re-placed meanwhile', () => {
    const moved = held('s', 'c9');
    expect(judgeReservation(known(record('s', 'active')), moved, 100)).toEqual({
      action: 'report',
      why: 'held on c9 [n1, n2], recorded on c1 [n1, n2]',
    });
    // Applied again after the pass began, or not active when it began: the page may be older.
    expect(judgeReservation(known(record('s', 'active', 'c1', 200)), moved, 100)).toEqual({
      action: 'none',
    });
    expect(judgeReservation(known(record('s', 'active')), moved, undefined)).toEqual({
      action: 'none',
    });
  });

  it('calls a slice lost only if it stayed active on the same placement through the pass', () => {
    expect(isLost(known(record('s', 'active')), 100)).toBe(true);
    expect(isLost(known(record('s', 'active', 'c1', 200)), 100)).toBe(false);
    expect(isLost(known(record('s', 'terminating')), 100)).toBe(false);
    expect(isLost(known(record('s', 'released')), 100)).toBe(false);
    expect(isLost({ kind: 'unknown' }, 100)).toBe(false);
  });
});

/** An infrastructure that holds `held` and answers reservations and releases over a fake bus. */
function fakeInfrastructure(initial: Reservation[]) {
  const held = new Map(initial.map((r) => [r.sliceId, r]));
  const pages: ReservationsRequest[] = [];
  const releases: string[] = [];
  let failPage: number | undefined;
  const bus = {
    request: (
      endpoint: { name: string },
      message: ReservationsRequest | { sliceId: string },
    ): Promise<unknown> => {
      if (endpoint.name === 'infrastructure.reservations') {
        const request = message as ReservationsRequest;
        pages.push(request);
        if (failPage === pages.length) {
          return Promise.reject(new SliceMeshError('unavailable', 'no responders'));
        }
        const ids = [...held.keys()]
          .sort()
          .filter((id) => request.after === undefined || id > request.after);
        const page = ids.slice(0, request.limit ?? 100);
        const reply: ReservationsReply = {
          type: 'infra.reservations.reply.v1',
          reservations: page.map((id) => held.get(id) as Reservation),
          total: held.size,
          viewVersion: 1,
        };
        if (ids.length > page.length) reply.next = page.at(-1);
        return Promise.resolve(ReservationsReply.parse(reply));
      }
      const { sliceId } = message as { sliceId: string };
      releases.push(sliceId);
      const released = held.delete(sliceId);
      return Promise.resolve({ type: 'infra.release.reply.v1', sliceId, released, viewVersion: 2 });
    },
  };
  return {
    bus: bus as unknown as Bus,
    held,
    pages,
    releases,
    failOnPage: (n: number | undefined) => (failPage = n),
  };
}

/** The slice-manager's side: records by id; a lost slice is failed when told. */
function fakeManager(records: SliceRecord[]) {
  const slices = new Map(records.map((r) => [r.sliceId, r]));
  const lost: string[] = [];
  return {
    slices,
    lost,
    host: {
      lookup: (id: string): LocalSlice => {
        const r = slices.get(id);
        return r ? { kind: 'known', record: r } : { kind: 'unknown' };
      },
      activeSlices: () =>
        new Map(
          [...slices.values()]
            .filter((r) => r.state === 'active' && r.placement)
            .map((r) => [r.sliceId, r.placement?.appliedAt ?? 0]),
        ),
      resourcesLost: (id: string) => {
        lost.push(id);
        slices.set(id, { ...(slices.get(id) as SliceRecord), state: 'failed' });
        return Promise.resolve();
      },
    },
  };
}

describe('a reconciliation pass', () => {
  const options = { intervalMs: 0, pageSize: 2, requestTimeoutMs: 1_000 };

  function scene() {
    // a: active and held; b: failed but still held (its release failed); c: active, not held;
    // d: nobody's; e: terminating (its lifecycle is releasing it); f: active, held elsewhere.
    const infra = fakeInfrastructure([held('a'), held('b'), held('d'), held('e'), held('f', 'c7')]);
    const manager = fakeManager([
      record('a', 'active'),
      record('b', 'failed'),
      record('c', 'active'),
      record('e', 'terminating'),
      record('f', 'active'),
    ]);
    const reconciler = new Reconciler(infra.bus, silentLogger, manager.host, options);
    return { infra, manager, reconciler };
  }

  it('pages through every reservation, releases the orphans and reports what was lost', async () => {
    const { infra, manager, reconciler } = scene();
    const result = await reconciler.pass();
    expect(result).toEqual({ listed: 5, released: ['b', 'd'], lost: ['c'], mismatched: ['f'] });
    // Three pages of at most two, each continuing after the last id of the previous one.
    expect(infra.pages).toEqual([
      { type: 'infra.reservations.request.v1', limit: 2 },
      { type: 'infra.reservations.request.v1', limit: 2, after: 'b' },
      { type: 'infra.reservations.request.v1', limit: 2, after: 'e' },
    ]);
    expect([...infra.held.keys()].sort()).toEqual(['a', 'e', 'f']);
    expect(manager.lost).toEqual(['c']);
    expect(reconciler.counters()).toEqual({
      passes: 1,
      incomplete: 0,
      orphansReleased: 2,
      lost: 1,
      mismatched: 1,
    });
  });

  it('is idempotent: a second pass releases and reports nothing new', async () => {
    const { infra, manager, reconciler } = scene();
    await reconciler.pass();
    const again = await reconciler.pass();
    expect(again.released).toEqual([]);
    expect(again.lost).toEqual([]);
    expect(infra.releases).toEqual(['b', 'd']);
    expect(manager.lost).toEqual(['c']);
  });

  it('concludes nothing about lost slices when a page cannot be read', async () => {
    const { infra, manager, reconciler } = scene();
    infra.failOnPage(2);
    await expect(reconciler.pass()).rejects.toMatchObject({ code: 'unavailable' });
    expect(manager.lost).toEqual([]);
    // What the first page showed was acted on; the next pass does the rest.
    expect(infra.releases).toEqual(['b']);
    infra.failOnPage(undefined);
    const next = await reconciler.pass();
    expect(next.released).toEqual(['d']);
    expect(next.lost).toEqual(['c']);
  });

  it('asks for pages of the configured size whatever the number of slices', async () => {
    const many = Array.from({ length: 45 }, (_, i) => held(`s${String(i).padStart(2, '0')}`));
    const infra = fakeInfrastructure(many);
    const manager = fakeManager(many.map((r) => record(r.sliceId, 'active')));
    const reconciler = new Reconciler(infra.bus, silentLogger, manager.host, {
      ...options,
      pageSize: 10,
    });
    const result = await reconciler.pass();
    expect(result.listed).toBe(45);
    expect(infra.pages.map((p) => p.limit)).toEqual([10, 10, 10, 10, 10]);
    expect(result.released).toEqual([]);
    expect(result.lost).toEqual([]);
  });
});
