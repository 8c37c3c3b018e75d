import { describe, expect, it } from 'vitest';
import {
  DEFAULT_KPI_MODEL_PARAMS,
  nodeCongestionMs,
  sliceKpi,
} from '../../agents/infrastructure/kpi-model.js';
import { ResourceOwner } from '../../agents/infrastructure/resources.js';
import { TrafficTable } from '../../agents/infrastructure/traffic.js';
import type { SliceProfile } from '../../shared/contracts/index.js';
import { DEFAULT_MODEL_CONFIG, NetworkState } from '../../shared/model/index.js';
import {
  DEMAND,
  HIGH_URLLC,
  MEDIUM_URLLC,
  applyRequest,
  type Where,
} from './infrastructure-fixtures.js';

const HIGH_LIMIT = DEFAULT_MODEL_CONFIG.latencyLimitMs.high;
const MEDIUM_LIMIT = DEFAULT_MODEL_CONFIG.latencyLimitMs.medium;

function place(owner: ResourceOwner, id: string, profile: SliceProfile, where: Where) {
  const { reply } = owner.apply(applyRequest(owner.state, id, profile, where), 1);
  if (reply.outcome !== 'applied') throw new Error(reply.message);
  return reply;
}

/** Slice `a` runs in its own new local container; `b` and `c` join it. */
function sharedContainer(profile: SliceProfile = HIGH_URLLC) {
  const owner = ResourceOwner.fresh(3);
  const a = place(owner, 'a', profile, { site: 'local' });
  place(owner, 'b', profile, { site: 'local', join: a.placement.containerId });
  return { owner, containerId: a.placement.containerId };
}

function loads(table: Record<string, number>) {
  return (id: string) => table[id] ?? 1;
}

describe('KPI model', () => {
  it('reports the model figures unchanged at nominal load', () => {
    const { owner } = sharedContainer();
    for (const id of ['a', 'b']) {
      const kpi = sliceKpi(owner.state, id, loads({}));
      const qoe = owner.state.sliceQoe(id);
      expect(kpi).toMatchObject({
        latencyMs: qoe?.latencyMs,
        cost: qoe?.cost,
        reliabilityCost: qoe?.reliabilityCost,
        congestionMs: 0,
        sharing: 2,
        cpu: DEMAND.cpu,
        mem: DEMAND.mem,
        load: 1,
      });
    }
  });

  it('a surge on a shared container pushes the slice past the high-priority limit', () => {
    const { owner } = sharedContainer();
    const kpi = sliceKpi(owner.state, 'b', loads({ b: 2 }));
    expect(kpi?.nominalLatencyMs).toBe(0);
    expect(kpi?.congestionMs).toBe(DEFAULT_KPI_MODEL_PARAMS.congestionMsPerExcessLoad);
    expect(kpi?.latencyMs).toBeGreaterThan(HIGH_LIMIT);
    expect(kpi?.cpu).toBe(2 * DEMAND.cpu);
    // The neighbour waits in the same queue.
    expect(sliceKpi(owner.state, 'a', loads({ b: 2 }))?.latencyMs).toBeGreaterThan(HIGH_LIMIT);
  });

  it('a surge of 3 pushes a medium-priority slice on a shared container past 100 ms', () => {
    const { owner } = sharedContainer(MEDIUM_URLLC);
    expect(sliceKpi(owner.state, 'b', loads({ b: 2 }))?.latencyMs).toBeLessThanOrEqual(
      MEDIUM_LIMIT,
    );
    expect(sliceKpi(owner.state, 'b', loads({ b: 3 }))?.latencyMs).toBeGreaterThan(MEDIUM_LIMIT);
  });

  it('the same surging slice re-placed on a dedicated container meets its limit again', () => {
    const { owner } = sharedContainer();
    const surge = loads({ b: 3 });
    expect(sliceKpi(owner.state, 'b', surge)?.latencyMs).toBeGreaterThan(HIGH_LIMIT);
    const planning = NetworkState.fromView(owner.view('b'));
    const { reply, migrated } = owner.apply(
      applyRequest(planning, 'b', HIGH_URLLC, { site: 'local' }),
      2,
    );
    expect(reply.outcome).toBe('applied');
    expect(migrated).toBe(true);
    const after = sliceKpi(owner.state, 'b', surge);
    expect(after?.congestionMs).toBe(0);
    expect(after?.latencyMs).toBeLessThanOrEqual(HIGH_LIMIT);
    expect(after?.cpu).toBe(3 * DEMAND.cpu);
    expect(sliceKpi(owner.state, 'a', surge)?.latencyMs).toBeLessThanOrEqual(HIGH_LIMIT);
  });

  it('a lightly loaded tenant absorbs part of its neighbour’s surge', () => {
    const { owner, containerId } = sharedContainer();
    const node = owner.state.findContainer(containerId);
    if (!node) throw new Error('container missing');
    const params = DEFAULT_KPI_MODEL_PARAMS;
    expect(nodeCongestionMs(node, loads({ b: 2, a: 0.5 }), params)).toBe(
      0.5 * params.congestionMsPerExcessLoad,
    );
    expect(nodeCongestionMs(node, loads({ b: 1.5, a: 0.5 }), params)).toBe(0);
  });

  it('adds the congestion of every shared node on a cloud path', () => {
    const owner = ResourceOwner.fresh(3);
    const first = place(owner, 'a', MEDIUM_URLLC, { site: 'cloud' });
    place(owner, 'b', MEDIUM_URLLC, {
      site: 'cloud',
      join: first.placement.containerId,
      share: first.placement.vnfNodeIds,
    });
    const kpi = sliceKpi(owner.state, 'b', loads({ b: 2 }));
    const sharedNodes = 1 + first.placement.vnfNodeIds.length;
    expect(kpi?.reliabilityCost).toBe(sharedNodes);
    expect(kpi?.congestionMs).toBe(
      sharedNodes * DEFAULT_KPI_MODEL_PARAMS.congestionMsPerExcessLoad,
    );
  });

  it('is undefined for a slice that holds nothing', () => {
    expect(sliceKpi(new NetworkState(1), 'ghost', loads({}))).toBeUndefined();
  });
});

