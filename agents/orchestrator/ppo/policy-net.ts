/**
 * A trained actor ready for decisions: normaliser + actor weights, evaluated
 * in plain math. Stateless apart from scratch buffers, so one instance serves
 * any number of sequential requests.
 */
import type { Rng } from '../../../shared/random.js';
import { argmax, maskedSoftmax, sampleCategorical } from './math.js';
import type { RunningNormalizer } from './normalizer.js';
import { forwardMlp, MlpScratch, type ActorCriticWeights } from './network.js';

export interface Decision {
  action: number;
  /** Probability of every action under the mask (masked actions are exactly 0). */
  probabilities: Float64Array;
}

export class PolicyNetwork {
  private readonly scratch: MlpScratch;
  private readonly criticScratch: MlpScratch;
  private readonly input: Float32Array;

  constructor(
    readonly weights: ActorCriticWeights,
    readonly normalizer: RunningNormalizer,
  ) {
    this.scratch = new MlpScratch(weights.actor);
    this.criticScratch = new MlpScratch(weights.critic);
    this.input = new Float32Array(normalizer.size);
  }

  get inputSize(): number {
    return this.normalizer.size;
  }

  get actionCount(): number {
    const layers = this.weights.actor.layers;
    return layers[layers.length - 1]?.outputSize ?? 0;
  }

  /**
   * Picks an action among the allowed ones: the most probable (greedy, the
   * default for evaluation and serving) or a sample when `rng` is given.
   */
  decide(raw: ArrayLike<number>, mask: ArrayLike<boolean | number>, rng?: Rng): Decision {
    this.normalizer.normalise(raw, this.input);
    const logits = forwardMlp(this.weights.actor, this.input, this.scratch);
    const probabilities = maskedSoftmax(logits, mask);
    const action = rng ? sampleCategorical(probabilities, rng) : argmax(probabilities);
    return { action, probabilities };
  }

  /** The critic's estimate of the return from this state. */
  value(raw: ArrayLike<number>): number {
    this.normalizer.normalise(raw, this.input);
    return forwardMlp(this.weights.critic, this.input, this.criticScratch)[0] as number;
  }
}
