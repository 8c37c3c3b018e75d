import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_HYPERPARAMETERS,
  INTENT_CACHE_FILE,
  IntentCache,
  inputSize,
  registerLearnedPolicies,
  saveCheckpoint,
  type LearnedMethod,
} from '../../agents/orchestrator/index.js';
import { initActorCritic } from '../../agents/orchestrator/ppo/network.js';
import { RunningNormalizer } from '../../agents/orchestrator/ppo/normalizer.js';
import { isSliceMeshError } from '../../shared/contracts/index.js';
import {
  ACTION_NAMES,
  createPolicy,
  evaluationSeeds,
  generateInstance,
  runEpisode,
} from '../../shared/model/index.js';

let modelDir: string;
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
  await writeUntrained('qappo');
  await writeUntrained('ppo');
  // Intents for the first 10 requests of the held-out instance only.
  const cache = new IntentCache('test', 'test');
  for (const r of generateInstance(seed, 10).requests) {
    // Evaluation requests state their SLA classes.
    cache.set(
      r.description,
      {
        preference: { latency: 0.25, reliability: 0.25, economics: 0.25, throughput: 0.25 },
        profile: r.profile,
      },
      r.profile,
    );
  }
  await cache.save(path.join(modelDir, INTENT_CACHE_FILE));
  registerLearnedPolicies({ modelDir, replace: true });
});
afterAll(async () => {
  await rm(modelDir, { recursive: true, force: true });
});

describe('learned methods in the model registry', () => {
  it('qappo and ppo run whole evaluation episodes from their checkpoints', async () => {
    for (const method of ['qappo', 'ppo']) {
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
    const ppo = await createPolicy('ppo');
    expect((await runEpisode(ppo, generateInstance(seed, 12))).requests).toBe(12);
  });
});
