/**
 * The orchestrator agent: a stateless queue-group service on
 * `subjects.orchestratorPlace()` (queue `orchestrator`) that turns a
 * PlacementRequest into a plan with the configured method — the learned
 * `qappo` (default), `ppo-sla` or `ppo`, or any baseline of the model's registry — or a
 * rejection with a reason. Learned checkpoints are loaded at start and
 * replaced when a newer one is saved, without a restart.
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
  NetworkState,
  Outcome,
  actionToPlan,
  createPolicy,
  decideOnView,
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

export const ORCHESTRATOR_ROLE = 'orchestrator';

export interface OrchestratorConfig {
  /** Method used when a request names none: a learned method (LEARNED_METHODS) or a registered baseline. */
  method: string;
  /** Directory holding a checkpoint folder per learned method (`qappo/`, `ppo/`, `ppo-sla/`). */
  modelDir: string;
  /** How often to look for a newer checkpoint (ms); 0 turns reloading off. Default 2000. */
  reloadIntervalMs?: number;
}

/** The agent's settings from the environment configuration. */
export function orchestratorConfigFrom(config: SliceMeshConfig): OrchestratorConfig {
  return { method: config.orchestrator.method, modelDir: config.model.dir };
}

export interface OrchestratorAgent extends AgentHandle {
  /** Places one request in process (what the service does for each message). */
  place(request: PlacementRequest): Promise<PlacementReply>;
  /** Looks for newer checkpoints now (the service also does it on a timer). */
  reload(): Promise<void>;
}

/** The bus is required; everything else defaults (role name, bus tracer and logger, system clock, seed 1, default config). */
export type OrchestratorDeps = Pick<AgentDeps, 'bus'> & Partial<AgentDeps>;

type Planned = Extract<PlacementReply, { outcome: 'planned' }>;
type Rejected = Extract<PlacementReply, { outcome: 'rejected' }>;

/** Creates the orchestrator agent; nothing happens until `start()`. */
export function createOrchestratorAgent(
  partialDeps: OrchestratorDeps,
  config: OrchestratorConfig,
): OrchestratorAgent {
  const deps = completeAgentDeps(partialDeps, ORCHESTRATOR_ROLE);
  const { bus } = deps;
  const { logger, tracer } = deps;
  const modelConfig = DEFAULT_MODEL_CONFIG;
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

  const rejected = (req: PlacementRequest, method: string, reason: string): Rejected => ({
    type: 'orchestrator.place.reply.v1',
    sliceId: req.sliceId,
    outcome: 'rejected',
    reason,
    method,
  });

  const planned = (req: PlacementRequest, plan: PlacementPlan): Planned => ({
    type: 'orchestrator.place.reply.v1',
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
    method: LearnedMethod,
    span: Span,
  ): PlacementReply => {
    const policy = (slots.get(method) as CheckpointSlot).policy();
    const state = NetworkState.fromView(req.view, modelConfig);
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
      return rejected(req, method, rejectReason(method, state, spec));
    const plan = actionToPlan(state, spec, decision.action, method, decision.probabilities);
    if (plan === null) return rejected(req, method, rejectReason(method, state, spec));
    return planned(req, plan);
  };

  const placeBaseline = async (
    req: PlacementRequest,
    method: string,
    span: Span,
  ): Promise<PlacementReply> => {
    const policy = await baseline(method);
    const spec: SliceSpec = { id: req.sliceId, profile: req.profile, demand: req.demand };
    const reject = (reason: string): PlacementReply => {
      span.setAttribute(ATTR.orchestratorAction, ACTION_NAMES[ACTION_REJECT] as string);
      return rejected(req, method, reason);
    };
    let plan = await decideOnView(policy, req.view, spec, modelConfig);
    if (plan !== null && req.avoid && usesAvoided(plan, req.avoid)) {
      // Baselines know nothing of avoid-lists: take the cheapest placement
      // that keeps the slice's constraints on the resources still allowed.
      const state = NetworkState.fromView(req.view, modelConfig);
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
    if (plan === null) {
      return reject(rejectReason(method, NetworkState.fromView(req.view, modelConfig), spec));
    }
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
      { [ATTR.sliceId]: req.sliceId, [ATTR.method]: method, [ATTR.viewVersion]: req.view.version },
      async (span) => {
        let reply: PlacementReply;
        if (isLearnedMethod(method)) reply = placeLearned(req, method, span);
        else if (hasPolicy(method)) reply = await placeBaseline(req, method, span);
        else {
          throw new SliceMeshError(
            'invalid-message',
            `unknown placement method "${method}"; known: ${[...LEARNED_METHODS].join(', ')} and the registered baselines`,
          );
        }
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
      await Promise.all([...slots.values()].map((s) => s.close()));
    },
  });

  return extendAgentHandle(handle, {
    place,
    reload,
  });
}
