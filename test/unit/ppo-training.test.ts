import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../agents/orchestrator/ppo/backend.js';
import { loadCheckpoint, saveCheckpoint } from '../../agents/orchestrator/ppo/checkpoint.js';
import {
  DEFAULT_HYPERPARAMETERS,
  type PpoHyperparameters,
} from '../../agents/orchestrator/ppo/hyperparameters.js';
import {
  forwardMlp,
  initActorCritic,
  MlpScratch,
  TfActorCritic,
} from '../../agents/orchestrator/ppo/network.js';
import { PolicyNetwork } from '../../agents/orchestrator/ppo/policy-net.js';
import { train, type TrainingEnv } from '../../agents/orchestrator/ppo/trainer.js';
import { isSliceMeshError } from '../../shared/contracts/errors.js';
import { createRng, deriveSeed } from '../../shared/random.js';

/**
 * A tiny contextual task: the state shows one of three contexts (one-hot,
 * plus a scale-skewed feature the normaliser must handle); action
 * `context + 1` earns 1, anything else 0. One random action is masked per
 * step, sometimes the rewarding one. Random play earns about 1/3 per step.
 */
class ToyEnv implements TrainingEnv {
  readonly inputSize = 4;
  readonly actionCount = 4;
  private rng = createRng(0);
  private t = 0;
  private context = 0;
  private mask = [true, true, true, true];
  maskedPicks = 0;

  reset(episode: number): void {
    this.rng = createRng(deriveSeed(11, episode));
    this.t = 0;
    this.draw();
  }

  private draw(): void {
    this.context = this.rng.int(0, 2);
    this.mask = [true, true, true, true];
    this.mask[this.rng.int(0, 3)] = false;
  }

  observe(out: Float32Array): Float32Array {
    out.fill(0);
    out[this.context] = 1;
    out[3] = 1000 + this.rng.uniform(0, 50);
    return out;
  }

  actionMask(): boolean[] {
    return this.mask;
  }

  step(action: number) {
    if (!this.mask[action]) this.maskedPicks += 1;
    const reward = action === this.context + 1 ? 1 : 0;
    this.t += 1;
    const done = this.t >= 8;
    if (!done) this.draw();
    return { reward, done, served: reward > 0, score: reward };
  }
}

const HP: PpoHyperparameters = {
  ...DEFAULT_HYPERPARAMETERS,
  // A faster learning rate than the paper's: this task must be learnt in seconds.
  actorLearningRate: 3e-3,
  criticLearningRate: 3e-3,
  batchSize: 256,
  minibatchSize: 64,
  epochs: 4,
  hidden: [16],
};

