/**
 * A trained checkpoint as a placement method: the model's `Policy` interface
 * for evaluation, plus a direct `decide` with the interpreter's intent for
 * the orchestrator agent.
 */
import { SliceMeshError } from '../../shared/contracts/errors.js';
import {
  ACTION_NAMES,
  DEFAULT_MODEL_CONFIG,
  type Candidates,
  type DecisionContext,
  type ModelConfig,
  type NetworkState,
  type Policy,
  type SliceSpec,
} from '../../shared/model/index.js';
import {
  FeatureBuilder,
  LEARNED_METHODS,
  isLearnedMethod,
  type Intent,
  type LearnedMethod,
} from './features.js';
import { loadCheckpoint, type CheckpointMetadata } from './ppo/checkpoint.js';
import { PolicyNetwork } from './ppo/policy-net.js';

/** Where a learned policy gets the interpreter's intent for a request it is asked to place. */
export type IntentLookup = (ctx: DecisionContext) => Intent | Promise<Intent>;

export interface LearnedDecision {
  action: number;
  actionName: string;
  /** Probability per action name (masked actions are 0). */
  probabilities: Record<string, number>;
}

/** A loaded checkpoint ready to decide. Greedy: the most probable allowed action. */
export class LearnedPolicy {
  readonly method: LearnedMethod;
  private readonly features: FeatureBuilder;
  private readonly input: Float32Array;

  constructor(
    readonly metadata: CheckpointMetadata,
    private readonly network: PolicyNetwork,
    config: ModelConfig = DEFAULT_MODEL_CONFIG,
  ) {
    if (!isLearnedMethod(metadata.method)) {
      throw new SliceMeshError(
        'config',
        `checkpoint method "${metadata.method}" is not one of ${LEARNED_METHODS.join(', ')}`,
      );
    }
    this.method = metadata.method;
    this.features = new FeatureBuilder(this.method, config);
    if (network.inputSize !== this.features.size || network.actionCount !== ACTION_NAMES.length) {
      throw new SliceMeshError(
        'config',
        `checkpoint (${network.inputSize} inputs, ${network.actionCount} actions) does not fit this model version (${this.features.size} inputs, ${ACTION_NAMES.length} actions); retrain it`,
      );
    }
    this.input = new Float32Array(this.features.size);
  }

  static async load(dir: string, config?: ModelConfig): Promise<LearnedPolicy> {
    const { metadata, state } = await loadCheckpoint(dir);
    return new LearnedPolicy(
      metadata,
      new PolicyNetwork(state.weights, state.normalizer.freeze()),
      config,
    );
  }

  /** Picks the action for `request` with `intent` on `state`; `mask` marks the feasible actions. */
  decide(
    state: NetworkState,
    request: SliceSpec,
    intent: Intent,
    candidates: Candidates,
    mask: ArrayLike<number | boolean>,
  ): LearnedDecision {
    this.features.build(state, request, intent, candidates, this.input);
    const { action, probabilities } = this.network.decide(this.input, mask);
    const named: Record<string, number> = {};
    ACTION_NAMES.forEach((name, i) => {
      const p = probabilities[i] as number;
      // Clamp float residue so the wire schema's [0, 1] check always holds.
      named[name] = p > 1 ? 1 : p < 0 ? 0 : p;
    });
    return { action, actionName: ACTION_NAMES[action] as string, probabilities: named };
  }

  /** The model-registry face of this policy, with intents looked up per request. */
  asPolicy(lookup: IntentLookup): Policy {
    return {
      name: this.method,
      decide: (ctx: DecisionContext) => {
        const intent = lookup(ctx);
        const decide = (i: Intent) =>
          this.decide(ctx.state, ctx.request, i, ctx.candidates, ctx.mask).action;
        return intent instanceof Promise ? intent.then(decide) : decide(intent);
      },
    };
  }
}
