/**
 * The PPO training loop: collect whole episodes with the plain-math policy,
 * compute GAE, update with tfjs, repeat. Every random draw comes from streams
 * derived from the seed and the update index, so a run is reproducible and a
 * resumed run continues exactly where the checkpoint left it.
 */
import { SliceMeshError } from '../../../shared/contracts/errors.js';
import { createRng, deriveSeed } from '../../../shared/random.js';
import { PpoLearner, type RolloutBatch, type UpdateStats } from './learner.js';
import type { SavedTensor } from './learner-types.js';
import { computeGae, logProb, maskedSoftmax, sampleCategorical, standardise } from './math.js';
import { RunningNormalizer } from './normalizer.js';
import { forwardMlp, initActorCritic, MlpScratch, type ActorCriticWeights } from './network.js';
import type { PpoHyperparameters } from './hyperparameters.js';

/** What one environment step reports to the trainer. */
export interface StepResult {
  /** The reward this method learns from. */
  reward: number;
  done: boolean;
  /** Whether the request of this step was served (all its constraints hold) when placed. */
  served: boolean;
  /**
   * On the last step of an episode: how many of its requests are served at
   * its end (a later placement can break an earlier slice). Defaults to the
   * count of per-step `served`.
   */
  finalServed?: number;
  /** A reward on a scale shared by all methods (for the comparable curve). */
  score: number;
}

/** The environment as the trainer sees it: raw policy inputs, a mask, a step. */
export interface TrainingEnv {
  readonly inputSize: number;
  readonly actionCount: number;
  /** Starts episode number `episode`; the same number always gives the same episode. */
  reset(episode: number): void;
  /** Writes the raw (unnormalised) policy input of the current state into `out`. */
  observe(out: Float32Array): Float32Array;
  /** 1/true for each physically feasible action. */
  actionMask(): ArrayLike<boolean | number>;
  step(action: number): StepResult;
}

/** One point of the reward curve: the episodes finished during one update. */
export interface CurvePoint {
  steps: number;
  episodes: number;
  meanReward: number;
  meanScore: number;
  availability: number;
}

/** Everything needed to continue training later. */
export interface TrainerState {
  weights: ActorCriticWeights;
  normalizer: RunningNormalizer;
  optimizer: { actor: SavedTensor[]; critic: SavedTensor[] } | null;
  steps: number;
  updates: number;
  episodes: number;
  curve: CurvePoint[];
  /** Training wall time so far, summed over resumed sessions. */
  wallTimeMs: number;
}

export interface ProgressReport {
  steps: number;
  totalSteps: number;
  updates: number;
  stepsPerSecond: number;
  point: CurvePoint;
  stats: UpdateStats;
}

export interface TrainOptions {
  hp: PpoHyperparameters;
  seed: number;
  /** Stop after at least this many environment steps in total (including resumed ones). */
  totalSteps: number;
  env: TrainingEnv;
  /** A previous run's state to continue from. */
  resume?: TrainerState;
  signal?: AbortSignal;
  onProgress?: (report: ProgressReport) => void;
  /** Called every `checkpointEvery` updates, on abort and at the end. */
  onCheckpoint?: (state: TrainerState) => Promise<void>;
  checkpointEvery?: number;
}

export interface TrainResult {
  state: TrainerState;
  aborted: boolean;
}

/** A fresh state: seeded weights, empty statistics. */
export function initialState(env: TrainingEnv, hp: PpoHyperparameters, seed: number): TrainerState {
  return {
    weights: initActorCritic(
      { inputSize: env.inputSize, actionCount: env.actionCount, hidden: hp.hidden },
      deriveSeed(seed, 'init'),
    ),
    normalizer: new RunningNormalizer(env.inputSize),
    optimizer: null,
    steps: 0,
    updates: 0,
    episodes: 0,
    curve: [],
    wallTimeMs: 0,
  };
}

