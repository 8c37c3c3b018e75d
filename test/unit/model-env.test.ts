import { describe, expect, it } from 'vitest';
import { isSliceMeshError } from '../../shared/contracts/errors.js';
import {
  ACTION_COUNT,
  ACTION_NAMES,
  OBSERVATION_LAYOUT,
  OBSERVATION_SIZE,
  SliceEnv,
  SERVICE_INDEX,
  SITE_CLOUD,
  SITE_LOCAL,
  generateInstance,
  type ModelRequest,
  type NetworkState,
} from '../../shared/model/index.js';
import { createRng } from '../../shared/random.js';

function capacityHolds(state: NetworkState): boolean {
  return state.cpuUsed <= state.cpuCapacity && state.memUsed <= state.memCapacity;
}

describe('step environment', () => {
  it('has a fixed action space with readable names and a fixed observation size', () => {
    const env = new SliceEnv();
    expect(env.actionCount).toBe(ACTION_COUNT);
    expect(ACTION_NAMES).toHaveLength(ACTION_COUNT);
    expect(new Set(ACTION_NAMES).size).toBe(ACTION_COUNT);
    expect(OBSERVATION_LAYOUT).toHaveLength(OBSERVATION_SIZE);
    env.reset(generateInstance(1, 3));
    expect(env.observe()).toHaveLength(OBSERVATION_SIZE);
  });

  it('masks never allow a physically infeasible action, and every allowed action steps', () => {
    const rng = createRng('masks');
    const env = new SliceEnv();
    const probe = new SliceEnv();
    let checked = 0;
    for (let episode = 0; episode < 25; episode++) {
      const instance = generateInstance(2_000 + episode, rng.int(4, 20));
      env.reset(instance);
      while (!env.done) {
        const mask = env.actionMask().slice();
        const request = env.currentRequest();
        const k = env.currentCompiled().chainLength;
        for (let a = 0; a < ACTION_COUNT; a++) {
          const name = ACTION_NAMES[a] as string;
          // Replay the episode prefix on a probe env, then try action a there.
          probe.reset(instance);
          for (let i = 0; i < env.stepIndex; i++) probe.step(replay[i] as number);
          if (mask[a] === 1) {
            const result = probe.step(a);
            expect(capacityHolds(probe.state)).toBe(true);
            expect(result.placed).toBe(a !== 0);
            checked++;
          } else {
            expect(() => probe.step(a)).toThrow(/not feasible/);
          }
          // Independent statement of physical feasibility: room on the local
          // server, something of the slice's type to join, a pattern within the chain.
          expect(mask[a] === 1, name).toBe(physicallyFeasible(env.state, request, k, a));
        }
        const allowed = [...mask.keys()].filter((a) => mask[a] === 1);
        const action = rng.pick(allowed);
        replay[env.stepIndex] = action;
        env.step(action);
        expect(capacityHolds(env.state)).toBe(true);
      }
      replay.length = 0;
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('refuses a masked action with a typed error and keeps the state', () => {
    const env = new SliceEnv();
    env.reset(generateInstance(3, 4));
    const before = JSON.stringify(env.state.toView());
    try {
      env.step(ACTION_NAMES.indexOf('local-join'));
      expect.unreachable('a join with nothing to join was accepted');
    } catch (error) {
      expect(isSliceMeshError(error) && error.code).toBe('infeasible');
    }
    expect(JSON.stringify(env.state.toView())).toBe(before);
  });

  it('keeps observations normalised and consistent with the mask', () => {
    const env = new SliceEnv();
    const rng = createRng(5);
    for (let e = 0; e < 10; e++) {
      env.reset(generateInstance(1_000 + e, 20));
      while (!env.done) {
        const obs = [...env.observe()];
        const mask = env.actionMask();
        expect(obs.every((x) => Number.isFinite(x) && x >= 0 && x <= 3)).toBe(true);
        expect(Array.from({ length: ACTION_COUNT }, (_, a) => obs[33 + a * 6])).toEqual([...mask]);
        const allowed = [...mask.keys()].filter((a) => mask[a] === 1);
        env.step(rng.pick(allowed));
      }
    }
  });

  it('reports raw outcomes that match the final state for the placed slice', () => {
    const env = new SliceEnv({ trackAffectedIds: true });
    env.reset(generateInstance(11, 6));
    const first = env.step(ACTION_NAMES.indexOf('local-new'));
    expect(first).toMatchObject({
      placed: true,
      latencyMs: 30,
      cost: 30,
      reliabilityCost: 0,
      done: false,
    });
    const id = env.state.containers[0]?.tenants[0]?.id;
    expect(env.state.containers[0]?.site).toBe(SITE_LOCAL);
    while (!env.done) env.step(0);
    const summary = env.summary();
    expect(summary.slices.filter((s) => s.placed)).toHaveLength(1);
    expect(summary.slices[0]).toMatchObject({ id, placed: true, latencyMs: 30, cost: 30 });
    expect(summary.availability).toBe(summary.slices[0]?.served ? 1 / 6 : 0);
    expect(() => env.step(0)).toThrow(/episode is over/);
  });

  it('is deterministic: the same actions on the same instance give the same observations', () => {
    const run = () => {
      const env = new SliceEnv();
      const rng = createRng(99);
      env.reset(generateInstance(1_000_500, 20));
      const trace: number[] = [];
      while (!env.done) {
        trace.push(...env.observe());
        const mask = env.actionMask();
        const r = env.step(rng.pick([...mask.keys()].filter((a) => mask[a] === 1)));
        trace.push(r.latencyMs, r.cost, r.reliabilityCost, r.violations, r.affected);
      }
      return trace;
    };
    expect(run()).toEqual(run());
  });
});

const replay: number[] = [];

function physicallyFeasible(
  state: NetworkState,
  request: ModelRequest,
  k: number,
  a: number,
): boolean {
  const name = ACTION_NAMES[a] as string;
  if (name === 'reject') return true;
  const type = SERVICE_INDEX[request.profile.serviceType];
  const fits = state.localFits(
    Math.round(request.demand.cpu * 1000),
    Math.round(request.demand.mem * 1000),
  );
  const running = (site: number) =>
    state.containers.some((c) => c.site === site && c.type === type && c.tenants.length > 0);
  if (name === 'local-new') return fits;
  if (name === 'local-join') return fits && running(SITE_LOCAL);
  const pattern = name.slice(-3);
  for (let p = 0; p < 3; p++) {
    if (pattern[p] !== 's') continue;
    if (p >= k) return false;
    if (!state.vnfNodes.some((n) => n.type === type && n.position === p && n.tenants.length > 0))
      return false;
  }
  return name.startsWith('cloud-join') ? running(SITE_CLOUD) : true;
}
