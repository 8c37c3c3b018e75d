import { describe, expect, it } from 'vitest';
import type { SliceProfile } from '../../shared/contracts/common.js';
import {
  ACTION_COUNT,
  ACTION_LOCAL_JOIN,
  ACTION_LOCAL_NEW,
  ACTION_REJECT,
  NetworkState,
  actionMaskFor,
  actionToPlan,
  applyPlan,
  decisionInputs,
  type SliceSpec,
} from '../../shared/model/index.js';
import { bestAllowedAction, maskAvoided, usesAvoided } from '../../agents/orchestrator/avoid.js';

const profile: SliceProfile = {
  serviceType: 'eMBB',
  latency: 'best-effort',
  reliability: 'best-effort',
  cost: 'general',
};

/** A network with one local eMBB container holding slice `a`. */
function networkWithOneContainer() {
  const state = new NetworkState(11);
  const first: SliceSpec = { id: 'a', profile, demand: { cpu: 3, mem: 3 } };
  const plan = actionToPlan(state, first, ACTION_LOCAL_NEW, 'test');
  if (plan === null) throw new Error('expected a plan');
  const applied = applyPlan(state, { sliceId: 'a', profile, demand: first.demand }, plan);
  if (applied.outcome !== 'applied') throw new Error('expected the plan to apply');
  return { state, containerId: applied.placement.containerId };
}

describe('orchestrator avoid-list', () => {
  it('masks the join into an avoided container and keeps the other actions', () => {
    const { state, containerId } = networkWithOneContainer();
    const spec: SliceSpec = { id: 'b', profile, demand: { cpu: 3, mem: 3 } };
    const { mask } = decisionInputs(state, spec);
    expect(mask[ACTION_LOCAL_JOIN]).toBe(1);

    const joined = actionToPlan(state, spec, ACTION_LOCAL_JOIN, 'test');
    expect(joined && usesAvoided(joined, { containerIds: [containerId], vnfNodeIds: [] })).toBe(
      true,
    );

    maskAvoided(state, spec, mask, { containerIds: [containerId], vnfNodeIds: [] });
    expect(mask[ACTION_LOCAL_JOIN]).toBe(0);
    expect(mask[ACTION_LOCAL_NEW]).toBe(1);
    expect(mask[ACTION_REJECT]).toBe(1);
  });

  it('leaves the mask alone when nothing on the list is used', () => {
    const { state } = networkWithOneContainer();
    const spec: SliceSpec = { id: 'b', profile, demand: { cpu: 3, mem: 3 } };
    const before = actionMaskFor(state, spec);
    const after = maskAvoided(state, spec, Uint8Array.from(before), {
      containerIds: ['elsewhere'],
      vnfNodeIds: ['nowhere'],
    });
    expect([...after]).toEqual([...before]);
  });

  it('picks an allowed placement that keeps the constraints, or rejects when none is left', () => {
    const { state, containerId } = networkWithOneContainer();
    const spec: SliceSpec = { id: 'b', profile, demand: { cpu: 3, mem: 3 } };
    const { compiled, candidates, mask } = decisionInputs(state, spec);
    maskAvoided(state, spec, mask, { containerIds: [containerId], vnfNodeIds: [] });
    const action = bestAllowedAction(state, compiled, candidates, mask);
    expect(action).not.toBe(ACTION_LOCAL_JOIN);
    expect(action).not.toBe(ACTION_REJECT);

    const nothingAllowed = new Uint8Array(ACTION_COUNT);
    nothingAllowed[ACTION_REJECT] = 1;
    expect(bestAllowedAction(state, compiled, candidates, nothingAllowed)).toBe(ACTION_REJECT);
  });
});
