/**
 * The orchestrator agent: a queue-group service on
 * `subjects.orchestratorPlace()` (queue `orchestrator`) that turns a
 * PlacementRequest into a plan with the configured method — the learned
 * `qappo` (default), `ppo-sla` or `ppo`, or any baseline of the model's registry — or a
 * rejection with a reason. Learned checkpoints are loaded at start and
 * replaced when a newer one is saved, without a restart.
 *
 * Each instance plans on its own replica of the infrastructure's resource
 * state (replica.ts), at the version the request asks for or a later one;
 * requests carry no network. Instances share nothing but the feed, so any
 * of them may answer any request.
 */
import path from 'node:path';
import type { Span } from '@opentelemetry/api';
import type { Subscription } from '../../shared/bus/types.js';
import { ENDPOINTS } from '../../shared/contracts/endpoints.js';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import { type PlacementReply, type PlacementRequest } from '../../shared/contracts/messages.js';
import type { PlacementPlan } from '../../shared/contracts/placement.js';
import {
  ACTION_COUNT,
  ACTION_NAMES,
  ACTION_REJECT,
  DEFAULT_MODEL_CONFIG,
  type NetworkState,
  Outcome,
  actionToPlan,
  createPolicy,
  decideOnState,
  decisionInputs,
  hasPolicy,
  newChoice,
  onlinePolicies,
  previewAction,
  type Policy,
  type SliceSpec,
} from '../../shared/model/index.js';
import {
  createAgentHandle,
  type AgentDeps,
  type AgentHandle,
  extendAgentHandle,
  completeAgentDeps,
} from '../../shared/runtime/agent.js';
import type { SliceMeshConfig } from '../../shared/runtime/config.js';
import { ATTR, SPAN, instrument } from '../../shared/telemetry/index.js';
import { bestAllowedAction, maskAvoided, usesAvoided } from './avoid.js';
import { CheckpointSlot } from './checkpoint-slot.js';
import { isLearnedMethod, LEARNED_METHODS, type LearnedMethod } from './features.js';
import { NetworkReplica, type ReplicaOptions, type StateSource } from './replica.js';

export const ORCHESTRATOR_ROLE = 'orchestrator';

export interface OrchestratorConfig {
  /** Method used when a request names none: a learned method (LEARNED_METHODS) or a registered baseline. */
  method: string;
  /** Directory holding a checkpoint folder per learned method (`qappo/`, `ppo/`, `ppo-sla/`). */
  modelDir: string;
  /** How often to look for a newer checkpoint (ms); 0 turns reloading off. Default 2000. */
  reloadIntervalMs?: number;
  /** The replica of the resource state (how long a placement waits for the feed, page sizes). */
  replica?: ReplicaOptions;
}

/** The agent's settings from the environment configuration. */
export function orchestratorConfigFrom(config: SliceMeshConfig): OrchestratorConfig {
  return {
    method: config.orchestrator.method,
    modelDir: config.model.dir,
    replica: { waitMs: config.orchestrator.viewWaitMs },
  };
}

export interface OrchestratorAgent extends AgentHandle {
  /** Places one request in process (what the service does for each message). */
  place(request: PlacementRequest): Promise<PlacementReply>;
  /** Looks for newer checkpoints now (the service also does it on a timer). */
  reload(): Promise<void>;
  /** The replica of the resource state plans are made on (undefined with a fixed state source). */
  readonly replica: NetworkReplica | undefined;
}

/** The bus is required; everything else defaults (role name, bus tracer and logger, system clock, seed 1, default config). */
export type OrchestratorDeps = Pick<AgentDeps, 'bus'> & Partial<AgentDeps>;

type Planned = Extract<PlacementReply, { outcome: 'planned' }>;
type Rejected = Extract<PlacementReply, { outcome: 'rejected' }>;

/**
 * The state as a re-placement of `sliceId` plans on it: its resources freed,
 * since the infrastructure swaps them atomically on apply. A copy (it costs
 * what the plant holds, once per re-placement; a new slice plans on the
 * replica itself); the version stays the replica's, so the plan applies to it.
 */
function withoutSlice(state: NetworkState, sliceId: string): NetworkState {
  if (state.getSlice(sliceId) === undefined) return state;
  const copy = state.clone();
  copy.release(sliceId);
  copy.version = state.version;
  return copy;
}

