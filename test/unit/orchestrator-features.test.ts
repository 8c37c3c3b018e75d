import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PPO_INPUT_SIZE,
  PPO_SLA_INPUT_SIZE,
  QAPPO_INPUT_SIZE,
} from '../../agents/orchestrator/features.js';
import {
  EQUAL_WEIGHTS,
  FeatureBuilder,
  LEARNED_METHODS,
  inputSize,
  methodWeights,
  IntentCache,
  buildIntentCache,
  cacheIsCurrent,
  coveredRequests,
  type Intent,
  preferenceWeights,
  stepReward,
  REWARD_CONSTANTS,
} from '../../agents/orchestrator/index.js';
import { isSliceMeshError, type SliceProfile } from '../../shared/contracts/index.js';
import {
  Candidates,
  DEFAULT_MODEL_CONFIG,
  OBSERVATION_LAYOUT,
  OBSERVATION_SIZE,
  OUTCOME_SCALES,
  SliceEnv,
  compileRequest,
  computeCandidates,
  generateInstance,
  type ModelRequest,
  type NormalisedOutcome,
} from '../../shared/model/index.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'orchestrator-features-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A network with a few slices placed, and the next request on it. */
function busyState() {
  const env = new SliceEnv();
  env.reset(generateInstance(42, 12));
  for (let i = 0; i < 8; i++) {
    const mask = env.actionMask();
    // Deterministic mix of local and cloud placements.
    const allowed = [...mask.keys()].filter((a) => mask[a] === 1 && a !== 0);
    env.step(allowed[i % allowed.length] as number);
  }
  const request = env.currentRequest();
  const candidates = computeCandidates(
    env.state,
    compileRequest(DEFAULT_MODEL_CONFIG, request),
    new Candidates(),
  );
  return { state: env.state, request, candidates };
}

const A: Intent = {
  preference: { latency: 0.7, reliability: 0.1, economics: 0.1, throughput: 0.1 },
  profile: { serviceType: 'URLLC', latency: 'high', reliability: 'high', cost: 'general' },
};
const B: Intent = {
  preference: { latency: 0.1, reliability: 0.1, economics: 0.7, throughput: 0.1 },
  profile: {
    serviceType: 'URLLC',
    latency: 'best-effort',
    reliability: 'best-effort',
    cost: 'cost-sensitive',
  },
};

describe('policy inputs', () => {
  it('ppo sees nothing of the interpreter: its input is the same whatever the intent', () => {
    const { state, request, candidates } = busyState();
    const ppo = new FeatureBuilder('ppo', DEFAULT_MODEL_CONFIG);
    const a = ppo.build(state, request, A, candidates, new Float32Array(PPO_INPUT_SIZE));
    const b = ppo.build(state, request, B, candidates, new Float32Array(PPO_INPUT_SIZE));
    expect([...a]).toEqual([...b]);
    expect(a.some((x) => x !== 0)).toBe(true);
  });

  it("qappo sees ppo's input plus the inferred classes and the preference vector", () => {
    const { state, request, candidates } = busyState();
    const qappo = new FeatureBuilder('qappo', DEFAULT_MODEL_CONFIG);
    const a = qappo.build(state, request, A, candidates, new Float32Array(QAPPO_INPUT_SIZE));
    const b = qappo.build(state, request, B, candidates, new Float32Array(QAPPO_INPUT_SIZE));
    expect([...a.subarray(QAPPO_INPUT_SIZE - 4)]).toEqual(
      [0.7, 0.1, 0.1, 0.1].map((x) => Math.fround(x)),
    );
    // It starts with ppo's input, then the observation judged against the
    // inferred classes, whose latency one-hot follows the inferred profile.
    const ppo = new FeatureBuilder('ppo', DEFAULT_MODEL_CONFIG);
    const shared = ppo.build(state, request, A, candidates, new Float32Array(PPO_INPUT_SIZE));
    expect([...a.subarray(0, PPO_INPUT_SIZE)]).toEqual([...shared]);
    const high = PPO_INPUT_SIZE + OBSERVATION_LAYOUT.indexOf('request.latency.high');
    const bestEffort = PPO_INPUT_SIZE + OBSERVATION_LAYOUT.indexOf('request.latency.best-effort');
    expect([a[high], a[bestEffort]]).toEqual([1, 0]);
    expect([b[high], b[bestEffort]]).toEqual([0, 1]);
  });
});

