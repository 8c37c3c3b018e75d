import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_HYPERPARAMETERS,
  INTENT_CACHE_FILE,
  IntentCache,
  LEARNED_METHODS,
  inputSize,
  registerLearnedPolicies,
  saveCheckpoint,
  type LearnedMethod,
} from '../../agents/orchestrator/index.js';
import { initActorCritic } from '../../agents/orchestrator/ppo/network.js';
import { RunningNormalizer } from '../../agents/orchestrator/ppo/normalizer.js';
import { isSliceMeshError, type SliceProfile } from '../../shared/contracts/index.js';
import {
  ACTION_NAMES,
  createPolicy,
  evaluationSeeds,
  generateInstance,
  runEpisode,
} from '../../shared/model/index.js';

let modelDir: string;
/** What the stand-in interpreter infers from every text. */
const TEXT_PROFILE: SliceProfile = {
  serviceType: 'eMBB',
  latency: 'medium',
  reliability: 'medium',
  cost: 'general',
};
const [seed] = evaluationSeeds(1) as [number];

async function writeUntrained(method: LearnedMethod): Promise<void> {
  const size = inputSize(method);
  await saveCheckpoint(
    path.join(modelDir, method),
    {
      weights: initActorCritic(
        { inputSize: size, actionCount: ACTION_NAMES.length, hidden: [8] },
        1,
      ),
      normalizer: new RunningNormalizer(size),
      optimizer: null,
      steps: 0,
      updates: 0,
      episodes: 0,
      curve: [],
      wallTimeMs: 0,
    },
    {
      method,
      modelVersion: 'test',
      seed: 1,
      backend: 'test',
      hyperparameters: { ...DEFAULT_HYPERPARAMETERS, hidden: [8] },
      actionNames: [...ACTION_NAMES],
      preferenceSource: 'test',
      extra: {},
    },
  );
}

beforeAll(async () => {
  modelDir = await mkdtemp(path.join(tmpdir(), 'orchestrator-registry-'));
  for (const method of LEARNED_METHODS) await writeUntrained(method);
  // Intents for the first 10 requests of the held-out instance only, with
  // their SLA stated; the text-only variant for the first 6.
  const cache = new IntentCache('test', 'test');
  for (const [i, r] of generateInstance(seed, 10).requests.entries()) {
    const preference = { latency: 0.25, reliability: 0.25, economics: 0.25, throughput: 0.25 };
    cache.set(r.description, { preference, profile: r.profile }, r.profile);
    if (i < 6) cache.set(r.description, { preference, profile: TEXT_PROFILE });
  }
  await cache.save(path.join(modelDir, INTENT_CACHE_FILE));
  registerLearnedPolicies({ modelDir, replace: true });
});
afterAll(async () => {
  await rm(modelDir, { recursive: true, force: true });
});

describe('learned methods in the model registry', () => {
  it('qappo, ppo and ppo-sla run whole evaluation episodes from their checkpoints', async () => {
    for (const method of LEARNED_METHODS) {
      const result = await runEpisode(await createPolicy(method), generateInstance(seed, 10));
      expect(result.method).toBe(method);
      expect(result.requests).toBe(10);
    }
  });

  it('qappo refuses a request the preference cache does not cover, naming the fix; ppo needs no cache', async () => {
    const qappo = await createPolicy('qappo');
    await expect(runEpisode(qappo, generateInstance(seed, 12))).rejects.toSatisfy(
      (e: unknown) =>
        isSliceMeshError(e) && e.code === 'config' && /preferences-only/.test(e.message),
    );
    for (const method of ['ppo', 'ppo-sla']) {
      const policy = await createPolicy(method);
      expect((await runEpisode(policy, generateInstance(seed, 12))).requests).toBe(12);
    }
  });

  it('on text-only requests qappo takes the text-only interpretation, and names the fix when it is missing', async () => {
    const qappo = await createPolicy('qappo');
    const text = (n: number) => {
      const instance = generateInstance(seed, n);
      const beliefs = instance.requests.map(() => ({ profile: TEXT_PROFILE, stated: false }));
      return runEpisode(qappo, instance, { beliefs });
    };
    expect((await text(6)).requests).toBe(6);
    // The 7th request has only its SLA-stated interpretation cached.
    await expect(text(7)).rejects.toSatisfy(
      (e: unknown) =>
        isSliceMeshError(e) &&
        e.code === 'config' &&
        /from its text alone/.test(e.message) &&
        /preferences-only/.test(e.message),
    );
  });
});
