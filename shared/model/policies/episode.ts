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
import type { DecisionContext, Policy, PolicyDecision } from './types.js';

export interface EpisodeResult extends EpisodeSummary {
  method: string;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** Runs `policy` over every request of `instance` and returns the final per-slice figures. */
export async function runEpisode(
  policy: Policy,
  instance: Instance,
  options: { config?: ModelConfig; env?: SliceEnv } = {},
): Promise<EpisodeResult> {
  const env = options.env ?? new SliceEnv({ config: options.config ?? DEFAULT_MODEL_CONFIG });
  const started = policy.startEpisode?.(instance);
  if (isPromise(started)) await started;
  env.reset(instance);
  const mask = new Uint8Array(ACTION_COUNT);
  const observation = new Float32Array(OBSERVATION_SIZE);
  while (!env.done) {
    const index = env.stepIndex;
    const ctx: DecisionContext = {
      state: env.state,
      request: env.currentRequest(),
      compiled: env.currentCompiled(),
      candidates: env.currentCandidates(),
      mask: env.actionMask(mask),
      observe: () => env.observe(observation),
      stepIndex: index,
    };
    const pending = policy.decide(ctx);
    const decision: PolicyDecision = isPromise(pending) ? await pending : pending;
    if (typeof decision === 'number') env.step(decision);
    else env.stepPlan(decision);
  }
  return { method: policy.name, ...env.summary() };
}

/**
 * One decision on a wire view, as the orchestrator agent makes it: returns
 * the plan (with its expected QoE and `viewVersion`) or null to reject.
 */
export async function decideOnView(
  policy: Policy,
  view: NetworkView,
  request: SliceSpec & { description?: string },
  config: ModelConfig = DEFAULT_MODEL_CONFIG,
): Promise<PlacementPlan | null> {
  const state = NetworkState.fromView(view, config);
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
