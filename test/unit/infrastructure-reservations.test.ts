import { describe, expect, it } from 'vitest';
import { ResourceOwner } from '../../agents/infrastructure/resources.js';
import { HIGH_URLLC, applyRequest } from './infrastructure-fixtures.js';

/** An owner holding `ids`, each in a new cloud container with its own VNF nodes. */
function holding(ids: string[]): ResourceOwner {
  const owner = ResourceOwner.fresh(3);
  for (const id of ids) {
    const { reply } = owner.apply(applyRequest(owner.state, id, HIGH_URLLC, { site: 'cloud' }), 1);
    if (reply.outcome !== 'applied') throw new Error(`could not place ${id}`);
  }
  return owner;
}

describe('ResourceOwner.reservations', () => {
  it('lists what each slice holds, a page at a time in slice-id order', () => {
    const owner = holding(['e', 'b', 'a', 'd', 'c']);
    const first = owner.reservations(undefined, 2);
    expect(first.reservations.map((r) => r.sliceId)).toEqual(['a', 'b']);
    expect(first.next).toBe('b');
    expect(first.total).toBe(5);
    const second = owner.reservations(first.next, 2);
    expect(second.reservations.map((r) => r.sliceId)).toEqual(['c', 'd']);
    const last = owner.reservations(second.next, 2);
    expect(last.reservations.map((r) => r.sliceId)).toEqual(['e']);
    expect(last.next).toBeUndefined();
    // A cursor between ids, or past the end.
    expect(owner.reservations('bb', 10).reservations.map((r) => r.sliceId)).toEqual([
      'c',
      'd',
      'e',
    ]);
    expect(owner.reservations('z', 10)).toEqual({ reservations: [], next: undefined, total: 5 });
  });

  it('names the container and VNF nodes of each slice as its apply did', () => {
    const owner = ResourceOwner.fresh(3);
    const { reply } = owner.apply(applyRequest(owner.state, 'a', HIGH_URLLC, { site: 'cloud' }), 1);
    if (reply.outcome !== 'applied') throw new Error('not placed');
    expect(owner.reservations(undefined, 10).reservations).toEqual([
      {
        sliceId: 'a',
        containerId: reply.placement.containerId,
        vnfNodeIds: reply.placement.vnfNodeIds,
      },
    ]);
    owner.release('a');
    expect(owner.reservations(undefined, 10)).toEqual({
      reservations: [],
      next: undefined,
      total: 0,
    });
  });
});