let tmp: string;
beforeAll(async () => {
  await initBackend();
  tmp = await mkdtemp(path.join(tmpdir(), 'ppo-test-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function greedyReward(policy: PolicyNetwork, episodes: number): number {
  const env = new ToyEnv();
  const raw = new Float32Array(env.inputSize);
  let total = 0;
  let steps = 0;
  for (let e = 0; e < episodes; e++) {
    env.reset(100_000 + e);
    for (;;) {
      const { action } = policy.decide(env.observe(raw), env.actionMask());
      const r = env.step(action);
      total += r.reward;
      steps += 1;
      if (r.done) break;
    }
  }
  return total / steps;
}

describe('actor-critic network', () => {
  it('plain Float32Array inference computes the same function as the tfjs model', () => {
    const weights = initActorCritic({ inputSize: 5, actionCount: 3, hidden: [8, 6] }, 9);
    // Perturb the (near-zero) output layer so the comparison is not trivial.
    const rng = createRng(1);
    for (const l of weights.actor.layers)
      for (let i = 0; i < l.bias.length; i++) l.bias[i] = rng.uniform(-1, 1);
    const last = weights.actor.layers[weights.actor.layers.length - 1]!;
    for (let i = 0; i < last.weights.length; i++) last.weights[i] = rng.uniform(-1, 1);
    const net = new TfActorCritic(weights);
    const inputs = Array.from({ length: 4 }, () =>
      Array.from({ length: 5 }, () => rng.uniform(-2, 2)),
    );
    const [logits, values] = tf.tidy(() => {
      const x = tf.tensor2d(inputs);
      return [net.logits(x).arraySync(), net.values(x).arraySync()];
    }) as [number[][], number[]];
    const a = new MlpScratch(weights.actor);
    const c = new MlpScratch(weights.critic);
    inputs.forEach((x, i) => {
      const plain = forwardMlp(weights.actor, x, a);
      for (let j = 0; j < 3; j++) expect(plain[j]).toBeCloseTo(logits[i]![j]!, 5);
      expect(forwardMlp(weights.critic, x, c)[0]).toBeCloseTo(values[i]!, 5);
    });
    net.dispose();
  });

  it('is initialised deterministically from its seed', () => {
    const a = initActorCritic({ inputSize: 3, actionCount: 2, hidden: [4] }, 5);
    const b = initActorCritic({ inputSize: 3, actionCount: 2, hidden: [4] }, 5);
    const c = initActorCritic({ inputSize: 3, actionCount: 2, hidden: [4] }, 6);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});

describe('PPO training', () => {
  it('learns the toy task well beyond random play, never choosing a masked action', async () => {
    const env = new ToyEnv();
    const { state } = await train({ hp: HP, seed: 1, totalSteps: 6_000, env });
    expect(env.maskedPicks).toBe(0);
    const trained = greedyReward(new PolicyNetwork(state.weights, state.normalizer.freeze()), 50);
    const untrained = initActorCritic({ inputSize: 4, actionCount: 4, hidden: [16] }, 77);
    const random = greedyReward(new PolicyNetwork(untrained, state.normalizer), 50);
    // The rewarding action is masked a quarter of the time, so 0.75 is the best possible.
    expect(random).toBeLessThan(0.4);
    expect(trained).toBeGreaterThan(0.65);
    // Rewards along the curve rise.
    expect(state.curve.at(-1)!.meanReward).toBeGreaterThan(state.curve[0]!.meanReward + 2);
  });

  it('is reproducible: the same seed gives the same weights', async () => {
    const a = await train({ hp: HP, seed: 4, totalSteps: 600, env: new ToyEnv() });
    const b = await train({ hp: HP, seed: 4, totalSteps: 600, env: new ToyEnv() });
    expect(a.state.weights).toEqual(b.state.weights);
    expect(a.state.curve).toEqual(b.state.curve);
  });

  it('a checkpoint loads back to identical decisions, and resuming equals training straight through', async () => {
    const info = {
      method: 'toy',
      modelVersion: 'toy-1',
      seed: 8,
      backend: 'test',
      hyperparameters: HP,
      actionNames: ['a', 'b', 'c', 'd'],
      preferenceSource: 'none',
      extra: {},
    };
    const dir = path.join(tmp, 'ckpt');
    const half = await train({
      hp: HP,
      seed: 8,
      totalSteps: 500,
      env: new ToyEnv(),
      onCheckpoint: async (s) => {
        await saveCheckpoint(dir, s, info);
      },
    });
    const loaded = await loadCheckpoint(dir);
    expect(loaded.state.weights).toEqual(half.state.weights);
    const before = new PolicyNetwork(half.state.weights, half.state.normalizer);
    const after = new PolicyNetwork(loaded.state.weights, loaded.state.normalizer);
    const env = new ToyEnv();
    const raw = new Float32Array(4);
    for (let e = 0; e < 20; e++) {
      env.reset(e);
      const x = env.observe(raw);
      const d1 = before.decide(x, env.actionMask());
      const d2 = after.decide(x, env.actionMask());
      expect(d2.action).toBe(d1.action);
      expect([...d2.probabilities]).toEqual([...d1.probabilities]);
    }

    const resumed = await train({
      hp: HP,
      seed: 8,
      totalSteps: 1_000,
      env: new ToyEnv(),
      resume: loaded.state,
    });
    const straight = await train({ hp: HP, seed: 8, totalSteps: 1_000, env: new ToyEnv() });
    expect(resumed.state.steps).toBe(straight.state.steps);
    expect(resumed.state.weights).toEqual(straight.state.weights);

    // A weights file that does not match its metadata is refused, not loaded.
    const weightsFile = path.join(dir, 'weights.bin');
    const bytes = await readFile(weightsFile);
    bytes[10] = (bytes[10] ?? 0) ^ 0xff;
    await writeFile(weightsFile, bytes);
    await expect(loadCheckpoint(dir)).rejects.toSatisfy(
      (e: unknown) =>
        isSliceMeshError(e) && e.code === 'config' && /does not match/.test(e.message),
    );
  });

  it('stops at an update boundary when aborted and still hands back a checkpoint', async () => {
    const controller = new AbortController();
    let saved = 0;
    const result = await train({
      hp: HP,
      seed: 2,
      totalSteps: 1_000_000,
      env: new ToyEnv(),
      signal: controller.signal,
      onProgress: (p) => {
        if (p.updates === 2) controller.abort();
      },
      onCheckpoint: async () => {
        saved += 1;
      },
    });
    expect(result.aborted).toBe(true);
    expect(result.state.updates).toBe(2);
    expect(saved).toBe(1);
  });
});
