/**
 * The case-study step environment wrapped for PPO training: episodes of 4–20
 * requests drawn from a pool of generated training requests (whose
 * interpreter outputs are cached), on a network seeded from the training
 * seed range. Rewards follow reward.ts for the method being trained.
 */
import { createRng, deriveSeed } from '../../../shared/random.js';
import {
  SEED_RANGES,
  SliceEnv,
  generateInstance,
  normaliseOutcome,
  type Instance,
  type ModelRequest,
  type NormalisedOutcome,
} from '../../../shared/model/index.js';
import { SliceMeshError } from '../../../shared/contracts/errors.js';
import { FeatureBuilder, type Intent, type LearnedMethod } from '../features.js';
import type { StepResult, TrainingEnv } from '../ppo/trainer.js';
import { methodWeights, preferenceWeights, stepReward, type QoeWeights } from '../reward.js';
import type { IntentCache } from './intent-cache.js';

export interface EpisodeShape {
  minRequests: number;
  maxRequests: number;
}

export const DEFAULT_EPISODE_SHAPE: EpisodeShape = { minRequests: 4, maxRequests: 20 };

/**
 * Share of training requests that state their SLA classes. Half: the policy
 * then serves stated-SLA requests (the paper's case study) almost as well as
 * with all stated, and text-only requests clearly better (docs/orchestrator.md).
 */
export const DEFAULT_SLA_SHARE = 0.5;

/** The training request pool: the 20-request instances of `seeds` pool seeds, flattened. */
export function trainingPool(seeds: number, requestsPerSeed = 20): ModelRequest[] {
  if (!Number.isInteger(seeds) || seeds < 1 || seeds > SEED_RANGES.training.max) {
    throw new SliceMeshError('config', `pool size must be 1..${SEED_RANGES.training.max} seeds`);
  }
  const pool: ModelRequest[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    pool.push(...generateInstance(SEED_RANGES.training.min + seed, requestsPerSeed).requests);
  }
  return pool;
}

export interface PlacementEnvOptions {
  method: LearnedMethod;
  seed: number;
  pool: readonly ModelRequest[];
  intents: IntentCache;
  shape?: EpisodeShape;
  /**
   * Share of requests that state their SLA classes (the interpreter then
   * returns those classes); the others carry only their text. Default
   * DEFAULT_SLA_SHARE.
   */
  slaShare?: number;
}

export class PlacementTrainingEnv implements TrainingEnv {
  readonly inputSize: number;
  readonly actionCount: number;
  readonly env = new SliceEnv();
  private readonly features: FeatureBuilder;
  private readonly method: LearnedMethod;
  private readonly seed: number;
  private readonly pool: readonly ModelRequest[];
  private readonly shape: EpisodeShape;
  private intents: Intent[] = [];
  private readonly scoreWeights: QoeWeights[] = [];
  private readonly rewardWeights: QoeWeights[] = [];
  private readonly normalised: Partial<NormalisedOutcome> = {};
  private readonly cache: IntentCache;
  private readonly mask = new Uint8Array(19);
  private readonly slaShare: number;

  constructor(options: PlacementEnvOptions) {
    this.method = options.method;
    this.seed = options.seed;
    this.pool = options.pool;
    this.cache = options.intents;
    this.shape = options.shape ?? DEFAULT_EPISODE_SHAPE;
    this.slaShare = options.slaShare ?? DEFAULT_SLA_SHARE;
    if (!(this.slaShare >= 0 && this.slaShare <= 1)) {
      throw new SliceMeshError('config', `the SLA share must be in [0, 1], got ${this.slaShare}`);
    }
    if (this.pool.length < this.shape.maxRequests) {
      throw new SliceMeshError('config', 'the request pool is smaller than one episode');
    }
    this.features = new FeatureBuilder(this.method, this.env.config);
    this.inputSize = this.features.size;
    this.actionCount = this.env.actionCount;
  }

  /** The instance episode `episode` runs on (deterministic in the seed and the episode number). */
  instanceFor(episode: number): Instance {
    const rng = createRng(deriveSeed(this.seed, 'episode', episode));
    const count = rng.int(this.shape.minRequests, this.shape.maxRequests);
    const picked = new Set<number>();
    const requests: ModelRequest[] = [];
    while (requests.length < count) {
      const i = rng.int(0, this.pool.length - 1);
      if (picked.has(i)) continue;
      picked.add(i);
      requests.push(this.pool[i] as ModelRequest);
    }
    return { seed: rng.int(SEED_RANGES.training.min, SEED_RANGES.training.max), requests };
  }

  reset(episode: number): void {
    const instance = this.instanceFor(episode);
    const sla = createRng(deriveSeed(this.seed, 'sla', episode));
    this.intents = instance.requests.map((r) => this.cache.require(r, sla.chance(this.slaShare)));
    this.scoreWeights.length = 0;
    this.rewardWeights.length = 0;
    instance.requests.forEach((r, i) => {
      // The shared score always weighs by the SLA-stated interpretation, so
      // curves of runs with different SLA shares stay comparable.
      this.scoreWeights.push(preferenceWeights(this.cache.require(r, true).preference));
      this.rewardWeights.push(methodWeights(this.method, (this.intents[i] as Intent).preference));
    });
    this.env.reset(instance);
  }

  observe(out: Float32Array): Float32Array {
    const i = this.env.stepIndex;
    return this.features.build(
      this.env.state,
      this.env.currentRequest(),
      this.intents[i] as Intent,
      this.env.currentCandidates(),
      out,
    );
  }

  actionMask(): Uint8Array {
    return this.env.actionMask(this.mask);
  }

  step(action: number): StepResult {
    const i = this.env.stepIndex;
    const result = this.env.step(action);
    const o = normaliseOutcome(result, this.normalised);
    const step: StepResult = {
      reward: stepReward(o, this.rewardWeights[i] as QoeWeights),
      score: stepReward(o, this.scoreWeights[i] as QoeWeights),
      served: result.served,
      done: result.done,
    };
    if (result.done) step.finalServed = this.env.summary().served;
    return step;
  }
}