/** Collects whole episodes until at least `hp.batchSize` steps, then runs one PPO update, until done. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { hp, env, seed } = options;
  const state = options.resume ?? initialState(env, hp, seed);
  if (state.normalizer.size !== env.inputSize) {
    throw new SliceMeshError(
      'config',
      `checkpoint expects ${state.normalizer.size} inputs, the environment gives ${env.inputSize}`,
    );
  }
  const learner = new PpoLearner(state.weights, hp);
  try {
    if (state.optimizer) learner.restoreOptimizerState(state.optimizer);
    const actorScratch = new MlpScratch(state.weights.actor);
    const criticScratch = new MlpScratch(state.weights.critic);
    const every = options.checkpointEvery ?? 5;
    let aborted = false;
    const sessionStart = performance.now();
    const wallAtStart = state.wallTimeMs;

    while (state.steps < options.totalSteps) {
      if (options.signal?.aborted) {
        aborted = true;
        break;
      }
      const updateStart = performance.now();
      const rng = createRng(deriveSeed(seed, 'update', state.updates));
      const rollout = collect(env, state, hp, rng.fork('rollout'), actorScratch, criticScratch);
      const stats = learner.update(rollout.batch, rng.fork('shuffle'));
      state.weights = learner.read();
      state.steps += rollout.batch.size;
      state.updates += 1;
      state.episodes += rollout.point.episodes;
      state.curve.push({ ...rollout.point, steps: state.steps });
      state.wallTimeMs = wallAtStart + (performance.now() - sessionStart);
      options.onProgress?.({
        steps: state.steps,
        totalSteps: options.totalSteps,
        updates: state.updates,
        stepsPerSecond:
          (rollout.batch.size * 1000) / Math.max(performance.now() - updateStart, 1e-3),
        point: { ...rollout.point, steps: state.steps },
        stats,
      });
      if (options.onCheckpoint && state.updates % every === 0 && state.steps < options.totalSteps) {
        state.optimizer = learner.optimizerState();
        await options.onCheckpoint(state);
      }
      // Let signal handlers and I/O run between updates.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    state.optimizer = learner.optimizerState();
    await options.onCheckpoint?.(state);
    return { state, aborted };
  } finally {
    learner.dispose();
  }
}

interface Rollout {
  batch: RolloutBatch;
  point: CurvePoint;
}

function collect(
  env: TrainingEnv,
  state: TrainerState,
  hp: PpoHyperparameters,
  rng: ReturnType<typeof createRng>,
  actorScratch: MlpScratch,
  criticScratch: MlpScratch,
): Rollout {
  const { inputSize, actionCount } = env;
  const inputs: Float32Array[] = [];
  const masks: Float32Array[] = [];
  const actions: number[] = [];
  const logProbs: number[] = [];
  const values: number[] = [];
  const rewards: number[] = [];
  const dones: boolean[] = [];
  const raw = new Float32Array(inputSize);
  const probs = new Float64Array(actionCount);
  let episodes = 0;
  let rewardSum = 0;
  let scoreSum = 0;
  let served = 0;
  let requests = 0;
  let episodeServed = 0;
  let episode = state.episodes;

  while (actions.length < hp.batchSize) {
    env.reset(episode++);
    episodes += 1;
    for (;;) {
      env.observe(raw);
      state.normalizer.update(raw);
      const input = state.normalizer.normalise(raw);
      const maskView = env.actionMask();
      const mask = new Float32Array(actionCount);
      for (let i = 0; i < actionCount; i++) mask[i] = maskView[i] ? 1 : 0;
      const logits = forwardMlp(state.weights.actor, input, actorScratch);
      maskedSoftmax(logits, mask, probs);
      const action = sampleCategorical(probs, rng);
      const value = forwardMlp(state.weights.critic, input, criticScratch)[0] as number;
      const result = env.step(action);
      inputs.push(input);
      masks.push(mask);
      actions.push(action);
      logProbs.push(logProb(probs, action));
      values.push(value);
      rewards.push(result.reward);
      dones.push(result.done);
      rewardSum += result.reward;
      scoreSum += result.score;
      requests += 1;
      if (result.served) episodeServed += 1;
      if (result.done) {
        served += result.finalServed ?? episodeServed;
        episodeServed = 0;
        break;
      }
    }
  }

  const size = actions.length;
  // Whole episodes only: the last step is terminal, so nothing is bootstrapped.
  const gae = computeGae(rewards, values, dones, 0, hp.gamma, hp.gaeLambda);
  const batch: RolloutBatch = {
    size,
    inputSize,
    actionCount,
    inputs: concat(inputs, inputSize),
    masks: concat(masks, actionCount),
    actions: Int32Array.from(actions),
    oldLogProbs: Float32Array.from(logProbs),
    advantages: standardise(gae.advantages),
    returns: gae.returns,
  };
  return {
    batch,
    point: {
      steps: 0,
      episodes,
      meanReward: rewardSum / episodes,
      meanScore: scoreSum / episodes,
      availability: served / Math.max(requests, 1),
    },
  };
}

function concat(rows: Float32Array[], width: number): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((row, i) => out.set(row, i * width));
  return out;
}