describe('traffic fluctuation', () => {
  function series(seed: number, amplitude: number, sliceId = 's1', ticks = 20): number[] {
    const table = new TrafficTable(seed, amplitude);
    table.track(sliceId);
    table.setFactor(sliceId, 2);
    const out: number[] = [];
    for (let i = 0; i < ticks; i++) {
      table.tick();
      out.push(table.loadOf(sliceId));
    }
    return out;
  }

  it('gives the same load series for the same seed, another for another seed', () => {
    expect(series(42, 0.3)).toEqual(series(42, 0.3));
    expect(series(42, 0.3)).not.toEqual(series(43, 0.3));
  });

  it('keeps loads within factor × (1 ± amplitude) and actually varies them', () => {
    const values = series(7, 0.25, 's1', 200);
    for (const v of values) {
      expect(v).toBeGreaterThanOrEqual(2 * 0.75);
      expect(v).toBeLessThanOrEqual(2 * 1.25);
    }
    expect(new Set(values).size).toBeGreaterThan(100);
  });

  it('does not depend on which other slices are tracked', () => {
    const alone = series(9, 0.2, 'x');
    const table = new TrafficTable(9, 0.2);
    table.track('other');
    table.track('x');
    table.setFactor('x', 2);
    const crowded: number[] = [];
    for (let i = 0; i < 20; i++) {
      table.tick();
      crowded.push(table.loadOf('x'));
    }
    expect(crowded).toEqual(alone);
  });

  it('without amplitude the load is the announced factor', () => {
    expect(series(1, 0)).toEqual(Array.from({ length: 20 }, () => 2));
  });

  it('refuses an amplitude outside [0, 1) and a non-positive factor', () => {
    expect(() => new TrafficTable(1, 1)).toThrow(/amplitude/);
    expect(() => new TrafficTable(1, 0.1).setFactor('a', 0)).toThrow(/positive/);
  });
});
