import { describe, expect, it } from 'vitest';
import type { SliceProfile } from '../../shared/contracts/common.js';
import { isSliceMeshError } from '../../shared/contracts/errors.js';
import {
  DEFAULT_MODEL_CONFIG,
  createPolicy,
  evaluationSeeds,
  generateInstance,
  runEpisode,
  sliceQoeScore,
  type Belief,
  type DecisionContext,
  type Instance,
  type Policy,
} from '../../shared/model/index.js';
import { evaluate, formatReportTable } from '../../shared/model/report/index.js';

const [SEED] = evaluationSeeds(1) as [number];

/** The loosest classes: a method that believes them shares and offloads freely. */
const loosest = (p: SliceProfile): SliceProfile => ({
  ...p,
  latency: 'best-effort',
  reliability: 'best-effort',
  cost: 'general',
});

/** The instance with every request's classes replaced as `f` says. */
function withProfiles(instance: Instance, f: (p: SliceProfile) => SliceProfile): Instance {
  return { ...instance, requests: instance.requests.map((r) => ({ ...r, profile: f(r.profile) })) };
}

/** Wraps `inner`, recording every decision context it is given. */
function spying(inner: Policy): { policy: Policy; seen: DecisionContext[] } {
  const seen: DecisionContext[] = [];
  return {
    seen,
    policy: {
      name: inner.name,
      startEpisode: (instance) => inner.startEpisode?.(instance),
      decide: (ctx) => {
        seen.push(ctx);
        return inner.decide(ctx);
      },
    },
  };
}

const figures = (s: {
  placed: boolean;
  latencyMs: number;
  cost: number;
  reliabilityCost: number;
}) => [s.placed, s.latencyMs, s.cost, s.reliabilityCost] as const;

describe('episodes with believed profiles', () => {
  it('without beliefs, requests state their true classes', async () => {
    const instance = generateInstance(SEED, 6);
    const { policy, seen } = spying(await createPolicy('first-fit'));
    await runEpisode(policy, instance);
    expect(seen.map((c) => c.request.profile)).toEqual(instance.requests.map((r) => r.profile));
    expect(seen.map((c) => c.sla)).toEqual(instance.requests.map((r) => r.profile));
  });

  it('believing the truth changes nothing', async () => {
    for (const method of ['first-fit', 'local-first', 'random']) {
      const instance = generateInstance(SEED + 1, 16);
      const beliefs: Belief[] = instance.requests.map((r) => ({
        profile: r.profile,
        stated: true,
      }));
      const plain = await runEpisode(await createPolicy(method), instance);
      const believed = await runEpisode(await createPolicy(method), instance, { beliefs });
      expect(believed, method).toEqual(plain);
    }
  });

  it('a method decides on what it believes, the judge uses the truth', async () => {
    const instance = generateInstance(SEED + 2, 16);
    const believedInstance = withProfiles(instance, loosest);
    const beliefs: Belief[] = believedInstance.requests.map((r) => ({
      profile: r.profile,
      stated: false,
    }));
    const { policy, seen } = spying(await createPolicy('first-fit'));
    const result = await runEpisode(policy, instance, { beliefs });

    // It saw only the beliefs: the request, its compiled limits, the slices already placed.
    for (const [i, ctx] of seen.entries()) {
      expect(ctx.request.profile).toEqual(beliefs[i]?.profile);
      expect(ctx.sla).toBeUndefined();
      expect(ctx.compiled.latencyLimitMs).toBe(DEFAULT_MODEL_CONFIG.latencyLimitMs['best-effort']);
      for (const slice of ctx.state.slices.values())
        expect(slice.profile?.latency).toBe('best-effort');
    }
    // So it placed exactly as on an instance whose classes really were the loosest ...
    const asBelieved = await runEpisode(await createPolicy('first-fit'), believedInstance);
    expect(result.slices.map(figures)).toEqual(asBelieved.slices.map(figures));
    // ... but is judged against the true classes, which it sometimes misses.
    const config = DEFAULT_MODEL_CONFIG;
    instance.requests.forEach((r, i) => {
      const s = result.slices[i];
      if (!s?.placed) return;
      const tooSlow = s.latencyMs > config.latencyLimitMs[r.profile.latency];
      const tooDear = s.cost > config.costLimit[r.profile.cost];
      expect(s.violations.includes('latency'), r.id).toBe(tooSlow);
      expect(s.violations.includes('cost'), r.id).toBe(tooDear);
      expect(s.served).toBe(s.violations.length === 0);
      expect(s.qoeScore).toBe(s.served ? sliceQoeScore(true, s, r.profile) : null);
    });
    expect(result.served).toBeLessThan(asBelieved.served);
    expect(result.availability).toBe(result.served / instance.requests.length);
  });

  it('a misread service type deploys the believed chain and is never served', async () => {
    const instance = generateInstance(SEED + 3, 8);
    const first = instance.requests[0]?.profile as SliceProfile;
    const other = first.serviceType === 'mMTC' ? 'eMBB' : 'mMTC';
    const beliefs: Belief[] = instance.requests.map((r, i) => ({
      profile: i === 0 ? { ...r.profile, serviceType: other } : r.profile,
      stated: false,
    }));
    const result = await runEpisode(await createPolicy('local-first'), instance, { beliefs });
    const [misread, ...rest] = result.slices;
    expect(misread).toMatchObject({
      placed: true,
      served: false,
      deployedAs: other,
      qoeScore: null,
    });
    expect(rest.every((s) => s.deployedAs === undefined)).toBe(true);
    expect(result.served).toBe(rest.filter((s) => s.served).length);
  });

  it('refuses beliefs that do not match the requests', async () => {
    const instance = generateInstance(SEED, 4);
    await expect(
      runEpisode(await createPolicy('random'), instance, { beliefs: [] }),
    ).rejects.toSatisfy((e: unknown) => isSliceMeshError(e) && e.code === 'internal');
  });
});

