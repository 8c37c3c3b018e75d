/**
 * The one interface every placement method implements — the baselines, the
 * exact oracle and the learned PPO policies — so the evaluation harness and
 * the orchestrator agent can run any of them.
 */
import type { SliceProfile } from '../../contracts/common.js';
import type { PlacementPlan } from '../../contracts/placement.js';
import type { Candidates, CompiledRequest } from '../actions.js';
import type { ModelConfig } from '../config.js';
import type { NetworkState, SliceSpec } from '../network.js';
import type { Instance } from '../types.js';

/**
 * What a method is told about a request's classes: the profile it acts on
 * and whether the requester stated it. Stated classes are the truth (the
 * interpreter returns them unchanged); a profile inferred from the request's
 * text alone may be wrong, and the environment still judges with the truth.
 */
export interface Belief {
  readonly profile: SliceProfile;
  readonly stated: boolean;
}

/**
 * Everything a policy may look at to place one request: what it would know
 * live. Treat all of it as read-only. It holds beliefs only — the request's
 * profile is the one the method was told, and the slices in `state` carry
 * the profiles their methods were told — never the requester's true classes
 * when those were not stated: the judge keeps them, and only a method that
 * plans the whole instance in advance (`startEpisode`) sees them there.
 */
export interface DecisionContext {
  /** The network as the method knows it. */
  readonly state: NetworkState;
  /** The request as the method knows it: id, demand, text and the profile it acts on. */
  readonly request: SliceSpec & { readonly description?: string };
  /** The classes the request states explicitly, if it does (then equal to `request.profile`). */
  readonly sla?: SliceProfile;
  /** The request in the numbers the hot path uses. */
  readonly compiled: CompiledRequest;
  /** Join candidates the action space offers for this request. */
  readonly candidates: Candidates;
  /** Physical feasibility of each action index (1 = allowed). */
  readonly mask: Uint8Array;
  /** The observation vector for this state and request (computed on demand; do not keep it). */
  observe(): Float32Array;
  /** Index of the request in its episode, when running an episode. */
  readonly stepIndex?: number;
}

/** An action index of the step environment, a wire plan, or null to reject. */
export type PolicyDecision = number | PlacementPlan | null;

export interface Policy {
  readonly name: string;
  /** Called with the whole instance before its episode starts (the oracle plans here). */
  startEpisode?(instance: Instance): void | Promise<void>;
  decide(ctx: DecisionContext): PolicyDecision | Promise<PolicyDecision>;
}

export interface PolicyOptions {
  readonly config: ModelConfig;
  /** Seed for stochastic policies outside an episode (episodes re-seed from the instance). */
  readonly seed: number;
}

/** Creates a policy; may be async (e.g. loading a checkpoint). */
export type PolicyFactory = (options: PolicyOptions) => Policy | Promise<Policy>;
