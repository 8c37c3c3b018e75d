/**
 * Contract-valid replies of the interpreter, orchestrator and infrastructure,
 * for slice-manager tests that stand in for those agents. Every builder parses
 * its result with the real schema, so a double can never drift from the wire
 * contract unnoticed.
 */
import {
  ApplyReply,
  InferenceReply,
  NetworkView,
  PlacementReply,
  ReleaseReply,
  SliceRequest,
  ViewReply,
} from '../../shared/contracts/index.js';

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

export function viewReply(version = 1): ViewReply {
  return ViewReply.parse({ type: 'infra.view.reply.v1', view: networkView(version) });
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
    type: 'orchestrator.place.reply.v1',
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
    type: 'orchestrator.place.reply.v1',
    sliceId,
    outcome: 'rejected',
    reason,
    method: 'qappo',
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
    type: 'slice.request.v1',
    sliceId,
    text: 'wireless control of robotic arms on the assembly line',
    submittedAt: 1_000,
    ...extra,
  });
}
