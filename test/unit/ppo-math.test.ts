import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../agents/orchestrator/ppo/backend.js';
import {
  clippedPolicyLoss,
  maskedEntropy,
  maskedLogSoftmax,
} from '../../agents/orchestrator/ppo/learner.js';
import {
  argmax,
  clippedSurrogate,
  computeGae,
  maskedSoftmax,
  sampleCategorical,
  standardise,
} from '../../agents/orchestrator/ppo/math.js';
import { RunningNormalizer } from '../../agents/orchestrator/ppo/normalizer.js';
import { isSliceMeshError } from '../../shared/contracts/errors.js';
import { createRng } from '../../shared/random.js';

beforeAll(async () => {
  await initBackend();
});

describe('GAE', () => {
  it('matches hand-computed advantages and returns across an episode boundary', () => {
    // γ = 0.5, λ = 0.5; steps 0-1 form one episode (done at 1), step 2 is cut off
    // and bootstrapped with lastValue = 4.
    const rewards = [1, 2, 3];
    const values = [0.5, 1, 2];
    const dones = [false, true, false];
    const { advantages, returns } = computeGae(rewards, values, dones, 4, 0.5, 0.5);
    // δ2 = 3 + 0.5·4 − 2 = 3;            A2 = 3
    // δ1 = 2 + 0 − 1 = 1 (terminal);     A1 = 1
    // δ0 = 1 + 0.5·1 − 0.5 = 1;          A0 = 1 + 0.25·1 = 1.25
    expect([...advantages]).toEqual([1.25, 1, 3]);
    expect([...returns]).toEqual([1.75, 2, 5]);
  });

  it('reduces to discounted returns minus values when λ = 1', () => {
    const { advantages } = computeGae([1, 1, 1], [0, 0, 0], [false, false, true], 99, 0.9, 1);
    expect(advantages[0]).toBeCloseTo(1 + 0.9 + 0.81, 6);
    expect(advantages[1]).toBeCloseTo(1.9, 6);
    expect(advantages[2]).toBeCloseTo(1, 6);
  });

  it('standardises advantages to zero mean and unit variance', () => {
    const s = standardise(Float32Array.from([1, 2, 3, 4]));
    const mean = s.reduce((a, b) => a + b, 0) / 4;
    const variance = s.reduce((a, b) => a + (b - mean) ** 2, 0) / 4;
    expect(mean).toBeCloseTo(0, 6);
    expect(variance).toBeCloseTo(1, 4);
  });
});

describe('clipped surrogate', () => {
  it('clips the ratio on the side that would over-reward the update', () => {
    const clip = 0.1;
    // ratio = e^{ln 1.5} = 1.5, A = +2 → clipped at 1.1·2 = 2.2
    expect(clippedSurrogate(Math.log(1.5), 0, 2, clip)).toBeCloseTo(2.2, 6);
    // ratio 0.5, A = +2 → min(1.0, 0.9·2 = 1.8) = 1.0 (no clipping benefit)
    expect(clippedSurrogate(Math.log(0.5), 0, 2, clip)).toBeCloseTo(1.0, 6);
    // ratio 0.5, A = −2 → min(−1.0, −1.8) = −1.8
    expect(clippedSurrogate(Math.log(0.5), 0, -2, clip)).toBeCloseTo(-1.8, 6);
    // ratio 1.5, A = −2 → min(−3, −2.2) = −3 (pessimistic bound keeps the larger loss)
    expect(clippedSurrogate(Math.log(1.5), 0, -2, clip)).toBeCloseTo(-3, 6);
  });

  it('the batched tfjs loss is minus the mean of the per-sample surrogates', () => {
    const newLp = [Math.log(1.5), Math.log(0.5), Math.log(0.5), Math.log(1.5)];
    const oldLp = [0, 0, 0, 0];
    const adv = [2, 2, -2, -2];
    const loss = tf.tidy(
      () =>
        clippedPolicyLoss(
          tf.tensor1d(newLp),
          tf.tensor1d(oldLp),
          tf.tensor1d(adv),
          0.1,
        ).dataSync()[0],
    );
    // −mean(2.2, 1.0, −1.8, −3) = 0.4
    expect(loss).toBeCloseTo(0.4, 5);
  });
});

describe('action masking', () => {
  it('gives masked actions probability exactly 0 and renormalises the rest', () => {
    const p = maskedSoftmax([10, 0, 0, -5], [0, 1, 1, 0]);
    expect(p[0]).toBe(0);
    expect(p[3]).toBe(0);
    expect(p[1]).toBeCloseTo(0.5, 12);
    expect(p[2]).toBeCloseTo(0.5, 12);
  });

  it('never samples or greedily picks a masked action, even when its logit dominates', () => {
    const rng = createRng(3);
    const logits = [50, -1, 0.5, 49, 2];
    const mask = [false, true, true, false, true];
    const p = maskedSoftmax(logits, mask);
    for (let i = 0; i < 5000; i++) expect(mask[sampleCategorical(p, rng)]).toBe(true);
    expect(argmax(p)).toBe(4);
  });

  it('refuses a state where every action is masked with a typed error', () => {
    try {
      maskedSoftmax([1, 2], [0, 0]);
      expect.unreachable();
    } catch (error) {
      expect(isSliceMeshError(error) && error.code).toBe('infeasible');
    }
  });

  it('the tfjs masked log-softmax agrees with the plain one and has finite entropy', () => {
    const logits = [[3, 1, -2, 0.5]];
    const mask = [[1, 0, 1, 1]];
    const plain = maskedSoftmax(logits[0] as number[], mask[0] as number[]);
    const { probs, entropy } = tf.tidy(() => {
      const lp = maskedLogSoftmax(tf.tensor2d(logits), tf.tensor2d(mask));
      return { probs: tf.exp(lp).dataSync(), entropy: maskedEntropy(lp).dataSync()[0] as number };
    });
    for (let i = 0; i < 4; i++) expect(probs[i]).toBeCloseTo(plain[i] as number, 6);
    expect(probs[1]).toBe(0);
    const expected = -[0, 2, 3].reduce(
      (s, i) => s + (plain[i] as number) * Math.log(plain[i] as number),
      0,
    );
    expect(entropy).toBeCloseTo(expected, 5);
  });
});

describe('observation normaliser', () => {
  it('centres and scales features, maps constants to 0, and round-trips through JSON', () => {
    const n = new RunningNormalizer(2);
    for (const v of [1, 2, 3, 4, 5]) n.update([v, 7]);
    const z = n.normalise([3, 7]);
    expect(z[0]).toBeCloseTo(0, 6);
    expect(z[1]).toBeCloseTo(0, 6);
    expect(n.normalise([5, 7])[0]).toBeCloseTo(2 / Math.sqrt(2), 4);
    const copy = RunningNormalizer.fromJSON(JSON.parse(JSON.stringify(n.toJSON())));
    expect([...copy.normalise([4.2, 1])]).toEqual([...n.normalise([4.2, 1])]);
  });

  it('stops learning once frozen', () => {
    const n = new RunningNormalizer(1);
    n.update([1]);
    n.update([3]);
    n.freeze();
    n.update([1000]);
    expect(n.samples).toBe(2);
  });
});
