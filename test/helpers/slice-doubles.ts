/**
 * Contract-valid replies of the interpreter, orchestrator and infrastructure,
 * for slice-manager tests that stand in for those agents. Every builder parses
 * its result with the real schema, so a double can never drift from the wire
 * contract unnoticed.
 */
import type { Bus, Subscription } from '../../shared/bus/index.js';
import {
  ApplyReply,
  ApplyRequest,
  InferenceReply,
  InferenceRequest,
  NetworkView,
  PlacementReply,
  PlacementRequest,
  ReleaseReply,
  ReleaseRequest,
  SliceRequest,
} from '../../shared/contracts/index.js';
import type { ViewStep } from '../../agents/slice-manager/lifecycle/types.js';

export function networkView(version = 1): NetworkView {
  return NetworkView.parse({
    version,
    seed: 7,
    nextNodeSeq: 0,
    local: { cpuCapacity: 40, memCapacity: 30, cpuUsed: 0, memUsed: 0 },
    containers: [],
    vnfNodes: [],
  });
}

/** What the slice-manager's local view step answers: the version to plan on. */
export function viewReply(version = 1): ViewStep {
  return { view: { version } };
}

export function inferenceReply(
  sliceId: string,
  overrides: Partial<Pick<InferenceReply, 'preference' | 'profile'>> = {},
): InferenceReply {
  return InferenceReply.parse({
    type: 'interpreter.infer.reply.v1',
    sliceId,
    preference: overrides.preference ?? {
      latency: 0.4,
      reliability: 0.3,
      economics: 0.2,
      throughput: 0.1,
    },
    profile: overrides.profile ?? {
      serviceType: 'URLLC',
      latency: 'high',
      reliability: 'high',
      cost: 'general',
    },
    confidence: 0.8,
    rationale: 'nearest neighbours are robotic control loops',
    neighbours: [],
    reasoner: 'offline-test',
    degraded: false,
  });
}

export function plannedReply(sliceId: string, viewVersion = 1): PlacementReply {
  return PlacementReply.parse({
    type: 'orchestrator.place.reply.v2',
    sliceId,
    outcome: 'planned',
    plan: {
      site: 'local',
      scaling: 'horizontal',
      container: { mode: 'new' },
      vnfs: [{ mode: 'new', position: 0 }],
      expected: { latencyMs: 42, cost: 20, reliabilityCost: 0 },
      method: 'qappo',
      viewVersion,
    },
  });
}

export function rejectedPlacement(
  sliceId: string,
  reason = 'no placement meets the latency class',
): PlacementReply {
  return PlacementReply.parse({
    type: 'orchestrator.place.reply.v2',
    sliceId,
    outcome: 'rejected',
    reason,
    method: 'qappo',
    viewVersion: 1,
  });
}

export function appliedReply(
  sliceId: string,
  options: {
    containerId?: string;
    served?: boolean;
    viewVersion?: number;
    appliedAt?: number;
  } = {},
): ApplyReply {
  const served = options.served ?? true;
  return ApplyReply.parse({
    type: 'infra.apply.reply.v1',
    sliceId,
    outcome: 'applied',
    placement: {
      site: 'local',
      containerId: options.containerId ?? 'c-1',
      vnfNodeIds: ['vnf-1'],
      appliedAt: options.appliedAt ?? 0,
    },
    observed: { latencyMs: 41, cost: 21, reliabilityCost: 0 },
    served,
    violations: served ? [] : ['latency'],
    affectedSliceIds: [],
    viewVersion: options.viewVersion ?? 2,
  });
}

export function refusedReply(
  sliceId: string,
  reason: 'stale-view' | 'capacity' | 'unknown-node' = 'stale-view',
  viewVersion = 2,
): ApplyReply {
  return ApplyReply.parse({
    type: 'infra.apply.reply.v1',
    sliceId,
    outcome: 'refused',
    reason,
    message: `plan refused: ${reason}`,
    viewVersion,
  });
}

export function releaseReply(sliceId: string, released = true): ReleaseReply {
  return ReleaseReply.parse({ type: 'infra.release.reply.v1', sliceId, released, viewVersion: 3 });
}

export function sliceRequest(
  sliceId: string,
  extra: Partial<Omit<SliceRequest, 'type' | 'sliceId'>> = {},
): SliceRequest {
  return SliceRequest.parse({
    type: 'slice.request.v2',
    tenant: 'default',
    sliceId,
    text: 'wireless control of robotic arms on the assembly line',
    submittedAt: 1_000,
    ...extra,
  });
}

type Answer<Req, Rep> = (request: Req) => Rep | Promise<Rep>;

export interface DoubleHandlers {
  infer?: Answer<InferenceRequest, InferenceReply>;
  place?: Answer<PlacementRequest, PlacementReply>;
  apply?: Answer<ApplyRequest, ApplyReply>;
  release?: Answer<ReleaseRequest, ReleaseReply>;
}

export interface AgentDoubles {
  /** Requests received per service and slice id. */
  readonly calls: Record<'infer' | 'place' | 'apply' | 'release', Map<string, number>>;
  /** Total requests received by one service. */
  total(service: keyof AgentDoubles['calls']): number;
  stop(): Promise<void>;
}

/**
 * Interpreter, orchestrator and infrastructure stand-ins served over real NATS
 * with the real contracts (queue groups named after the roles). Each answers
 * with the builders above unless a handler is given.
 */
export function serveAgentDoubles(bus: Bus, handlers: DoubleHandlers = {}): AgentDoubles {
  const { subjects } = bus;
  const calls: AgentDoubles['calls'] = {
    infer: new Map(),
    place: new Map(),
    apply: new Map(),
    release: new Map(),
  };
  const count = (service: keyof AgentDoubles['calls'], key: string) =>
    calls[service].set(key, (calls[service].get(key) ?? 0) + 1);
  const subscriptions: Subscription[] = [
    bus.serve(
      subjects.interpreterInfer(),
      InferenceRequest,
      InferenceReply,
      (request) => {
        count('infer', request.sliceId);
        return handlers.infer?.(request) ?? inferenceReply(request.sliceId);
      },
      { queue: 'interpreter' },
    ),
    bus.serve(
      subjects.orchestratorPlace(),
      PlacementRequest,
      PlacementReply,
      (request) => {
        count('place', request.sliceId);
        return handlers.place?.(request) ?? plannedReply(request.sliceId, request.minViewVersion);
      },
      { queue: 'orchestrator' },
    ),
    bus.serve(
      subjects.infraApply(),
      ApplyRequest,
      ApplyReply,
      (request) => {
        count('apply', request.sliceId);
        return handlers.apply?.(request) ?? appliedReply(request.sliceId);
      },
      { queue: 'infrastructure' },
    ),
    bus.serve(
      subjects.infraRelease(),
      ReleaseRequest,
      ReleaseReply,
      (request) => {
        count('release', request.sliceId);
        return handlers.release?.(request) ?? releaseReply(request.sliceId);
      },
      { queue: 'infrastructure' },
    ),
  ];
  return {
    calls,
    total: (service) => [...calls[service].values()].reduce((a, b) => a + b, 0),
    stop: async () => {
      await Promise.allSettled(subscriptions.map((sub) => sub.stop()));
    },
  };
}
