/**
 * Actor and critic multilayer perceptrons (tanh hidden layers), held as tfjs
 * variables for the gradient updates and mirrored as plain Float32Arrays for
 * per-step inference: for networks this small, one tfjs call per step costs
 * far more than the arithmetic. Both paths compute the same function
 * (test/unit/ppo-network.test.ts checks it).
 */
import * as tf from '@tensorflow/tfjs';
import { SliceMeshError } from '../../../shared/contracts/errors.js';
import { createRng, type Rng } from '../../../shared/random.js';

export interface NetworkShape {
  inputSize: number;
  actionCount: number;
  hidden: readonly number[];
}

/** One dense layer: weights row-major [input][output], then biases. */
export interface DenseLayer {
  inputSize: number;
  outputSize: number;
  weights: Float32Array;
  bias: Float32Array;
}

/** A network's parameters outside tfjs: the unit of inference and of checkpoints. */
export interface MlpWeights {
  layers: DenseLayer[];
}

export interface ActorCriticWeights {
  actor: MlpWeights;
  critic: MlpWeights;
}

/** Output-layer init scale: a near-uniform initial policy, a unit-scale value head. */
const ACTOR_OUTPUT_SCALE = 0.01;
const CRITIC_OUTPUT_SCALE = 1;

function initLayer(inputSize: number, outputSize: number, scale: number, rng: Rng): DenseLayer {
  // Glorot-uniform, scaled: keeps activations in tanh's linear range at start.
  const limit = scale * Math.sqrt(6 / (inputSize + outputSize));
  const weights = new Float32Array(inputSize * outputSize);
  for (let i = 0; i < weights.length; i++) weights[i] = rng.uniform(-limit, limit);
  return { inputSize, outputSize, weights, bias: new Float32Array(outputSize) };
}

function initMlp(sizes: readonly number[], outputScale: number, rng: Rng): MlpWeights {
  const layers: DenseLayer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const last = i + 2 === sizes.length;
    layers.push(initLayer(sizes[i] as number, sizes[i + 1] as number, last ? outputScale : 1, rng));
  }
  return { layers };
}

/** Fresh, seeded parameters: the same shape and seed always give the same network. */
export function initActorCritic(shape: NetworkShape, seed: number): ActorCriticWeights {
  if (shape.inputSize <= 0 || shape.actionCount <= 1 || shape.hidden.some((h) => h <= 0)) {
    throw new SliceMeshError('config', `invalid network shape ${JSON.stringify(shape)}`);
  }
  const rng = createRng(seed);
  return {
    actor: initMlp(
      [shape.inputSize, ...shape.hidden, shape.actionCount],
      ACTOR_OUTPUT_SCALE,
      rng.fork('actor'),
    ),
    critic: initMlp([shape.inputSize, ...shape.hidden, 1], CRITIC_OUTPUT_SCALE, rng.fork('critic')),
  };
}

/** Reusable buffers so per-step inference allocates nothing. */
export class MlpScratch {
  private readonly buffers: Float32Array[];
  constructor(weights: MlpWeights) {
    this.buffers = weights.layers.map((l) => new Float32Array(l.outputSize));
  }
  layer(i: number): Float32Array {
    return this.buffers[i] as Float32Array;
  }
}

/** Plain forward pass: tanh on hidden layers, linear output. Returns a scratch buffer. */
export function forwardMlp(
  weights: MlpWeights,
  input: ArrayLike<number>,
  scratch: MlpScratch,
): Float32Array {
  let x: ArrayLike<number> = input;
  const count = weights.layers.length;
  for (let li = 0; li < count; li++) {
    const layer = weights.layers[li] as DenseLayer;
    const out = scratch.layer(li);
    const { inputSize, outputSize, weights: w, bias } = layer;
    out.set(bias);
    for (let i = 0; i < inputSize; i++) {
      const xi = x[i] as number;
      if (xi === 0) continue;
      const row = i * outputSize;
      for (let j = 0; j < outputSize; j++)
        out[j] = (out[j] as number) + xi * (w[row + j] as number);
    }
    if (li + 1 < count) for (let j = 0; j < outputSize; j++) out[j] = Math.tanh(out[j] as number);
    x = out;
  }
  return x as Float32Array;
}

/** The tfjs side: variables the optimiser updates. */
export class TfActorCritic {
  readonly actorVars: tf.Variable[];
  readonly criticVars: tf.Variable[];

  constructor(weights: ActorCriticWeights) {
    this.actorVars = toVariables(weights.actor, 'actor');
    this.criticVars = toVariables(weights.critic, 'critic');
  }

  /** Action logits for a batch [n, input] → [n, actions]. */
  logits(input: tf.Tensor2D): tf.Tensor2D {
    return forwardTf(this.actorVars, input);
  }

  /** State values for a batch [n, input] → [n]. */
  values(input: tf.Tensor2D): tf.Tensor1D {
    return forwardTf(this.criticVars, input).reshape([-1]);
  }

  /** Copies the current parameters out of tfjs (after each update). */
  read(): ActorCriticWeights {
    return { actor: fromVariables(this.actorVars), critic: fromVariables(this.criticVars) };
  }

  dispose(): void {
    for (const v of [...this.actorVars, ...this.criticVars]) v.dispose();
  }
}

let variableSerial = 0;

function toVariables(weights: MlpWeights, prefix: string): tf.Variable[] {
  // tfjs variable names are global per engine: make them unique per instance.
  const id = variableSerial++;
  return weights.layers.flatMap((l, i) => [
    tf.variable(tf.tensor2d(l.weights, [l.inputSize, l.outputSize]), true, `${prefix}${id}_w${i}`),
    tf.variable(tf.tensor1d(l.bias), true, `${prefix}${id}_b${i}`),
  ]);
}

function fromVariables(vars: tf.Variable[]): MlpWeights {
  const layers: DenseLayer[] = [];
  for (let i = 0; i + 1 < vars.length; i += 2) {
    const w = vars[i] as tf.Variable;
    const b = vars[i + 1] as tf.Variable;
    layers.push({
      inputSize: w.shape[0] as number,
      outputSize: w.shape[1] as number,
      weights: new Float32Array(w.dataSync()),
      bias: new Float32Array(b.dataSync()),
    });
  }
  return { layers };
}

function forwardTf(vars: tf.Variable[], input: tf.Tensor2D): tf.Tensor2D {
  let x: tf.Tensor2D = input;
  const count = vars.length / 2;
  for (let li = 0; li < count; li++) {
    const y = tf.add(tf.matMul(x, vars[2 * li] as tf.Variable), vars[2 * li + 1] as tf.Variable);
    x = (li + 1 < count ? tf.tanh(y) : y) as tf.Tensor2D;
  }
  return x;
}

/** Number of scalar parameters (for logs and metadata). */
export function parameterCount(weights: ActorCriticWeights): number {
  let n = 0;
  for (const net of [weights.actor, weights.critic]) {
    for (const l of net.layers) n += l.weights.length + l.bias.length;
  }
  return n;
}
