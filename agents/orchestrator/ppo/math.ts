/**
 * The plain-number half of PPO: masked softmax, sampling, GAE. These run once
 * per environment step, so they work on Float32Arrays without tfjs.
 */
import { SliceMeshError } from '../../../shared/contracts/errors.js';
import type { Rng } from '../../../shared/random.js';

/**
 * Added to the logit of an infeasible action. Large enough that exp() of it
 * underflows to exactly 0 in float32, small enough that 0 × it stays 0 (unlike
 * -Infinity, which would turn the entropy term into NaN).
 */
export const MASKED_LOGIT_OFFSET = -1e9;

/** True when at least one action is allowed. */
export function anyAllowed(mask: ArrayLike<boolean | number>): boolean {
  for (let i = 0; i < mask.length; i++) if (mask[i]) return true;
  return false;
}

/**
 * Softmax over the allowed actions only. Masked actions get probability
 * exactly 0, so sampling from the result can never pick one.
 */
export function maskedSoftmax(
  logits: ArrayLike<number>,
  mask: ArrayLike<boolean | number>,
  out: Float64Array = new Float64Array(logits.length),
): Float64Array {
  if (logits.length !== mask.length) {
    throw new SliceMeshError(
      'internal',
      `mask has ${mask.length} entries for ${logits.length} actions`,
    );
  }
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    if (mask[i] && (logits[i] as number) > max) max = logits[i] as number;
  }
  if (max === -Infinity) {
    throw new SliceMeshError('infeasible', 'every action is masked: no feasible placement');
  }
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const p = mask[i] ? Math.exp((logits[i] as number) - max) : 0;
    out[i] = p;
    total += p;
  }
  for (let i = 0; i < logits.length; i++) out[i] = (out[i] as number) / total;
  return out;
}

/** Draws an index with the given probabilities (zero-probability indices are never drawn). */
export function sampleCategorical(probs: ArrayLike<number>, rng: Rng): number {
  let r = rng.next();
  let last = -1;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i] as number;
    if (p <= 0) continue;
    last = i;
    r -= p;
    if (r < 0) return i;
  }
  // Rounding residue: the last index with positive probability.
  if (last < 0) throw new SliceMeshError('internal', 'cannot sample from all-zero probabilities');
  return last;
}

/** Index of the largest probability (ties: the lowest index), for greedy evaluation. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if ((values[i] as number) > (values[best] as number)) best = i;
  }
  return best;
}

/** log π(a) from masked probabilities; clamped so a tiny probability stays finite. */
export function logProb(probs: ArrayLike<number>, action: number): number {
  return Math.log(Math.max(probs[action] as number, 1e-30));
}

export interface GaeResult {
  advantages: Float32Array;
  returns: Float32Array;
}

/**
 * Generalised Advantage Estimation over one rollout of T steps.
 *
 *   δ_t = r_t + γ V(s_{t+1}) (1 − done_t) − V(s_t)
 *   A_t = δ_t + γ λ (1 − done_t) A_{t+1}
 *   R_t = A_t + V(s_t)   (the critic's target)
 *
 * `done_t` marks that step t ended its episode, so nothing after it is
 * bootstrapped; `lastValue` is V of the state after the final step (used only
 * when that step did not end an episode).
 */
export function computeGae(
  rewards: ArrayLike<number>,
  values: ArrayLike<number>,
  dones: ArrayLike<boolean | number>,
  lastValue: number,
  gamma: number,
  lambda: number,
): GaeResult {
  const n = rewards.length;
  if (values.length !== n || dones.length !== n) {
    throw new SliceMeshError('internal', 'GAE needs rewards, values and dones of equal length');
  }
  const advantages = new Float32Array(n);
  const returns = new Float32Array(n);
  let next = 0;
  for (let t = n - 1; t >= 0; t--) {
    const notDone = dones[t] ? 0 : 1;
    const nextValue = t === n - 1 ? lastValue : (values[t + 1] as number);
    const delta = (rewards[t] as number) + gamma * nextValue * notDone - (values[t] as number);
    next = delta + gamma * lambda * notDone * next;
    advantages[t] = next;
    returns[t] = next + (values[t] as number);
  }
  return { advantages, returns };
}

/** Scales advantages to zero mean and unit variance (the usual PPO stabiliser). */
export function standardise(values: Float32Array): Float32Array {
  const n = values.length;
  if (n === 0) return values;
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  let variance = 0;
  for (const v of values) variance += (v - mean) * (v - mean);
  const std = Math.sqrt(variance / n) + 1e-8;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = ((values[i] as number) - mean) / std;
  return out;
}

/**
 * PPO's clipped surrogate for one sample (to be maximised):
 * min(ρ A, clip(ρ, 1 − ε, 1 + ε) A) with ρ = exp(logπ_new − logπ_old).
 * The tfjs loss computes the same thing batched; this version documents and
 * tests it.
 */
export function clippedSurrogate(
  newLogProb: number,
  oldLogProb: number,
  advantage: number,
  clip: number,
): number {
  const ratio = Math.exp(newLogProb - oldLogProb);
  const clipped = Math.min(Math.max(ratio, 1 - clip), 1 + clip);
  return Math.min(ratio * advantage, clipped * advantage);
}
