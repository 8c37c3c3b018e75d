/**
 * What each learned method sees (its policy input), built the same way in
 * training, evaluation and serving.
 *
 * - `qappo`: the model's full observation computed with the slice profile
 *   the interpreter inferred (so per-action previews are judged against the
 *   limits of the inferred classes), followed by the QoE preference vector
 *   (latency, reliability, economics, throughput).
 * - `ppo`: the same network state and per-action previews without anything
 *   the interpreter provides: no class one-hots, no "constraints would hold"
 *   flag, latency and cost on fixed scales instead of relative to the class
 *   limits, and no preference vector.
 */
import type { PreferenceVector, SliceProfile } from '../../shared/contracts/common.js';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import {
  ACTION_COUNT,
  OBSERVATION_SIZE,
  OUTCOME_SCALES,
  Outcome,
  compileRequest,
  encodeObservation,
  newChoice,
  type Candidates,
  type Choice,
  type ModelConfig,
  type NetworkState,
  type SliceSpec,
} from '../../shared/model/index.js';

export const LEARNED_METHODS = ['qappo', 'ppo'] as const;
export type LearnedMethod = (typeof LEARNED_METHODS)[number];

export function isLearnedMethod(name: string): name is LearnedMethod {
  return (LEARNED_METHODS as readonly string[]).includes(name);
}

// Layout of the model's observation (shared/model/observation.ts).
const CLASS_FEATURES = { start: 8, end: 16 };
const GLOBAL_FEATURES = 33;
const PER_ACTION = 6;
const PPO_PER_ACTION = 5;

export const QAPPO_INPUT_SIZE = OBSERVATION_SIZE + 4;
export const PPO_INPUT_SIZE =
  GLOBAL_FEATURES - (CLASS_FEATURES.end - CLASS_FEATURES.start) + ACTION_COUNT * PPO_PER_ACTION;

export function inputSize(method: LearnedMethod): number {
  return method === 'qappo' ? QAPPO_INPUT_SIZE : PPO_INPUT_SIZE;
}

/** What the interpreter told us about a slice. */
export interface Intent {
  preference: PreferenceVector;
  profile: SliceProfile;
}

/** Reusable buffers for building policy inputs (one per thread of decisions). */
export class FeatureBuilder {
  readonly method: LearnedMethod;
  readonly size: number;
  private readonly observation = new Float32Array(OBSERVATION_SIZE);
  private readonly choice: Choice = newChoice();
  private readonly outcome = new Outcome();

  constructor(
    method: LearnedMethod,
    private readonly config: ModelConfig,
  ) {
    this.method = method;
    this.size = inputSize(method);
  }

  /**
   * Writes the policy input for placing `request` (with the interpreter's
   * `intent`) on `state` into `out`. `candidates` are the join candidates the
   * action space uses for this request and state.
   */
  build(
    state: NetworkState,
    request: SliceSpec,
    intent: Intent,
    candidates: Candidates,
    out: Float32Array,
  ): Float32Array {
    if (out.length < this.size) {
      throw new SliceMeshError(
        'internal',
        `feature buffer holds ${out.length}, needs ${this.size}`,
      );
    }
    // qappo judges previews against the inferred classes; ppo's reading of
    // them is class-free (below), so which profile is used does not matter.
    const compiled = compileRequest(this.config, { ...request, profile: intent.profile });
    const obs = encodeObservation(
      state,
      compiled,
      candidates,
      this.observation,
      this.choice,
      this.outcome,
    );
    if (this.method === 'qappo') {
      out.set(obs.subarray(0, OBSERVATION_SIZE), 0);
      const p = intent.preference;
      out[OBSERVATION_SIZE] = p.latency;
      out[OBSERVATION_SIZE + 1] = p.reliability;
      out[OBSERVATION_SIZE + 2] = p.economics;
      out[OBSERVATION_SIZE + 3] = p.throughput;
      return out;
    }
    let k = 0;
    for (let i = 0; i < GLOBAL_FEATURES; i++) {
      if (i >= CLASS_FEATURES.start && i < CLASS_FEATURES.end) continue;
      out[k++] = obs[i] as number;
    }
    for (let a = 0; a < ACTION_COUNT; a++) {
      const base = GLOBAL_FEATURES + a * PER_ACTION;
      out[k++] = obs[base] as number; // feasible
      out[k++] = ((obs[base + 1] as number) * compiled.latencyLimitMs) / OUTCOME_SCALES.latencyMs;
      out[k++] = ((obs[base + 2] as number) * compiled.costLimit) / OUTCOME_SCALES.cost;
      out[k++] = obs[base + 3] as number; // reliability cost / 4
      out[k++] = obs[base + 5] as number; // other slices broken / 4
    }
    return out;
  }
}