/** Creates the orchestrator agent; nothing happens until `start()`. */
export function createOrchestratorAgent(
  partialDeps: OrchestratorDeps,
  config: OrchestratorConfig,
  source?: StateSource,
): OrchestratorAgent {
  const deps = completeAgentDeps(partialDeps, ORCHESTRATOR_ROLE);
  const { bus } = deps;
  const { logger, tracer } = deps;
  const modelConfig = DEFAULT_MODEL_CONFIG;
  const replica =
    source === undefined ? new NetworkReplica(bus, logger, modelConfig, config.replica) : undefined;
  const states: StateSource = source ?? (replica as NetworkReplica);
  const slots = new Map<LearnedMethod, CheckpointSlot>(
    LEARNED_METHODS.map((m) => [m, new CheckpointSlot(m, path.join(config.modelDir, m), logger)]),
  );
  const baselines = new Map<string, Promise<Policy>>();
  let subscription: Subscription | undefined;

  const reload = async () => {
    await Promise.all([...slots.values()].map((s) => s.check()));
  };

  const baseline = (method: string): Promise<Policy> => {
    let policy = baselines.get(method);
    if (!policy) {
      policy = createPolicy(method, { config: modelConfig, seed: deps.seed });
      baselines.set(method, policy);
      policy.catch(() => baselines.delete(method));
    }
    return policy;
  };

  const rejected = (
    req: PlacementRequest,
    state: NetworkState,
    method: string,
    reason: string,
  ): Rejected => ({
    type: 'orchestrator.place.reply.v2',
    sliceId: req.sliceId,
    outcome: 'rejected',
    reason,
    method,
    viewVersion: state.version,
  });

  const planned = (req: PlacementRequest, plan: PlacementPlan): Planned => ({
    type: 'orchestrator.place.reply.v2',
    sliceId: req.sliceId,
    outcome: 'planned',
    plan,
  });

  /** Why rejecting was right or what the policy passed over, in words. */
  const rejectReason = (method: string, state: NetworkState, spec: SliceSpec): string => {
    const { compiled, candidates, mask } = decisionInputs(state, spec);
    const scratch = newChoice();
    const outcome = new Outcome();
    let keepsAll = 0;
    for (let a = 0; a < ACTION_COUNT; a++) {
      if (a === ACTION_REJECT || mask[a] !== 1) continue;
      previewAction(state, compiled, candidates, a, scratch, outcome);
      if (outcome.served && outcome.affected === 0) keepsAll += 1;
    }
    const limits =
      `latency ≤ ${compiled.latencyLimitMs} ms, cost ≤ ${compiled.costLimit}, ` +
      `at most ${compiled.sharingLimit} slice(s) per node`;
    return keepsAll === 0
      ? `no feasible placement keeps the slice's QoE constraints (${limits}) without breaking another slice`
      : `${method} chose to reject although ${keepsAll} placement(s) would keep the slice's constraints (${limits})`;
  };

  const placeLearned = (
    req: PlacementRequest,
    state: NetworkState,
    method: LearnedMethod,
    span: Span,
  ): PlacementReply => {
    const policy = (slots.get(method) as CheckpointSlot).policy();
    const spec: SliceSpec = { id: req.sliceId, profile: req.profile, demand: req.demand };
    const { candidates, mask } = decisionInputs(state, spec);
    if (req.avoid) maskAvoided(state, spec, mask, req.avoid);
    const decision = policy.decide(
      state,
      spec,
      { preference: req.preference, profile: req.profile },
      candidates,
      mask,
    );
    const nonZero = Object.fromEntries(
      Object.entries(decision.probabilities).filter(([, p]) => p > 0),
    );
    span.setAttributes({
      [ATTR.orchestratorAction]: decision.actionName,
      [ATTR.orchestratorProbabilities]: JSON.stringify(nonZero),
      [ATTR.orchestratorCheckpoint]: `${method}@${policy.metadata.steps}`,
    });
    if (decision.action === ACTION_REJECT)
      return rejected(req, state, method, rejectReason(method, state, spec));
    const plan = actionToPlan(state, spec, decision.action, method, decision.probabilities);
    if (plan === null) return rejected(req, state, method, rejectReason(method, state, spec));
    return planned(req, plan);
  };

  const placeBaseline = async (
    req: PlacementRequest,
    state: NetworkState,
    policy: Policy,
    method: string,
    span: Span,
  ): Promise<PlacementReply> => {
    const spec: SliceSpec = { id: req.sliceId, profile: req.profile, demand: req.demand };
    const reject = (reason: string): PlacementReply => {
      span.setAttribute(ATTR.orchestratorAction, ACTION_NAMES[ACTION_REJECT] as string);
      return rejected(req, state, method, reason);
    };
    let plan = await decideOnState(policy, state, spec);
    if (plan !== null && req.avoid && usesAvoided(plan, req.avoid)) {
      // Baselines know nothing of avoid-lists: take the cheapest placement
      // that keeps the slice's constraints on the resources still allowed.
      const { compiled, candidates, mask } = decisionInputs(state, spec);
      maskAvoided(state, spec, mask, req.avoid);
      const action = bestAllowedAction(state, compiled, candidates, mask);
      plan = action === ACTION_REJECT ? null : actionToPlan(state, spec, action, method);
      if (plan === null) {
        return reject(
          "every placement that keeps the slice's constraints uses the resources the violation was observed on",
        );
      }
    }
    if (plan === null) return reject(rejectReason(method, state, spec));
    span.setAttribute(
      ATTR.orchestratorAction,
      plan.decision?.action ?? `${plan.site}/${plan.scaling}`,
    );
    return planned(req, plan);
  };

  const place = (req: PlacementRequest): Promise<PlacementReply> => {
    const method = req.method ?? config.method;
    return instrument(
      tracer,
      SPAN.orchestratorPlace,
      { [ATTR.sliceId]: req.sliceId, [ATTR.method]: method },
      async (span) => {
        const learned = isLearnedMethod(method);
        if (!learned && !hasPolicy(method)) {
          throw new SliceMeshError(
            'invalid-message',
            `unknown placement method "${method}"; known: ${[...LEARNED_METHODS].join(', ')} and the registered baselines`,
          );
        }
        // Loaded before the replica is held: a slow first load does not hold the feed back.
        const policy = learned ? undefined : await baseline(method);
        const reply = await states.plan(req.minViewVersion, (live) => {
          const state = withoutSlice(live, req.sliceId);
          span.setAttribute(ATTR.viewVersion, state.version);
          return policy === undefined
            ? placeLearned(req, state, method as LearnedMethod, span)
            : placeBaseline(req, state, policy, method, span);
        });
        span.setAttribute(ATTR.orchestratorOutcome, reply.outcome);
        if (reply.outcome === 'planned') {
          span.setAttributes({
            [ATTR.expectedLatencyMs]: reply.plan.expected.latencyMs,
            [ATTR.expectedCost]: reply.plan.expected.cost,
            [ATTR.expectedReliabilityCost]: reply.plan.expected.reliabilityCost,
          });
        }
        return reply;
      },
    );
  };

  const handle = createAgentHandle(deps, {
    start: async () => {
      const method = config.method;
      if (!isLearnedMethod(method) && !hasPolicy(method)) {
        throw new SliceMeshError(
          'config',
          `SLICEMESH_ORCHESTRATOR_METHOD: unknown method "${method}"`,
        );
      }
      if (!isLearnedMethod(method) && !onlinePolicies().includes(method)) {
        throw new SliceMeshError(
          'config',
          `method "${method}" decides a whole request sequence at once and runs only in evaluation (slicemesh eval); ` +
            `the orchestrator places one slice at a time: use ${[...LEARNED_METHODS, ...onlinePolicies()].join(', ')}`,
        );
      }
      await reload();
      if (isLearnedMethod(method) && !(slots.get(method) as CheckpointSlot).loaded) {
        // Serve anyway: requests for it get a typed `unavailable` error until a
        // checkpoint appears, which the reload timer then picks up.
        logger.warn('no checkpoint for the configured method yet', {
          method,
          dir: path.join(config.modelDir, method),
        });
      }
      for (const slot of slots.values()) slot.watch(config.reloadIntervalMs ?? 2_000);
      await states.start();
      subscription = bus.serve(
        ENDPOINTS.orchestratorPlace,
        (req): Promise<PlacementReply> => place(req),
        { queue: bus.subjects.queueGroup(ORCHESTRATOR_ROLE) },
      );
      logger.info('orchestrator serving', {
        subject: bus.subjects.orchestratorPlace(),
        method,
        checkpoints: Object.fromEntries([...slots].map(([m, s]) => [m, s.loaded])),
      });
    },
    stop: async () => {
      await subscription?.stop();
      subscription = undefined;
      await states.stop();
      await Promise.all([...slots.values()].map((s) => s.close()));
    },
  });

  return extendAgentHandle(handle, {
    place,
    reload,
    replica,
  });
}
