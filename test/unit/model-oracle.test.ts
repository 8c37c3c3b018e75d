import { describe, expect, it } from 'vitest';
import type { SliceProfile } from '../../shared/contracts/common.js';
import {
  NetworkState,
  SITE_CLOUD,
  SITE_LOCAL,
  createPolicy,
  evaluationSeeds,
  generateInstance,
  runEpisode,
  solveOracle,
  tieBreakWeight,
  type Choice,
  type Instance,
  type ModelNode,
  type ModelRequest,
} from '../../shared/model/index.js';

/** Every placement of one request on `state` in the full space: any container to join, any node to share. */
function allChoices(state: NetworkState, request: ModelRequest): Choice[] {
  const type = { URLLC: 0, eMBB: 1, mMTC: 2 }[request.profile.serviceType];
  const k = state.chainLength(type);
  const running = (site: number) =>
    state.containers.filter((c) => c.site === site && c.type === type);
  const choices: Choice[] = [];
  for (const join of [undefined, ...running(SITE_LOCAL)])
    choices.push({ site: SITE_LOCAL, join, vnfs: [] });
  let chains: (ModelNode | undefined)[][] = [[]];
  for (let p = 0; p < k; p++) {
    const nodes = [undefined, ...state.vnfNodes.filter((n) => n.type === type && n.position === p)];
    chains = chains.flatMap((chain) => nodes.map((n) => [...chain, n]));
  }
  for (const join of [undefined, ...running(SITE_CLOUD)]) {
    for (const vnfs of chains) choices.push({ site: SITE_CLOUD, join, vnfs });
  }
  return choices;
}

/** Exhaustive search: the most served slices, then the least total weighted cost. */
function bruteForce(instance: Instance): { served: number; tieBreak: number; leaves: number } {
  const state = new NetworkState(instance.seed);
  const best = { served: -1, tieBreak: Infinity, leaves: 0 };
  const visit = (i: number): void => {
    if (i === instance.requests.length) {
      best.leaves++;
      let served = 0;
      let tie = 0;
      for (const r of instance.requests) {
        const q = state.sliceQoe(r.id);
        if (q === undefined) continue;
        if (q.served) served++;
        tie += tieBreakWeight(q.latencyMs, q.cost, q.reliabilityCost);
      }
      if (served > best.served || (served === best.served && tie < best.tieBreak - 1e-9)) {
        best.served = served;
        best.tieBreak = tie;
      }
      return;
    }
    const request = instance.requests[i] as ModelRequest;
    const seq = state.nextNodeSeq;
    state.skipPlacement();
    visit(i + 1);
    state.nextNodeSeq = seq;
    const demandCpu = Math.round(request.demand.cpu * 1000);
    const demandMem = Math.round(request.demand.mem * 1000);
    for (const choice of allChoices(state, request)) {
      if (choice.site === SITE_LOCAL && !state.localFits(demandCpu, demandMem)) continue;
      state.place(request, choice);
      visit(i + 1);
      state.release(request.id);
      state.nextNodeSeq = seq;
    }
  };
  visit(0);
  return best;
}

function handmade(seed: number, profiles: [Partial<SliceProfile>, number, number][]): Instance {
  return {
    seed,
    requests: profiles.map(([p, cpu, mem], i) => ({
      id: `h${i}`,
      profile: {
        serviceType: 'URLLC',
        latency: 'high',
        reliability: 'medium',
        cost: 'general',
        ...p,
      },
      demand: { cpu, mem },
      description: 'test',
    })),
  };
}

describe('exact oracle', () => {
  const small: Instance[] = [
    ...[11, 12, 13, 14, 15, 16].map((s) => generateInstance(1_000_000 + s, 4)),
    // A tight local server: two of the 30 ms slices must go to the cloud by joining a
    // container that a tolerant slice (or a sacrificed one) started.
    handmade(3, [
      [{ latency: 'medium', reliability: 'best-effort' }, 3, 14],
      [{ reliability: 'high' }, 5, 14],
      [{ reliability: 'best-effort' }, 5, 10],
      [{ reliability: 'medium', cost: 'general' }, 4, 6],
      [{ serviceType: 'mMTC', latency: 'high', reliability: 'best-effort' }, 2, 2],
    ]),
    handmade(4, [
      [{ reliability: 'high' }, 6, 16],
      [{ reliability: 'high' }, 6, 16],
      [{ reliability: 'best-effort' }, 6, 16],
      [{ latency: 'medium', reliability: 'best-effort', cost: 'cost-sensitive' }, 2, 2],
    ]),
  ];

  it('matches exhaustive search on small instances (served count and tie-break), pruned or not', async () => {
    for (const instance of small) {
      const brute = bruteForce(instance);
      expect(brute.leaves).toBeGreaterThan(50);
      const pruned = await solveOracle(instance);
      const full = await solveOracle(instance, undefined, { prune: false });
      expect(pruned.served, `seed ${instance.seed}`).toBe(brute.served);
      expect(full.served).toBe(brute.served);
      expect(pruned.tieBreak).toBeCloseTo(brute.tieBreak, 4);
      expect(full.tieBreak).toBeCloseTo(brute.tieBreak, 4);
    }
  });

  it('serves at least as many slices as every other policy on every instance, and its plan replays exactly', async () => {
    const oracle = await createPolicy('oracle');
    const others = await Promise.all(
      ['local-first', 'cloud-only', 'first-fit', 'random'].map((m) => createPolicy(m)),
    );
    for (const count of [6, 12]) {
      for (const seed of evaluationSeeds(12)) {
        const instance = generateInstance(seed, count);
        const best = await runEpisode(oracle, instance);
        const solution = await solveOracle(instance);
        expect(best.served).toBe(solution.served);
        for (const policy of others) {
          const result = await runEpisode(policy, instance);
          expect(
            best.served,
            `${policy.name}, seed ${seed}, ${count} requests`,
          ).toBeGreaterThanOrEqual(result.served);
        }
      }
    }
  });

  it('outside an episode it explains that it needs the whole sequence', async () => {
    const oracle = await createPolicy('oracle');
    const state = new NetworkState(1);
    expect(() =>
      oracle.decide({
        state,
        request: generateInstance(1, 1).requests[0] as ModelRequest,
        compiled: undefined as never,
        candidates: undefined as never,
        mask: new Uint8Array(19),
        observe: () => new Float32Array(0),
      }),
    ).toThrow(/whole request sequence/);
  });
});
