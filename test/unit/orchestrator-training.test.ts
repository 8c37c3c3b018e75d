import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_HYPERPARAMETERS,
  EQUAL_WEIGHTS,
  IntentCache,
  LearnedPolicy,
  PlacementTrainingEnv,
  initBackend,
  inputSize,
  CURVE_CSV,
  readCheckpointMetadata,
  renderRunCurve,
  runTraining,
  trainingPool,
  type Intent,
  type PpoHyperparameters,
} from '../../agents/orchestrator/index.js';
import {
  CHECKPOINT_FORMAT,
  type CheckpointMetadata,
} from '../../agents/orchestrator/ppo/checkpoint.js';
import { PolicyNetwork } from '../../agents/orchestrator/ppo/policy-net.js';
import { train } from '../../agents/orchestrator/ppo/trainer.js';
import {
  ACTION_NAMES,
  createPolicy,
  runEpisode,
  type ModelRequest,
  type Policy,
} from '../../shared/model/index.js';

/** Stand-in for the interpreter: a preference that follows the true classes. */
function intentOf(r: ModelRequest): Intent {
  const level = { high: 0.6, medium: 0.3, 'best-effort': 0.1 } as const;
  const v = [
    level[r.profile.latency],
    level[r.profile.reliability],
    r.profile.cost === 'cost-sensitive' ? 0.6 : 0.2,
    0.1,
  ];
  const t = v.reduce((a, b) => a + b, 0);
  return {
    preference: {
      latency: v[0]! / t,
      reliability: v[1]! / t,
      economics: v[2]! / t,
      throughput: v[3]! / t,
    },
    profile: r.profile,
  };
}

const HP: PpoHyperparameters = {
  ...DEFAULT_HYPERPARAMETERS,
  // Faster than the paper's settings so the test takes seconds.
  actorLearningRate: 1e-3,
  criticLearningRate: 1e-3,
  batchSize: 512,
  minibatchSize: 128,
  epochs: 4,
  hidden: [32],
};

beforeAll(async () => {
  await initBackend();
});

async function availability(
  policy: Policy,
  env: PlacementTrainingEnv,
  episodes: number,
): Promise<number> {
  let served = 0;
  let requests = 0;
  for (let e = 0; e < episodes; e++) {
    const result = await runEpisode(policy, env.instanceFor(500_000 + e));
    served += result.served;
    requests += result.requests;
  }
  return served / requests;
}

describe('qappo on the case-study model', () => {
  it('a short training run beats random placement on held-out episodes (fixed seed)', async () => {
    const pool = trainingPool(30);
    const intents = new IntentCache('test', 'test');
    for (const r of pool) intents.set(r.description, intentOf(r), r.profile);
    const env = new PlacementTrainingEnv({
      method: 'qappo',
      seed: 3,
      pool,
      intents,
      shape: { minRequests: 6, maxRequests: 10 },
      slaShare: 1,
    });
    const { state } = await train({ hp: HP, seed: 3, totalSteps: 6_000, env });
    const metadata = {
      format: CHECKPOINT_FORMAT,
      method: 'qappo',
      actionNames: [...ACTION_NAMES],
    } as CheckpointMetadata;
    const learned = new LearnedPolicy(
      metadata,
      new PolicyNetwork(state.weights, state.normalizer.freeze()),
    );
    const trained = await availability(
      learned.asPolicy((ctx) => intents.require(ctx.request as ModelRequest, true)),
      env,
      40,
    );
    const random = await availability(await createPolicy('random', { seed: 3 }), env, 40);
    expect(trained).toBeGreaterThan(random + 0.3);
  });
});

const HEADER = 'method,kind,steps,mean_episode_reward,mean_episode_score,availability';

describe('ppo-sla training run', () => {
  it('writes a checkpoint that records its input, equal reward weights and where the preferences came from, and a curve that --compare can draw', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ppo-sla-run-'));
    const other = await mkdtemp(path.join(tmpdir(), 'qappo-run-'));
    try {
      const intents = new IntentCache('interpreter:test', 'test');
      for (const r of trainingPool(2)) {
        intents.set(r.description, intentOf(r), r.profile);
        intents.set(r.description, intentOf(r));
      }
      const result = await runTraining({
        method: 'ppo-sla',
        steps: 600,
        seed: 2,
        outDir: dir,
        intents,
        poolSeeds: 2,
        hyperparameters: { batchSize: 300, minibatchSize: 100, epochs: 1, hidden: [8] },
        baselineEpisodes: 2,
      });
      expect(result.state.steps).toBeGreaterThanOrEqual(600);
      const m = await readCheckpointMetadata(dir);
      expect(m.method).toBe('ppo-sla');
      expect(m.inputSize).toBe(inputSize('ppo-sla'));
      expect(m.preferenceSource).toBe('interpreter:test');
      expect(m.backend).toBe(result.backend);
      expect(m.extra.reward).toMatchObject({ weights: 'equal', equalWeights: EQUAL_WEIGHTS });
      expect(m.extra.features).toMatch(/profile.*no preference/);

      // `train --plot-only --compare` draws its curve next to another run's.
      await writeFile(
        path.join(other, CURVE_CSV),
        `${HEADER}\nqappo,training,1000,1,1,0.5\nqappo,training,2000,2,2,0.6\n`,
      );
      const svg = await readFile(await renderRunCurve(other, [dir]), 'utf8');
      expect(svg).toContain('ppo-sla');
      expect(svg).toContain('qappo');
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(other, { recursive: true, force: true });
    }
  });
});
