/**
 * What each learned method sees (its policy input), built the same way in
 * training, evaluation and serving.
 *
 * - `ppo`: the network state and an exact preview of every action (latency,
 *   cost and reliability cost on the model's common scales, slices it would
 *   break) with nothing the interpreter provides: no classes, no "the slice's
 *   constraints would hold" flag, no preference vector.
 * - `ppo-sla`: ppo's input followed by the model's full observation computed
 *   with the slice profile (stated, or inferred from the text): class
 *   one-hots, previews relative to the profile's limits, whether its
 *   constraints would hold. No preference vector.
 * - `qappo`: ppo-sla's input followed by the QoE preference vector (latency,
 *   reliability, economics, throughput). So qappo and ppo-sla differ in the
 *   preference vector only, and ppo-sla and ppo in the SLA classes only.
 */
import type { PreferenceVector, SliceProfile } from '../../shared/contracts/common.js';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import {
  ACTION_COUNT,
  ACTION_NAMES,
  OBSERVATION_LAYOUT,
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

export const LEARNED_METHODS = ['qappo', 'ppo', 'ppo-sla'] as const;
export type LearnedMethod = (typeof LEARNED_METHODS)[number];

/** What a learned method is given of the interpreter's intent. */
export interface MethodIntent {
  /** The slice profile's classes: the observation judged against them is in the input. */
  readonly classes: boolean;
  /** The preference vector: in the input, and as the reward weights (else equal weights). */
  readonly preference: boolean;
}

/** Each learned method's share of the intent; the one table the inputs, rewards and docs follow. */
export const METHOD_INTENT: Readonly<Record<LearnedMethod, MethodIntent>> = Object.freeze({
  qappo: { classes: true, preference: true },
  'ppo-sla': { classes: true, preference: false },
  ppo: { classes: false, preference: false },
});

export function isLearnedMethod(name: string): name is LearnedMethod {
  return (LEARNED_METHODS as readonly string[]).includes(name);
}

/**
 * Where ppo's inputs sit in the model's observation, found by name in
 * OBSERVATION_LAYOUT so a reordered observation cannot silently shift them.
 */
function ppoLayout() {
  const layout = OBSERVATION_LAYOUT;
  const isClass = (name: string) =>
    name.startsWith('request.latency.') ||
    name.startsWith('request.reliability.') ||
    name.startsWith('request.cost.');
  const global: number[] = [];
  layout.forEach((name, i) => {
    if (!name.startsWith('action.') && !isClass(name)) global.push(i);
  });
  const field = (action: string, name: string) => {
    const i = layout.indexOf(`action.${action}.${name}`);
    if (i < 0) {
      throw new SliceMeshError(
        'internal',
        `the model's observation has no action.${action}.${name}`,
      );
    }
    return i;
  };
  const perAction = ACTION_NAMES.map((a) => ({
    feasible: field(a, 'feasible'),
    latency: field(a, 'latencyRatio'),
    cost: field(a, 'costRatio'),
    reliability: field(a, 'reliabilityCost'),
    breaks: field(a, 'breaks'),
  }));
  return { global, perAction };
}

const PPO_LAYOUT = ppoLayout();
const PPO_PER_ACTION = 5;

/** Classes whose limits ppo's previews are expressed against (never the slice's own). */
const CLASS_FREE = { latency: 'best-effort', reliability: 'best-effort', cost: 'general' } as const;

const PREFERENCE_SIZE = 4;

export const PPO_INPUT_SIZE = PPO_LAYOUT.global.length + ACTION_COUNT * PPO_PER_ACTION;
export const PPO_SLA_INPUT_SIZE = PPO_INPUT_SIZE + OBSERVATION_SIZE;
export const QAPPO_INPUT_SIZE = PPO_SLA_INPUT_SIZE + PREFERENCE_SIZE;

export function inputSize(method: LearnedMethod): number {
  const intent = METHOD_INTENT[method];
  return (
    PPO_INPUT_SIZE +
    (intent.classes ? OBSERVATION_SIZE : 0) +
    (intent.preference ? PREFERENCE_SIZE : 0)
  );
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
  private readonly intent: MethodIntent;
  private readonly observation = new Float32Array(OBSERVATION_SIZE);
  private readonly choice: Choice = newChoice();
  private readonly outcome = new Outcome();

  constructor(
    method: LearnedMethod,
    private readonly config: ModelConfig,
  ) {
    this.method = method;
    this.size = inputSize(method);
    this.intent = METHOD_INTENT[method];
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
    // The shared part: previews read against fixed, class-free limits (the
    // loosest classes) so nothing of the intent gets in; only the service
    // type, which fixes the VNF chain, is kept.
    const classFree = compileRequest(this.config, {
      ...request,
      profile: { ...CLASS_FREE, serviceType: request.profile.serviceType },
    });
    const base = encodeObservation(
      state,
      classFree,
      candidates,
      this.observation,
      this.choice,
      this.outcome,
    );
    let k = 0;
    for (const i of PPO_LAYOUT.global) out[k++] = base[i] as number;
    for (const f of PPO_LAYOUT.perAction) {
      out[k++] = base[f.feasible] as number;
      // Back from ratios of the class-free limits to the model's common scales.
      out[k++] =
        ((base[f.latency] as number) * classFree.latencyLimitMs) / OUTCOME_SCALES.latencyMs;
      out[k++] = ((base[f.cost] as number) * classFree.costLimit) / OUTCOME_SCALES.cost;
      out[k++] = base[f.reliability] as number;
      out[k++] = base[f.breaks] as number;
    }
    if (!this.intent.classes) return out;
    // ppo-sla and qappo add the slice's classes: the whole observation judged
    // against the intent's profile (class one-hots, previews relative to its
    // limits, whether the slice's constraints would hold).
    const profiled = compileRequest(this.config, { ...request, profile: intent.profile });
    const judged = encodeObservation(
      state,
      profiled,
      candidates,
      this.observation,
      this.choice,
      this.outcome,
    );
    out.set(judged.subarray(0, OBSERVATION_SIZE), k);
    k += OBSERVATION_SIZE;
    if (!this.intent.preference) return out;
    const p = intent.preference;
    out[k++] = p.latency;
    out[k++] = p.reliability;
    out[k++] = p.economics;
    out[k++] = p.throughput;
    return out;
  }
}
