/**
 * Nothing on the placement path grows with the plant: the change messages
 * the infrastructure publishes (and later the placement request) are the same
 * size with 10 active slices as with 2,000, under one fixed bound.
 */
import { describe, expect, it } from 'vitest';
import { ResourceOwner } from '../../agents/infrastructure/resources.js';
import {
  InfraChange,
  MAX_CHANGE_CHAIN,
  type SliceProfile,
  type VersionedChange,
} from '../../shared/contracts/index.js';
import {
  ACTION_COUNT,
  ACTION_REJECT,
  actionToPlan,
  decisionInputs,
} from '../../shared/model/index.js';
import { createRng } from '../../shared/random.js';

const PROFILE: SliceProfile = {
  serviceType: 'eMBB',
  latency: 'medium',
  reliability: 'best-effort',
  cost: 'general',
};
const DEMAND = { cpu: 1.5, mem: 1.5 };
const ID = 'x'.repeat(128);

/** Encoded size of a message, in bytes (what NATS carries). */
function bytes(message: unknown): number {
  return Buffer.byteLength(JSON.stringify(message));
}

/** The largest change message the schema allows: every id at its longest, the longest chain. */
function largestChange(): InfraChange {
  return InfraChange.parse({
    type: 'infra.change.v1',
    epoch: ID,
    version: Number.MAX_SAFE_INTEGER,
    change: {
      op: 'move',
      sliceId: ID,
      profile: {
        serviceType: 'URLLC',
        latency: 'best-effort',
        reliability: 'best-effort',
        cost: 'cost-sensitive',
      },
      demand: { cpu: 999.999999, mem: 999.999999 },
      placement: {
        site: 'cloud',
        container: { mode: 'join', containerId: ID },
        vnfs: Array.from({ length: MAX_CHANGE_CHAIN }, (_, position) => ({
          mode: 'share',
          position,
          nodeId: ID,
        })),
      },
      result: { containerId: ID, vnfNodeIds: Array.from({ length: MAX_CHANGE_CHAIN }, () => ID) },
    },
  });
}

/** Grows a plant to `active` slices (random feasible placements, seeded) and returns the owner. */
function plantWith(active: number, seed: number) {
  const rng = createRng(seed);
  const owner = ResourceOwner.fresh(seed);
  for (let n = 0; owner.sliceIds().length < active; n++) {
    const spec = { id: `slice-${String(n).padStart(6, '0')}`, profile: PROFILE, demand: DEMAND };
    const { mask } = decisionInputs(owner.state, spec);
    const feasible: number[] = [];
    for (let a = 0; a < ACTION_COUNT; a++)
      if (a !== ACTION_REJECT && mask[a] === 1) feasible.push(a);
    const plan = actionToPlan(owner.state, spec, rng.pick(feasible), 'test');
    if (plan) owner.apply({ type: 'infra.apply.request.v1', sliceId: spec.id, ...spec, plan }, 1);
  }
  return owner;
}

/** The change messages of one more placement (cloud, a new chain) and one release on `owner`. */
function nextChanges(owner: ResourceOwner): InfraChange[] {
  const entries: VersionedChange[] = [];
  owner.watch((entry) => entries.push(entry));
  const spec = { id: 'slice-next00', profile: PROFILE, demand: DEMAND };
  // cloud-new/vnf:nnn: a new container and a new node at every position.
  const plan = actionToPlan(owner.state, spec, 3, 'test');
  if (!plan) throw new Error('expected a cloud plan');
  owner.apply({ type: 'infra.apply.request.v1', sliceId: spec.id, ...spec, plan }, 1);
  owner.release(spec.id);
  owner.watch(undefined);
  return entries.map(({ version, change }) =>
    InfraChange.parse({
      type: 'infra.change.v1',
      epoch: 'infrastructure-1-abc-1',
      version,
      change,
    }),
  );
}

describe('placement messages do not grow with the plant', () => {
  const bound = bytes(largestChange());

  it('bounds every change message by one constant, a few kilobytes', () => {
    expect(bound).toBeLessThan(16 * 1024);
  });

  it('publishes changes of the same size with 10 and with 2,000 active slices', () => {
    const small = nextChanges(plantWith(10, 3)).map(bytes);
    const large = nextChanges(plantWith(2_000, 3)).map(bytes);
    expect(small).toHaveLength(2);
    expect(large).toHaveLength(2);
    for (const size of [...small, ...large]) expect(size).toBeLessThanOrEqual(bound);
    // Only the digits of node numbers and versions differ.
    small.forEach((size, i) =>
      expect(Math.abs(size - (large[i] as number))).toBeLessThanOrEqual(16),
    );
  });
});
