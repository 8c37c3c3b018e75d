/**
 * Which plans made on an older view the model still applies: those with only
 * releases in between (they free room and nodes), never those with another
 * placement, a skipped placement or a resize in between.
 */
import { describe, expect, it } from 'vitest';
import { NetworkState, applyPlan } from '../../shared/model/index.js';
import { HIGH_URLLC, applyRequest, placeHighUrllc } from './infrastructure-fixtures.js';

describe('plan staleness', () => {
  it('applies a plan made before releases only', () => {
    const state = new NetworkState(3);
    placeHighUrllc(state, 'a', { site: 'local' });
    placeHighUrllc(state, 'b', { site: 'cloud' });
    const pending = applyRequest(state, 'c', HIGH_URLLC, { site: 'local' });
    state.release('a');
    state.release('b');
    expect(state.version).toBe(pending.plan.viewVersion + 2);
    const result = applyPlan(state, pending, pending.plan);
    expect(result.outcome).toBe('applied');
  });

  it('refuses a plan made before another placement, a skipped one or a resize', () => {
    const state = new NetworkState(3);
    placeHighUrllc(state, 'a', { site: 'local' });
    const beforePlacement = applyRequest(state, 'c', HIGH_URLLC, { site: 'local' });
    placeHighUrllc(state, 'b', { site: 'local' });
    expect(applyPlan(state, beforePlacement, beforePlacement.plan)).toMatchObject({
      outcome: 'refused',
      reason: 'stale-view',
    });

    const beforeSkip = applyRequest(state, 'c', HIGH_URLLC, { site: 'local' });
    state.skipPlacement();
    expect(applyPlan(state, beforeSkip, beforeSkip.plan)).toMatchObject({ reason: 'stale-view' });

    const beforeResize = applyRequest(state, 'c', HIGH_URLLC, { site: 'local' });
    state.resize('a', { cpu: 4, mem: 3 });
    expect(applyPlan(state, beforeResize, beforeResize.plan)).toMatchObject({
      reason: 'stale-view',
    });
    // A release after the conflicting change does not make a later plan stale again.
    const fresh = applyRequest(state, 'c', HIGH_URLLC, { site: 'local' });
    state.release('b');
    expect(applyPlan(state, fresh, fresh.plan).outcome).toBe('applied');
  });

  it('refuses a plan that joins a container a release removed', () => {
    const state = new NetworkState(3);
    const a = placeHighUrllc(state, 'a', { site: 'local' });
    const joining = applyRequest(state, 'c', HIGH_URLLC, {
      site: 'local',
      join: a.placement.containerId,
    });
    state.release('a');
    expect(applyPlan(state, joining, joining.plan)).toMatchObject({
      outcome: 'refused',
      reason: 'unknown-node',
    });
  });

  it('refuses a plan from a version the network has not reached', () => {
    const state = new NetworkState(3);
    const request = applyRequest(state, 'c', HIGH_URLLC, { site: 'local' });
    const ahead = { ...request.plan, viewVersion: state.version + 1 };
    expect(applyPlan(state, request, ahead)).toMatchObject({ reason: 'stale-view' });
  });
});
