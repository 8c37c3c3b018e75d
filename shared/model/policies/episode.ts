/** Running a policy: a whole episode on an instance, or one decision on a wire NetworkView. */
import type { PlacementPlan, NetworkView } from '../../contracts/placement.js';
import { SliceMeshError } from '../../contracts/errors.js';
import { ACTION_COUNT, Outcome, decisionInputs, newChoice } from '../actions.js';
import { DEFAULT_MODEL_CONFIG, type ModelConfig } from '../config.js';
import { SliceEnv, type EpisodeSummary } from '../env.js';
import { NetworkState, type SliceSpec } from '../network.js';
import { OBSERVATION_SIZE, encodeObservation } from '../observation.js';
import { actionToPlan } from '../plan.js';
import type { Instance } from '../types.js';
import type { Belief, DecisionContext, Policy, PolicyDecision } from './types.js';

export interface EpisodeResult extends EpisodeSummary {
  method: string;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

export interface EpisodeOptions {
  config?: ModelConfig;
  /** The judge's environment, reused between episodes. */
  env?: SliceEnv;
  /**
   * What the method is told about each request (one per request, in order).
   * Without it, every request states its true classes. With it, the method
   * decides on a second network built from its beliefs — the slices carry
   * the profiles it was told, as in a live view — and every decision is
   * applied to both, while the judge's network keeps the true classes.
   */
  beliefs?: readonly Belief[];
  /** The believed network, reused between episodes (only with `beliefs`). */
  beliefEnv?: SliceEnv;
}

/** Runs `policy` over every request of `instance` and returns the final per-slice figures. */
export async function runEpisode(
  policy: Policy,
  instance: Instance,
  options: EpisodeOptions = {},
): Promise<EpisodeResult> {
  const env = options.env ?? new SliceEnv({ config: options.config ?? DEFAULT_MODEL_CONFIG });
  const beliefs = options.beliefs;
  if (beliefs !== undefined && beliefs.length !== instance.requests.length) {
    throw new SliceMeshError('internal', 'an episode needs one belief per request');
  }
  const believed = beliefs === undefined ? instance : believedInstance(instance, beliefs);
  // Without beliefs the method decides on the judge's own network.
  const view =
    beliefs === undefined ? env : (options.beliefEnv ?? new SliceEnv({ config: env.config }));
  const started = policy.startEpisode?.(believed);
  if (isPromise(started)) await started;
  if (beliefs === undefined) env.reset(instance);
  else {
    // A misread service type deploys the believed VNF chain: both networks stay alike in shape.
    env.reset(instance, { deployAs: beliefs.map((b) => b.profile.serviceType) });
    view.reset(believed);
  }
  const mask = new Uint8Array(ACTION_COUNT);
  const observation = new Float32Array(OBSERVATION_SIZE);
  while (!view.done) {
    const index = view.stepIndex;
    const request = view.currentRequest();
    const belief = beliefs?.[index];
    const ctx: DecisionContext = {
      state: view.state,
      request,
      compiled: view.currentCompiled(),
      candidates: view.currentCandidates(),
      mask: view.actionMask(mask),
      observe: () => view.observe(observation),
      stepIndex: index,
      ...(belief === undefined || belief.stated ? { sla: request.profile } : {}),
    };
    const pending = policy.decide(ctx);
    const decision: PolicyDecision = isPromise(pending) ? await pending : pending;
    if (view === env) {
      if (typeof decision === 'number') env.step(decision);
      else env.stepPlan(decision);
      continue;
    }
    // The believed network resolves an action to nodes; the judge's takes them by id.
    const plan =
      typeof decision === 'number'
        ? actionToPlan(view.state, request, decision, policy.name)
        : decision;
    view.stepPlan(plan);
    env.stepPlan(plan);
  }
  return { method: policy.name, ...env.summary() };
}

/** The instance as a method believes it: the same requests with the profiles it was told. */
function believedInstance(instance: Instance, beliefs: readonly Belief[]): Instance {
  return {
    seed: instance.seed,
    requests: instance.requests.map((r, i) => ({
      ...r,
      profile: (beliefs[i] as Belief).profile,
    })),
  };
}

/**
 * One decision on a wire view: returns the plan (with its expected QoE and
 * `viewVersion`) or null to reject.
 */
export async function decideOnView(
  policy: Policy,
  view: NetworkView,
  request: SliceSpec & { description?: string },
  config: ModelConfig = DEFAULT_MODEL_CONFIG,
): Promise<PlacementPlan | null> {
  return decideOnState(policy, NetworkState.fromView(view, config), request);
}

/**
 * One decision on `state`, as the orchestrator agent makes it on its replica:
 * returns the plan (with its expected QoE and `viewVersion`) or null to
 * reject. Reads `state` only.
 */
export async function decideOnState(
  policy: Policy,
  state: NetworkState,
  request: SliceSpec & { description?: string },
): Promise<PlacementPlan | null> {
  const { compiled, candidates, mask } = decisionInputs(state, request);
  const observation = new Float32Array(OBSERVATION_SIZE);
  const ctx: DecisionContext = {
    state,
    request,
    compiled,
    candidates,
    mask,
    observe: () =>
      encodeObservation(state, compiled, candidates, observation, newChoice(), new Outcome()),
  };
  const pending = policy.decide(ctx);
  const decision = isPromise(pending) ? await pending : pending;
  if (decision === null || typeof decision !== 'number') return decision;
  if (mask[decision] !== 1) {
    throw new SliceMeshError('infeasible', `${policy.name} chose an infeasible action ${decision}`);
  }
  return actionToPlan(state, request, decision, policy.name);
}
