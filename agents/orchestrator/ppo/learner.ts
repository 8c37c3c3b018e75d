/**
 * The tfjs half of PPO: the clipped-surrogate, value and entropy losses and
 * the Adam updates of actor and critic (each with its own optimiser and
 * learning rate, as in the paper).
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../../shared/random.js';
import { MASKED_LOGIT_OFFSET } from './math.js';
import { Adam } from './adam.js';
import type { SavedTensor } from './learner-types.js';
import { TfActorCritic, type ActorCriticWeights } from './network.js';
import type { PpoHyperparameters } from './hyperparameters.js';

/** One rollout, flattened: everything an update needs, already normalised. */
export interface RolloutBatch {
  size: number;
  inputSize: number;
  actionCount: number;
  /** [size × inputSize] normalised policy inputs. */
  inputs: Float32Array;
  /** [size × actionCount] 1 = allowed, 0 = masked. */
  masks: Float32Array;
  actions: Int32Array;
  oldLogProbs: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
}

export interface UpdateStats {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  approxKl: number;
  clipFraction: number;
  epochs: number;
}

/**
 * Batched clipped surrogate loss (to be minimised):
 * −mean(min(ρA, clip(ρ, 1−ε, 1+ε)A)), ρ = exp(logπ_new − logπ_old).
 */
export function clippedPolicyLoss(
  newLogProbs: tf.Tensor1D,
  oldLogProbs: tf.Tensor1D,
  advantages: tf.Tensor1D,
  clip: number,
): tf.Scalar {
  return tf.tidy(() => {
    const ratio = tf.exp(tf.sub(newLogProbs, oldLogProbs));
    const unclipped = tf.mul(ratio, advantages);
    const clipped = tf.mul(tf.clipByValue(ratio, 1 - clip, 1 + clip), advantages);
    return tf.neg(tf.mean(tf.minimum(unclipped, clipped))) as tf.Scalar;
  });
}

/** Log-probabilities of all actions with infeasible ones pushed to ~−1e9. */
export function maskedLogSoftmax(logits: tf.Tensor2D, masks: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() =>
    tf.logSoftmax(tf.add(logits, tf.mul(tf.sub(1, masks), MASKED_LOGIT_OFFSET))),
  ) as tf.Tensor2D;
}

/** Mean entropy of the masked distributions (masked actions contribute 0·log 0 = 0). */
export function maskedEntropy(logProbs: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(tf.exp(logProbs), logProbs), 1)))) as tf.Scalar;
}

/** Gradients in variable order, scaled so their global L2 norm is at most `maxNorm`. */
function clipGradients(
  vars: tf.Variable[],
  grads: tf.NamedTensorMap,
  maxNorm: number,
): tf.Tensor[] {
  const ordered = vars.map((v) => grads[v.name] as tf.Tensor);
  const norm = tf.sqrt(tf.addN(ordered.map((g) => tf.sum(tf.square(g)))));
  const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
  return ordered.map((g) => tf.mul(g, scale));
}

export class PpoLearner {
  readonly net: TfActorCritic;
  private readonly actorOptimizer: Adam;
  private readonly criticOptimizer: Adam;
  private readonly hp: PpoHyperparameters;

  constructor(weights: ActorCriticWeights, hp: PpoHyperparameters) {
    this.hp = hp;
    this.net = new TfActorCritic(weights);
    this.actorOptimizer = new Adam(this.net.actorVars, hp.actorLearningRate);
    this.criticOptimizer = new Adam(this.net.criticVars, hp.criticLearningRate);
  }

