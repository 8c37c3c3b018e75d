import { describe, expect, it } from 'vitest';
import type { SliceProfile } from '../../shared/contracts/common.js';
import {
  DEFAULT_MODEL_CONFIG,
  NetworkState,
  Outcome,
  SITE_CLOUD,
  SITE_LOCAL,
  compileRequest,
  normaliseOutcome,
  previewChoice,
  vnfNodeDelayMs,
  vnfNodeDeployCost,
  type Choice,
  type ModelConfig,
  type ModelNode,
  type SliceSpec,
} from '../../shared/model/index.js';

// Fixed VNF draws so every figure below can be computed by hand.
const FIXED: ModelConfig = {
  ...DEFAULT_MODEL_CONFIG,
  vnfDelayMs: { min: 12, max: 12 },
  vnfDeployCost: { min: 3, max: 3 },
};

let counter = 0;
function spec(profile: Partial<SliceProfile>, cpu = 4, mem = 3): SliceSpec {
  return {
    id: `t${++counter}`,
    profile: {
      serviceType: 'URLLC',
      latency: 'medium',
      reliability: 'medium',
      cost: 'general',
      ...profile,
    },
    demand: { cpu, mem },
  };
}
const local = (join?: ModelNode): Choice => ({ site: SITE_LOCAL, join, vnfs: [] });
const cloud = (join?: ModelNode, vnfs: (ModelNode | undefined)[] = []): Choice => ({
  site: SITE_CLOUD,
  join,
  vnfs,
});