describe('evaluation of text-only requests', () => {
  const options = { requestCounts: [8, 16], seeds: evaluationSeeds(4) };

  it('feeds every online method the inferred profiles, keeps the oracle on the truth, and says so', async () => {
    const stated = await evaluate({ ...options, methods: ['first-fit', 'oracle'] });
    const text = await evaluate({
      ...options,
      methods: ['first-fit', 'oracle'],
      intent: 'text',
      inferProfile: (r) => loosest(r.profile),
    });
    expect(stated.intent).toBe('stated');
    expect(text.intent).toBe('text');
    const rows = (report: typeof text, method: string) =>
      report.results.filter((r) => r.method === method);
    expect(rows(text, 'oracle')).toEqual(rows(stated, 'oracle'));
    // Believing the loosest classes, first-fit breaks true limits it cannot see.
    for (const [i, row] of rows(text, 'first-fit').entries()) {
      expect(row.availability).toBeLessThan(rows(stated, 'first-fit')[i]?.availability as number);
    }
    expect(formatReportTable(text).split('\n')[0]).toMatch(/^intent: text/);
    expect(formatReportTable(stated).split('\n')[0]).toMatch(/^intent: stated/);
  });

  it('averages the QoE score of served slices per episode, then across seeds', async () => {
    const scores: number[] = [];
    const report = await evaluate({
      methods: ['first-fit'],
      requestCounts: [12],
      seeds: evaluationSeeds(3),
      onEpisode: (episode) => {
        const served = episode.slices.filter((s) => s.served);
        scores.push(served.reduce((sum, s) => sum + (s.qoeScore as number), 0) / served.length);
        expect(episode.avgQoeScore).toBeCloseTo(scores.at(-1) as number, 12);
      },
    });
    const [row] = report.results;
    expect(row?.qoeScore).toBeCloseTo(scores.reduce((a, b) => a + b, 0) / scores.length, 6);
    expect(row?.ci95.qoeScore?.[0]).toBeLessThanOrEqual(row?.qoeScore as number);
  });

  it('needs the inferred profiles', async () => {
    await expect(
      evaluate({ ...options, methods: ['first-fit'], intent: 'text' }),
    ).rejects.toSatisfy((e: unknown) => isSliceMeshError(e) && e.code === 'config');
  });
});
