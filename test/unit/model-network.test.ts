import { describe, expect, it } from 'vitest';
import { isSliceMeshError } from '../../shared/contracts/errors.js';
import type { PlacementPlan } from '../../shared/contracts/placement.js';
import {
  ACTION_COUNT,
  NetworkState,
  SliceEnv,
  actionIndex,
  actionMaskFor,
  actionToPlan,
  applyPlan,
  createRandom,
  generateInstance,
  resizeSlice,
  runEpisode,
} from '../../shared/model/index.js';

/** A state with a mix of local, cloud, joined and shared placements. */
async function busyState(seed: number, count = 12): Promise<NetworkState> {
  const env = new SliceEnv();
  await runEpisode(createRandom(seed), generateInstance(seed, count), { env });
  return env.state;
}

describe('network state: views, release, plans', () => {
  it('exports to a NetworkView and imports it back exactly (round trip)', async () => {
    for (const seed of [1_000_003, 1_000_004, 5]) {
      const state = await busyState(seed);
      const view = state.toView();
      expect(view.containers.length + view.vnfNodes.length).toBeGreaterThan(2);
      const again = NetworkState.fromView(JSON.parse(JSON.stringify(view))).toView();
      expect(again).toEqual(view);
      expect(NetworkState.fromSnapshot(state.toSnapshot()).toSnapshot()).toEqual(
        state.toSnapshot(),
      );
    }
  });

  it('rejects inconsistent views with a typed error', async () => {
    const view = (await busyState(1_000_001)).toView();
    const container = view.containers[0];
    if (container === undefined) throw new Error('expected a container');
    const broken = {
      ...view,
      vnfNodes: [...view.vnfNodes, { ...(view.vnfNodes[0] ?? container), id: container.id }],
    };
    for (const bad of [{ ...view, version: -1 }, broken]) {
      try {
        NetworkState.fromView(bad as never);
        expect.unreachable('fromView accepted an invalid view');
      } catch (error) {
        expect(isSliceMeshError(error) && error.code).toBe('invalid-message');
      }
    }
  });

  it('releasing slices restores capacity and the rest of the network exactly', async () => {
    const instance = generateInstance(1_000_010, 14);
    const env = new SliceEnv();
    await runEpisode(createRandom(1), instance, { env });
    const state = env.state;
    const snapshot = (s: NetworkState) => {
      const { version: _v, nextNodeSeq: _n, ...rest } = s.toView();
      return rest;
    };
    const before = snapshot(state);
    // Place two more slices (one local, one cloud sharing nodes), then release them.
    const extra = generateInstance(1_000_011, 2, { idPrefix: 'extra' }).requests;
    for (const request of extra) {
      const mask = actionMaskFor(state, request);
      const action = mask[actionIndex('local-new')]
        ? actionIndex('local-new')
        : actionIndex('cloud-new/vnf:sss');
      const plan = actionToPlan(
        state,
        request,
        mask[action] ? action : actionIndex('cloud-new/vnf:nnn'),
        'test',
      );
      if (plan === null) throw new Error('expected a plan');
      expect(applyPlan(state, { sliceId: request.id, ...request }, plan).outcome).toBe('applied');
    }
    expect(snapshot(state)).not.toEqual(before);
    for (const request of [...extra].reverse()) expect(state.release(request.id)).toBe(true);
    expect(snapshot(state)).toEqual(before);
    expect(state.release('extra-1')).toBe(false);
    // Releasing everything leaves an empty network with all local capacity free.
    for (const r of instance.requests) state.release(r.id);
    expect(state.toView()).toMatchObject({
      local: { cpuUsed: 0, memUsed: 0 },
      containers: [],
      vnfNodes: [],
    });
  });

  it('applies a plan only on the view version it was made for', () => {
    const state = new NetworkState(9);
    const [a, b] = generateInstance(1_000_020, 2).requests;
    if (a === undefined || b === undefined) throw new Error('expected requests');
    const planA = actionToPlan(state, a, actionIndex('cloud-new/vnf:nnn'), 'test') as PlacementPlan;
    const planB = actionToPlan(state, b, actionIndex('cloud-new/vnf:nnn'), 'test') as PlacementPlan;
    const applied = applyPlan(state, { sliceId: a.id, ...a }, planA);
    expect(applied).toMatchObject({ outcome: 'applied', viewVersion: 1, migrated: false });
    if (applied.outcome !== 'applied') return;
    expect(applied.observed).toEqual(planA.expected);
    expect(applyPlan(state, { sliceId: b.id, ...b }, planB)).toMatchObject({
      outcome: 'refused',
      reason: 'stale-view',
    });
  });

  it('refuses unknown nodes and a full local server, and reports broken tenants', () => {
    const state = new NetworkState(2);
    const profile = {
      serviceType: 'URLLC',
      latency: 'high',
      reliability: 'high',
      cost: 'general',
    } as const;
    const plan = (over: Partial<PlacementPlan>): PlacementPlan => ({
      site: 'local',
      scaling: 'horizontal',
      container: { mode: 'new' },
      vnfs: [],
      expected: { latencyMs: 30, cost: 30, reliabilityCost: 0 },
      method: 'test',
      viewVersion: state.version,
      ...over,
    });
    expect(
      applyPlan(state, { sliceId: 'big', profile, demand: { cpu: 41, mem: 1 } }, plan({})),
    ).toMatchObject({
      outcome: 'refused',
      reason: 'capacity',
    });
    expect(
      applyPlan(
        state,
        { sliceId: 'x', profile, demand: { cpu: 1, mem: 1 } },
        plan({ container: { mode: 'join', containerId: 'nope' } }),
      ),
    ).toMatchObject({ outcome: 'refused', reason: 'unknown-node' });
    const first = applyPlan(
      state,
      { sliceId: 'first', profile, demand: { cpu: 2, mem: 2 } },
      plan({}),
    );
    if (first.outcome !== 'applied') throw new Error('expected applied');
    const join = applyPlan(
      state,
      {
        sliceId: 'second',
        profile: { ...profile, reliability: 'best-effort' },
        demand: { cpu: 2, mem: 2 },
      },
      plan({
        scaling: 'vertical',
        container: { mode: 'join', containerId: first.placement.containerId },
      }),
    );
    expect(join).toMatchObject({ outcome: 'applied', served: true, affectedSliceIds: ['first'] });
    expect(() =>
      applyPlan(
        state,
        { sliceId: 'y', profile, demand: { cpu: 1, mem: 1 } },
        plan({ site: 'cloud', scaling: 'offload' }),
      ),
    ).toThrow(/VNF choice/);
  });

  it('migrates a slice atomically and scales it in place', () => {
    const state = new NetworkState(4);
    const profile = {
      serviceType: 'mMTC',
      latency: 'medium',
      reliability: 'best-effort',
      cost: 'general',
    } as const;
    const demand = { cpu: 3, mem: 2 };
    const local = actionToPlan(
      state,
      { id: 'm', profile, demand },
      actionIndex('local-new'),
      'test',
    ) as PlacementPlan;
    expect(applyPlan(state, { sliceId: 'm', profile, demand }, local).outcome).toBe('applied');
    // A surge that still fits is absorbed in place; one that does not is refused and changes nothing.
    expect(resizeSlice(state, 'm', { cpu: 6, mem: 4 }).outcome).toBe('resized');
    expect(state.toView().local).toMatchObject({ cpuUsed: 6, memUsed: 4 });
    const before = state.toView();
    expect(resizeSlice(state, 'm', { cpu: 60, mem: 4 })).toMatchObject({
      outcome: 'refused',
      reason: 'capacity',
    });
    expect(state.toView()).toEqual(before);
    // Migrate to the cloud: the local container disappears and capacity is freed.
    const toCloud = actionToPlan(
      state,
      { id: 'm', profile, demand },
      actionIndex('cloud-new/vnf:nnn'),
      'test',
    ) as PlacementPlan;
    const moved = applyPlan(state, { sliceId: 'm', profile, demand }, toCloud);
    expect(moved).toMatchObject({
      outcome: 'applied',
      migrated: true,
      placement: { site: 'cloud' },
    });
    expect(state.toView()).toMatchObject({ local: { cpuUsed: 0, memUsed: 0 } });
    expect(state.containers).toHaveLength(1);
    expect(state.vnfNodes).toHaveLength(2);
  });

  it('is deterministic: same seed, same instance, same episode, same view', async () => {
    const a = await busyState(1_000_030, 16);
    const b = await busyState(1_000_030, 16);
    expect(JSON.stringify(a.toView())).toBe(JSON.stringify(b.toView()));
    const c = await busyState(1_000_031, 16);
    expect(JSON.stringify(c.toView())).not.toBe(JSON.stringify(a.toView()));
    expect(generateInstance(7, 8).requests).toEqual(generateInstance(7, 20).requests.slice(0, 8));
    expect(ACTION_COUNT).toBe(19);
  });
});
