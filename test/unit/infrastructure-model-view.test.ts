import { describe, expect, it } from 'vitest';
import { NetworkState, applyPlan, viewWithoutSlice } from '../../shared/model/index.js';
import { DEMAND, HIGH_URLLC, placeHighUrllc, planFor } from './infrastructure-fixtures.js';

describe('viewWithoutSlice', () => {
  it('frees the slice and its own nodes but keeps version and node sequence', () => {
    const state = new NetworkState(11);
    const a = placeHighUrllc(state, 'a', { site: 'local' });
    placeHighUrllc(state, 'b', { site: 'local', join: a.placement.containerId });
    placeHighUrllc(state, 'c', { site: 'cloud' });
    const view = viewWithoutSlice(state, 'c');
    expect(view.version).toBe(state.version);
    expect(view.nextNodeSeq).toBe(state.nextNodeSeq);
    expect(view.containers.map((c) => c.id)).toEqual([a.placement.containerId]);
    expect(view.vnfNodes).toEqual([]);
    const shared = viewWithoutSlice(state, 'b');
    expect(shared.local.cpuUsed).toBe(DEMAND.cpu);
    expect(shared.containers[0]?.tenants.map((t) => t.sliceId)).toEqual(['a']);
  });

  it('leaves the state untouched and returns the plain view for an unknown slice', () => {
    const state = new NetworkState(11);
    placeHighUrllc(state, 'a', { site: 'local' });
    const before = state.toView();
    expect(viewWithoutSlice(state, 'nobody')).toEqual(before);
    viewWithoutSlice(state, 'a');
    expect(state.toView()).toEqual(before);
  });

  it('gives plans that the state accepts as an atomic re-placement', () => {
    const state = new NetworkState(11);
    const a = placeHighUrllc(state, 'a', { site: 'local' });
    placeHighUrllc(state, 'b', { site: 'local', join: a.placement.containerId });
    const planning = NetworkState.fromView(viewWithoutSlice(state, 'b'));
    const plan = planFor(planning, 'b', HIGH_URLLC, { site: 'local' });
    const moved = applyPlan(state, { sliceId: 'b', profile: HIGH_URLLC, demand: DEMAND }, plan);
    expect(moved.outcome).toBe('applied');
    if (moved.outcome !== 'applied') return;
    expect(moved.migrated).toBe(true);
    expect(moved.placement.containerId).not.toBe(a.placement.containerId);
    expect(state.toView().local.cpuUsed).toBe(2 * DEMAND.cpu);
  });
});
