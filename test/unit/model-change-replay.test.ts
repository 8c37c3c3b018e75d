/**
 * The change feed's promise: a replica started from a snapshot and fed every
 * change in version order is the infrastructure's state (toSnapshot equal),
 * whatever mix of placements, re-placements, releases and counted declines
 * came in between.
 */
import { describe, expect, it } from 'vitest';
import { ChangeLog } from '../../agents/infrastructure/change-log.js';
import { ResourceOwner } from '../../agents/infrastructure/resources.js';
import { SnapshotPages } from '../../agents/infrastructure/snapshot-pages.js';
import {
  COST_CLASSES,
  PRIORITY_CLASSES,
  SERVICE_TYPES,
  StateSnapshot,
  isSliceMeshError,
  type SliceProfile,
  type VersionedChange,
} from '../../shared/contracts/index.js';
import {
  ACTION_COUNT,
  ACTION_REJECT,
  NetworkState,
  actionToPlan,
  decisionInputs,
  replayChange,
  viewWithoutSlice,
} from '../../shared/model/index.js';
import { createRng, type Rng } from '../../shared/random.js';

function randomProfile(rng: Rng): SliceProfile {
  return {
    serviceType: rng.pick(SERVICE_TYPES),
    latency: rng.pick(PRIORITY_CLASSES),
    reliability: rng.pick(PRIORITY_CLASSES),
    cost: rng.pick(COST_CLASSES),
  };
}

/** One random operation on the owner: place (60 %), re-place, release or decline. */
function randomOperation(owner: ResourceOwner, rng: Rng, n: number): void {
  const held = owner.sliceIds();
  const roll = rng.next();
  if (held.length > 0 && roll < 0.2) {
    owner.release(rng.pick(held));
    return;
  }
  if (roll < 0.25) {
    owner.decline(`d${n}`);
    return;
  }
  const replace = held.length > 0 && roll < 0.35;
  const sliceId = replace ? rng.pick(held) : `s${n}`;
  const existing = replace ? owner.state.getSlice(sliceId)?.profile : undefined;
  const profile = existing
    ? { ...randomProfile(rng), serviceType: existing.serviceType }
    : randomProfile(rng);
  const demand = { cpu: rng.int(5, 40) / 10, mem: rng.int(5, 40) / 10 };
  // Re-placements are planned as the orchestrator plans them: on the state without the slice.
  const planning = replace
    ? NetworkState.fromView(viewWithoutSlice(owner.state, sliceId))
    : owner.state;
  const spec = { id: sliceId, profile, demand };
  const { mask } = decisionInputs(planning, spec);
  const feasible: number[] = [];
  for (let a = 0; a < ACTION_COUNT; a++) if (a !== ACTION_REJECT && mask[a] === 1) feasible.push(a);
  if (feasible.length === 0) return;
  const plan = actionToPlan(planning, spec, rng.pick(feasible), 'test');
  if (plan === null) return;
  owner.apply({ type: 'infra.apply.request.v1', sliceId, profile, demand, plan }, 1);
}

describe('replaying the change feed', () => {
  it.each([1, 2, 3])(
    'keeps a replica identical to the infrastructure over a seeded random sequence (seed %i)',
    (seed) => {
      const rng = createRng(seed);
      const owner = ResourceOwner.fresh(seed);
      const replica = NetworkState.fromSnapshot(owner.snapshot());
      const ops = { place: 0, move: 0, release: 0, skip: 0 };
      owner.watch((entry) => {
        ops[entry.change.op] += 1;
        replayChange(replica, entry);
      });
      for (let n = 0; n < 400; n++) {
        randomOperation(owner, rng, n);
        if (n % 50 === 0) expect(replica.toSnapshot()).toEqual(owner.snapshot());
      }
      expect(replica.toSnapshot()).toEqual(owner.snapshot());
      expect(replica.version).toBe(owner.version);
      // The sequence exercised every kind of change.
      expect(Object.values(ops).every((count) => count > 5)).toBe(true);
    },
  );

  it('catches a replica up from a paged snapshot plus the change log, as an orchestrator starting late', () => {
    const rng = createRng(11);
    const owner = ResourceOwner.fresh(11);
    const log = new ChangeLog(10_000, owner.version);
    owner.watch((entry) => log.append(entry));
    for (let n = 0; n < 150; n++) randomOperation(owner, rng, n);

    // The snapshot is pinned at the version of its first page, read in small pages
    // while the state moves on.
    const pages = new SnapshotPages(() => 0);
    const current = () => ({ epoch: 'e1', version: owner.version, snapshot: owner.snapshot() });
    let page = pages.page({ type: 'infra.snapshot.request.v1', limit: 500 }, current);
    const pinned = page.version;
    let text = page.chunk;
    for (let n = 150; page.next !== undefined; n++) {
      randomOperation(owner, rng, n);
      page = pages.page(
        { type: 'infra.snapshot.request.v1', cursor: page.next, limit: 500 },
        current,
      );
      expect(page.version).toBe(pinned);
      text += page.chunk;
    }
    expect(owner.version).toBeGreaterThan(pinned);
    const replica = NetworkState.fromSnapshot(StateSnapshot.parse(JSON.parse(text)));
    expect(replica.version).toBe(pinned);

    let since = replica.version;
    for (;;) {
      const { changes, more } = log.since(since, 7);
      for (const entry of changes) replayChange(replica, entry);
      since = replica.version;
      if (!more) break;
    }
    expect(replica.toSnapshot()).toEqual(owner.snapshot());
  });

  it('refuses a change that does not follow the replica’s version, or does not fit its state', () => {
    const owner = ResourceOwner.fresh(4);
    const entries: VersionedChange[] = [];
    owner.watch((entry) => entries.push(entry));
    const rng = createRng(4);
    for (let n = 0; entries.length < 3; n++) randomOperation(owner, rng, n);
    const [first, second] = entries as [VersionedChange, VersionedChange];
    const gap = NetworkState.fromSnapshot(ResourceOwner.fresh(4).snapshot());
    expect(() => replayChange(gap, second)).toThrow(/replica is at version 0/);
    const wrong = NetworkState.fromSnapshot(ResourceOwner.fresh(4).snapshot());
    const release: VersionedChange = { version: 1, change: { op: 'release', sliceId: 'nobody' } };
    expect(() => replayChange(wrong, release)).toThrow(/holds nothing to release/);
    // The same change twice: the second does not follow the version the first produced.
    const twice = NetworkState.fromSnapshot(ResourceOwner.fresh(4).snapshot());
    replayChange(twice, first);
    let refused: unknown;
    try {
      replayChange(twice, first);
    } catch (error) {
      refused = error;
    }
    expect(isSliceMeshError(refused) && refused.code).toBe('internal');
  });
});