describe('ppo-sla: the SLA classes without the preference vector', () => {
  /** A's profile with B's preference vector. */
  const AB: Intent = { profile: A.profile, preference: B.preference };

  it('has ppo-sla between ppo and qappo in size: ppo + the observation, qappo + the preference', () => {
    expect(LEARNED_METHODS).toContain('ppo-sla');
    expect(inputSize('ppo')).toBe(PPO_INPUT_SIZE);
    expect(inputSize('ppo-sla')).toBe(PPO_SLA_INPUT_SIZE);
    expect(PPO_SLA_INPUT_SIZE).toBe(PPO_INPUT_SIZE + OBSERVATION_SIZE);
    expect(inputSize('qappo')).toBe(PPO_SLA_INPUT_SIZE + 4);
  });

  it('differs between intents with different classes, but not between preference vectors of one profile', () => {
    const { state, request, candidates } = busyState();
    const sla = new FeatureBuilder('ppo-sla', DEFAULT_MODEL_CONFIG);
    const build = (intent: Intent) => [
      ...sla.build(state, request, intent, candidates, new Float32Array(PPO_SLA_INPUT_SIZE)),
    ];
    const a = build(A);
    expect(build(B)).not.toEqual(a);
    expect(build(AB)).toEqual(a);
  });

  it("is exactly qappo's input without the preference vector", () => {
    const { state, request, candidates } = busyState();
    const sla = new FeatureBuilder('ppo-sla', DEFAULT_MODEL_CONFIG);
    const qappo = new FeatureBuilder('qappo', DEFAULT_MODEL_CONFIG);
    for (const intent of [A, B, AB]) {
      const q = qappo.build(state, request, intent, candidates, new Float32Array(QAPPO_INPUT_SIZE));
      const p = sla.build(state, request, intent, candidates, new Float32Array(PPO_SLA_INPUT_SIZE));
      expect([...q.subarray(0, PPO_SLA_INPUT_SIZE)]).toEqual([...p]);
    }
  });

  it('trains with equal reward weights whatever the preference, as ppo does; qappo with the preference', () => {
    for (const intent of [A, B]) {
      expect(methodWeights('ppo-sla', intent.preference)).toEqual(EQUAL_WEIGHTS);
      expect(methodWeights('ppo', intent.preference)).toEqual(EQUAL_WEIGHTS);
      expect(methodWeights('qappo', intent.preference)).toEqual(
        preferenceWeights(intent.preference),
      );
    }
    expect(methodWeights('qappo', A.preference)).not.toEqual(EQUAL_WEIGHTS);
  });
});