  /** Runs `epochs` passes of shuffled minibatches over the rollout. */
  update(batch: RolloutBatch, rng: Rng): UpdateStats {
    const { size, inputSize, actionCount } = batch;
    const mb = Math.min(this.hp.minibatchSize, size);
    const order = Array.from({ length: size }, (_, i) => i);
    const totals = { policyLoss: 0, valueLoss: 0, entropy: 0, approxKl: 0, clipFraction: 0 };
    let count = 0;
    let epochs = 0;
    for (let epoch = 0; epoch < this.hp.epochs; epoch++) {
      rng.shuffle(order);
      let epochKl = 0;
      let epochBatches = 0;
      for (let start = 0; start + mb <= size; start += mb) {
        const idx = order.slice(start, start + mb);
        const inputs = new Float32Array(mb * inputSize);
        const masks = new Float32Array(mb * actionCount);
        const actions = new Int32Array(mb);
        const oldLogProbs = new Float32Array(mb);
        const advantages = new Float32Array(mb);
        const returns = new Float32Array(mb);
        idx.forEach((src, dst) => {
          inputs.set(
            batch.inputs.subarray(src * inputSize, (src + 1) * inputSize),
            dst * inputSize,
          );
          masks.set(
            batch.masks.subarray(src * actionCount, (src + 1) * actionCount),
            dst * actionCount,
          );
          actions[dst] = batch.actions[src] as number;
          oldLogProbs[dst] = batch.oldLogProbs[src] as number;
          advantages[dst] = batch.advantages[src] as number;
          returns[dst] = batch.returns[src] as number;
        });
        const stats = this.step({
          size: mb,
          inputSize,
          actionCount,
          inputs,
          masks,
          actions,
          oldLogProbs,
          advantages,
          returns,
        });
        totals.policyLoss += stats.policyLoss;
        totals.valueLoss += stats.valueLoss;
        totals.entropy += stats.entropy;
        totals.approxKl += stats.approxKl;
        totals.clipFraction += stats.clipFraction;
        epochKl += stats.approxKl;
        epochBatches += 1;
        count += 1;
      }
      epochs += 1;
      // Stop early once the policy moved too far from the one that collected the data.
      if (
        this.hp.targetKl !== null &&
        epochBatches > 0 &&
        epochKl / epochBatches > this.hp.targetKl
      ) {
        break;
      }
    }
    const n = Math.max(count, 1);
    return {
      policyLoss: totals.policyLoss / n,
      valueLoss: totals.valueLoss / n,
      entropy: totals.entropy / n,
      approxKl: totals.approxKl / n,
      clipFraction: totals.clipFraction / n,
      epochs,
    };
  }

  /** One gradient step of actor and critic on one minibatch. */
  private step(b: RolloutBatch): Omit<UpdateStats, 'epochs'> {
    const hp = this.hp;
    return tf.tidy(() => {
      const inputs = tf.tensor2d(b.inputs, [b.size, b.inputSize]);
      const masks = tf.tensor2d(b.masks, [b.size, b.actionCount]);
      const onehot = tf.oneHot(tf.tensor1d(b.actions, 'int32'), b.actionCount);
      const oldLogProbs = tf.tensor1d(b.oldLogProbs);
      const advantages = tf.tensor1d(b.advantages);
      const returns = tf.tensor1d(b.returns);

      let policyLoss = 0;
      let entropy = 0;
      let approxKl = 0;
      let clipFraction = 0;
      const actor = tf.variableGrads(() => {
        const logProbs = maskedLogSoftmax(this.net.logits(inputs), masks);
        const newLogProbs = tf.sum(tf.mul(logProbs, onehot), 1) as tf.Tensor1D;
        const pl = clippedPolicyLoss(newLogProbs, oldLogProbs, advantages, hp.clip);
        const ent = maskedEntropy(logProbs);
        // Diagnostics, read outside the gradient tape.
        const logRatio = tf.sub(newLogProbs, oldLogProbs);
        approxKl = tf.mean(tf.sub(tf.sub(tf.exp(logRatio), 1), logRatio)).dataSync()[0] as number;
        clipFraction = tf
          .mean(tf.cast(tf.greater(tf.abs(tf.sub(tf.exp(logRatio), 1)), hp.clip), 'float32'))
          .dataSync()[0] as number;
        policyLoss = pl.dataSync()[0] as number;
        entropy = ent.dataSync()[0] as number;
        return tf.sub(pl, tf.mul(hp.entropyCoefficient, ent)) as tf.Scalar;
      }, this.net.actorVars);
      this.actorOptimizer.apply(clipGradients(this.net.actorVars, actor.grads, hp.maxGradNorm));

      let valueLoss = 0;
      const critic = tf.variableGrads(() => {
        const vl = tf.mul(
          0.5,
          tf.mean(tf.square(tf.sub(this.net.values(inputs), returns))),
        ) as tf.Scalar;
        valueLoss = vl.dataSync()[0] as number;
        return tf.mul(hp.valueCoefficient, vl) as tf.Scalar;
      }, this.net.criticVars);
      this.criticOptimizer.apply(clipGradients(this.net.criticVars, critic.grads, hp.maxGradNorm));

      return { policyLoss, valueLoss, entropy, approxKl, clipFraction };
    });
  }

  /** Current parameters as plain arrays (for rollouts and checkpoints). */
  read(): ActorCriticWeights {
    return this.net.read();
  }

  /** Adam moments, for resumable checkpoints. */
  optimizerState(): { actor: SavedTensor[]; critic: SavedTensor[] } {
    return { actor: this.actorOptimizer.save(), critic: this.criticOptimizer.save() };
  }

  restoreOptimizerState(state: { actor: SavedTensor[]; critic: SavedTensor[] }): void {
    this.actorOptimizer.restore(state.actor);
    this.criticOptimizer.restore(state.critic);
  }

  dispose(): void {
    this.net.dispose();
    this.actorOptimizer.dispose();
    this.criticOptimizer.dispose();
  }
}
