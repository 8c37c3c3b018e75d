/** Slices, plans and agent dependencies for the infrastructure and telemetry tests, built with the project's own APIs. */
import type { Bus } from '../../shared/bus/index.js';
import type {
  ApplyRequest,
  PlacementPlan,
  ResourceDemand,
  SliceProfile,
} from '../../shared/contracts/index.js';
import {
  SITE_CLOUD,
  SITE_LOCAL,
  applyPlan,
  choiceToPlan,
  type ModelNode,
  type NetworkState,
} from '../../shared/model/index.js';
import { newInstanceId, type AgentDeps } from '../../shared/runtime/agent.js';
import { systemClock } from '../../shared/runtime/clock.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { silentLogger } from '../../shared/runtime/logger.js';

export const HIGH_URLLC: SliceProfile = {
  serviceType: 'URLLC',
  latency: 'high',
  reliability: 'best-effort',
  cost: 'general',
};

export const MEDIUM_URLLC: SliceProfile = {
  serviceType: 'URLLC',
  latency: 'medium',
  reliability: 'best-effort',
  cost: 'general',
};

export const DEMAND: ResourceDemand = { cpu: 3, mem: 2 };

export type Where =
  | { site: 'local'; join?: string }
  | { site: 'cloud'; join?: string; share?: (string | undefined)[] };

/** The exact wire plan for placing a slice as `where` says, on the current version of `state`. */
export function planFor(
  state: NetworkState,
  sliceId: string,
  profile: SliceProfile,
  where: Where,
  demand: ResourceDemand = DEMAND,
): PlacementPlan {
  const join = where.join === undefined ? undefined : state.findContainer(where.join);
  if (where.join !== undefined && join === undefined) throw new Error(`no container ${where.join}`);
  const vnfs: (ModelNode | undefined)[] = [];
  if (where.site === 'cloud') {
    for (const id of where.share ?? [])
      vnfs.push(id === undefined ? undefined : state.findVnfNode(id));
  }
  return choiceToPlan(
    state,
    { id: sliceId, profile, demand },
    { site: where.site === 'local' ? SITE_LOCAL : SITE_CLOUD, join, vnfs },
    'test',
  );
}

export function applyRequest(
  state: NetworkState,
  sliceId: string,
  profile: SliceProfile,
  where: Where,
  demand: ResourceDemand = DEMAND,
): ApplyRequest {
  return {
    type: 'infra.apply.request.v1',
    sliceId,
    profile,
    demand,
    plan: planFor(state, sliceId, profile, where, demand),
  };
}

/** Places a high-latency URLLC slice as `where` says, failing the test if the model refuses. */
export function placeHighUrllc(state: NetworkState, sliceId: string, where: Where) {
  const request = applyRequest(state, sliceId, HIGH_URLLC, where);
  const result = applyPlan(state, request, request.plan);
  if (result.outcome !== 'applied') throw new Error(result.message);
  return result;
}

/** Dependencies of an agent of `role` on `bus`, with the default configuration. */
export function agentDeps(bus: Bus, role: string, seed = 1): AgentDeps {
  return {
    role,
    instanceId: newInstanceId(role),
    bus,
    tracer: bus.tracer,
    clock: systemClock,
    logger: silentLogger,
    seed,
    config: loadConfig({}),
  };
}