describe('case-study formulas', () => {
  it('local, new container: latency = boot 30 ms, cost = local server 30, no shared node, uses local CPU/memory', () => {
    const state = new NetworkState(1, FIXED);
    const slice = state.place(spec({ latency: 'high' }, 5, 4), local());
    expect(state.sliceQoe(slice.id)).toEqual({
      latencyMs: 30,
      cost: 30,
      reliabilityCost: 0,
      served: true,
      violations: [],
    });
    expect(state.toView().local).toEqual({
      cpuCapacity: 40,
      memCapacity: 30,
      cpuUsed: 5,
      memUsed: 4,
    });
  });

  it('local, joining a running container: no boot delay, both tenants count one shared node', () => {
    const state = new NetworkState(1, FIXED);
    const first = state.place(spec({ reliability: 'best-effort' }), local());
    const second = state.place(spec({ reliability: 'medium' }), local(first.container));
    expect(state.sliceQoe(second.id)).toMatchObject({
      latencyMs: 0,
      cost: 30,
      reliabilityCost: 1,
      served: true,
    });
    expect(state.sliceQoe(first.id)).toMatchObject({
      latencyMs: 30,
      reliabilityCost: 1,
      served: true,
    });
    expect(state.toView().local.cpuUsed).toBe(8);
  });

  it('cost-sensitive slices cannot afford the local server (30 > 25)', () => {
    const state = new NetworkState(1, FIXED);
    const slice = state.place(spec({ cost: 'cost-sensitive' }), local());
    expect(state.sliceQoe(slice.id)).toMatchObject({
      cost: 30,
      served: false,
      violations: ['cost'],
    });
  });

  it('cloud, new container and new VNF nodes: latency = 30 + k × 12, cost = 10 + k × 3', () => {
    const state = new NetworkState(1, FIXED);
    const urllc = state.place(spec({ serviceType: 'URLLC' }), cloud(undefined, [undefined]));
    const mmtc = state.place(
      spec({ serviceType: 'mMTC' }),
      cloud(undefined, [undefined, undefined]),
    );
    const embb = state.place(
      spec({ serviceType: 'eMBB' }),
      cloud(undefined, [undefined, undefined, undefined]),
    );
    expect(state.sliceQoe(urllc.id)).toMatchObject({
      latencyMs: 42,
      cost: 13,
      reliabilityCost: 0,
      served: true,
    });
    expect(state.sliceQoe(mmtc.id)).toMatchObject({ latencyMs: 54, cost: 16, reliabilityCost: 0 });
    expect(state.sliceQoe(embb.id)).toMatchObject({ latencyMs: 66, cost: 19, reliabilityCost: 0 });
    expect(state.toView().local.cpuUsed).toBe(0);
    expect(state.vnfNodes).toHaveLength(6);
  });

  it('the 30 ms class is met only locally or by joining a running cloud container', () => {
    const state = new NetworkState(1, FIXED);
    const creator = state.place(
      spec({ serviceType: 'URLLC', reliability: 'best-effort' }),
      cloud(undefined, [undefined]),
    );
    const fresh = state.place(
      spec({ latency: 'high', reliability: 'best-effort' }),
      cloud(undefined, [undefined]),
    );
    const joined = state.place(
      spec({ latency: 'high', reliability: 'best-effort' }),
      cloud(creator.container, [creator.vnfs[0]]),
    );
    expect(state.sliceQoe(fresh.id)).toMatchObject({
      latencyMs: 42,
      served: false,
      violations: ['latency'],
    });
    // 0 boot + the shared node's 12 ms; cost 10 + nothing deployed; two shared nodes.
    expect(state.sliceQoe(joined.id)).toMatchObject({
      latencyMs: 12,
      cost: 10,
      reliabilityCost: 2,
      served: true,
    });
    expect(state.sliceQoe(creator.id)).toMatchObject({ reliabilityCost: 2, served: true });
  });

  it('sharing limits: a high-reliability tenant breaks at 2 tenants, medium at 3, best-effort at 5', () => {
    const state = new NetworkState(1, FIXED);
    const high = state.place(spec({ reliability: 'high' }), local());
    const container = high.container as ModelNode;
    const medium = state.place(spec({ reliability: 'medium' }, 1, 1), local(container));
    expect(state.sliceQoe(high.id)).toMatchObject({ served: false, violations: ['reliability'] });
    expect(state.sliceQoe(medium.id)?.served).toBe(true);
    const be = [1, 2, 3].map(() =>
      state.place(spec({ reliability: 'best-effort' }, 1, 1), local(container)),
    );
    expect(container.tenants).toHaveLength(5);
    expect(state.sliceQoe(medium.id)?.violations).toEqual(['reliability']);
    for (const s of be)
      expect(state.sliceQoe(s.id)).toMatchObject({ served: false, reliabilityCost: 1 });
  });

  it('preview equals the applied outcome and names the slices a join breaks', () => {
    const state = new NetworkState(3, FIXED);
    const a = state.place(spec({ reliability: 'high' }), cloud(undefined, [undefined]));
    const b = state.place(spec({ reliability: 'medium' }), cloud(undefined, [undefined]));
    const joiner = spec({ reliability: 'best-effort', latency: 'high' });
    const choice = cloud(a.container, [b.vnfs[0]]);
    const affected: string[] = [];
    const preview = previewChoice(
      state,
      compileRequest(FIXED, joiner),
      choice,
      new Outcome(),
      affected,
    );
    // a (high) breaks on the container; b (medium) tolerates 2 on the VNF node.
    expect(affected).toEqual([a.id]);
    expect(preview.affected).toBe(1);
    expect(preview.othersNewlyShared).toBe(2);
    expect(preview).toMatchObject({ latencyMs: 12, cost: 10, reliabilityCost: 2, violations: 0 });
    state.place(joiner, choice);
    expect(state.sliceQoe(joiner.id)).toMatchObject({
      latencyMs: 12,
      cost: 10,
      reliabilityCost: 2,
      served: true,
    });
  });

  it('draws VNF delays in 10–15 ms and deployment costs in 2–4, deterministically per seed and sequence number', () => {
    const delays = new Set<number>();
    const costs = new Set<number>();
    for (let seq = 0; seq < 600; seq++) {
      const d = vnfNodeDelayMs(DEFAULT_MODEL_CONFIG, 77, seq);
      const c = vnfNodeDeployCost(DEFAULT_MODEL_CONFIG, 77, seq);
      expect(d).toBe(vnfNodeDelayMs(DEFAULT_MODEL_CONFIG, 77, seq));
      delays.add(d);
      costs.add(c);
    }
    expect([...delays].sort((x, y) => x - y)).toEqual([10, 11, 12, 13, 14, 15]);
    expect([...costs].sort()).toEqual([2, 3, 4]);
    const state = new NetworkState(77);
    state.nextNodeSeq = 6;
    const slice = state.place(
      spec({ serviceType: 'mMTC' }),
      cloud(undefined, [undefined, undefined]),
    );
    expect(slice.vnfs.map((n) => n.delayMs)).toEqual([
      vnfNodeDelayMs(DEFAULT_MODEL_CONFIG, 77, 6),
      vnfNodeDelayMs(DEFAULT_MODEL_CONFIG, 77, 7),
    ]);
    expect(state.nextNodeSeq).toBe(9);
  });

  it('normalises outcome terms onto a common scale', () => {
    const o = new Outcome();
    o.placed = true;
    o.latencyMs = 50;
    o.cost = 20;
    o.reliabilityCost = 3;
    o.violations = 0b101;
    o.affected = 2;
    expect(normaliseOutcome(o)).toEqual({
      latency: 0.5,
      cost: 0.5,
      reliability: 1,
      served: 0,
      violations: 2,
      affected: 2,
      othersNewlyShared: 0,
      rejected: 0,
    });
    o.reset();
    expect(normaliseOutcome(o)).toMatchObject({ rejected: 1, served: 0, latency: 0 });
  });
});