describe('reward', () => {
  const outcome = (o: Partial<NormalisedOutcome>): NormalisedOutcome => ({
    latency: 0,
    cost: 0,
    reliability: 0,
    served: 0,
    violations: 0,
    affected: 0,
    othersNewlyShared: 0,
    rejected: 0,
    ...o,
  });

  it('renormalises the preference over latency, economics and reliability', () => {
    const w = preferenceWeights({
      latency: 0.4,
      reliability: 0.2,
      economics: 0.2,
      throughput: 0.2,
    });
    expect(w.latency).toBeCloseTo(0.5, 12);
    expect(w.cost).toBeCloseTo(0.25, 12);
    expect(w.reliability).toBeCloseTo(0.25, 12);
    expect(preferenceWeights({ latency: 0, reliability: 0, economics: 0, throughput: 1 })).toEqual(
      EQUAL_WEIGHTS,
    );
  });

  it('matches hand-computed values for a served, a violating and a rejected step', () => {
    const w = { latency: 0.5, cost: 0.25, reliability: 0.25 };
    // One newly shared neighbour adds one unit of reliability cost on its scale.
    const shared = 1 / OUTCOME_SCALES.reliabilityCost;
    // 1 − (0.5·0.3 + 0.25·0.75 + 0.25·(0.25 + shared))
    expect(
      stepReward(
        outcome({ served: 1, latency: 0.3, cost: 0.75, reliability: 0.25, othersNewlyShared: 1 }),
        w,
      ),
    ).toBeCloseTo(1 - (0.15 + 0.1875 + 0.25 * (0.25 + shared)), 12);
    // −0.5·2 − 1·1 − (0.5·0.5 + 0.25·1) = −2.5
    expect(
      stepReward(outcome({ violations: 2, affected: 1, latency: 0.5, cost: 1 }), w),
    ).toBeCloseTo(-2.5, 12);
    expect(stepReward(outcome({ rejected: 1 }), w)).toBe(-REWARD_CONSTANTS.REJECT_PENALTY);
  });
});

describe('preference cache', () => {
  it('builds from the interpreter, keeps an interrupted build and resumes it without redoing work', async () => {
    const coverage = { poolSeeds: 1, evalSeeds: 1 };
    const calls: string[] = [];
    const interpret = async (text: string, sla?: SliceProfile): Promise<Intent> => {
      calls.push(text);
      return { preference: A.preference, profile: sla ?? B.profile };
    };
    const file = path.join(tmp, 'partial.json');
    const controller = new AbortController();
    await expect(
      buildIntentCache({
        source: 'interp',
        coverage,
        interpret: async (text, sla) => {
          if (calls.length === 30) controller.abort();
          return interpret(text, sla);
        },
        onPartial: (partial) => partial.save(file),
        signal: controller.signal,
      }),
    ).rejects.toSatisfy((e: unknown) => isSliceMeshError(e) && e.code === 'unavailable');
    const partial = await IntentCache.load(file);
    expect(partial.size).toBe(31);
    expect(cacheIsCurrent(partial, coverage, 'interp')).toBe(false);

    calls.length = 0;
    const full = await buildIntentCache({
      source: 'interp',
      coverage,
      interpret,
      previous: partial,
    });
    const requests = coveredRequests(coverage);
    // Each request is interpreted from its text and with its SLA stated; only the missing ones ran.
    expect(full.size).toBe(2 * requests.length);
    expect(calls.length).toBe(2 * requests.length - 31);
    expect(cacheIsCurrent(full, coverage, 'interp')).toBe(true);
    expect(cacheIsCurrent(full, coverage, 'other interpreter')).toBe(false);
    const [first] = requests as [ModelRequest];
    expect(full.require(first, true).profile).toEqual(first.profile);
    expect(full.require(first, false).profile).toEqual(B.profile);
  });

  it('round-trips intents through its file and names the fix for a missing one', async () => {
    const cache = new IntentCache('interpreter:test', 'gen', { poolSeeds: 1 });
    cache.set('slice for robots', A);
    const file = path.join(tmp, 'prefs.json');
    await cache.save(file);
    const loaded = await IntentCache.load(file);
    expect(loaded.source).toBe('interpreter:test');
    const back = loaded.get('slice for robots');
    expect(back?.profile).toEqual(A.profile);
    expect(back?.preference.latency).toBeCloseTo(0.7, 6);
    try {
      loaded.require({ id: 'x-1', description: 'something else', profile: A.profile });
      expect.unreachable();
    } catch (error) {
      expect(isSliceMeshError(error) && error.code).toBe('config');
      expect(String(error)).toMatch(/--refresh-preferences/);
    }
  });
});
