/**
 * The KPI model: what a placed slice measures while it runs (docs/kpi-model.md).
 *
 * Nominal figures come from the case-study model (boot-up and VNF delays,
 * server and deployment cost, number of shared nodes). Traffic adds two
 * things: a slice's resource use scales with its load factor L, and a shared
 * node (a container or VNF node with two or more tenants) congests once the
 * summed load of its tenants exceeds what it was provisioned for — one
 * nominal load per tenant. Every tenant of a congested node waits in the same
 * queue, so each sees the node's congestion delay. A dedicated node is sized
 * for its one tenant and scales with it, so it never congests.
 */
import {
  RESOURCE_SCALE,
  type ModelNode,
  type ModelSlice,
  type NetworkState,
} from '../../shared/model/index.js';

export interface KpiModelParams {
  /** Queueing delay a shared node adds per unit of load above its provisioned total (ms). */
  readonly congestionMsPerExcessLoad: number;
}

export const DEFAULT_KPI_MODEL_PARAMS: KpiModelParams = Object.freeze({
  congestionMsPerExcessLoad: 60,
});

/** What one slice measures under the current loads. */
export interface SliceKpi {
  readonly sliceId: string;
  /** Nominal latency plus congestion. */
  readonly latencyMs: number;
  /** Latency of the placement without traffic effects (the model's figure). */
  readonly nominalLatencyMs: number;
  /** Queueing delay added by congested shared nodes on the slice's path. */
  readonly congestionMs: number;
  readonly cost: number;
  readonly reliabilityCost: number;
  /** Most slices carried by one node of the slice's path (compare with the sharing limit). */
  readonly sharing: number;
  /** Resource use: the reserved demand scaled by the load. */
  readonly cpu: number;
  readonly mem: number;
  /** Load factor the figures were computed with. */
  readonly load: number;
}

/** Load factor of a slice (1 = nominal). */
export type LoadOf = (sliceId: string) => number;

/** Congestion delay of one node under the current loads (0 for a dedicated node). */
export function nodeCongestionMs(node: ModelNode, loadOf: LoadOf, params: KpiModelParams): number {
  const tenants = node.tenants.length;
  if (tenants < 2) return 0;
  let total = 0;
  for (const tenant of node.tenants) total += loadOf(tenant.id);
  const excess = total - tenants;
  return excess > 0 ? excess * params.congestionMsPerExcessLoad : 0;
}

function pathOf(slice: ModelSlice): ModelNode[] {
  return slice.container === undefined ? [...slice.vnfs] : [slice.container, ...slice.vnfs];
}

/** KPIs of one slice held by `state`; undefined when the slice holds nothing or its figures are unknown. */
export function sliceKpi(
  state: NetworkState,
  sliceId: string,
  loadOf: LoadOf,
  params: KpiModelParams = DEFAULT_KPI_MODEL_PARAMS,
): SliceKpi | undefined {
  const slice = state.getSlice(sliceId);
  const qoe = state.sliceQoe(sliceId);
  if (slice === undefined || qoe === undefined) return undefined;
  let congestionMs = 0;
  let sharing = 0;
  for (const node of pathOf(slice)) {
    congestionMs += nodeCongestionMs(node, loadOf, params);
    if (node.tenants.length > sharing) sharing = node.tenants.length;
  }
  const load = loadOf(sliceId);
  return {
    sliceId,
    latencyMs: qoe.latencyMs + congestionMs,
    nominalLatencyMs: qoe.latencyMs,
    congestionMs,
    cost: qoe.cost,
    reliabilityCost: qoe.reliabilityCost,
    sharing,
    cpu: (slice.cpu / RESOURCE_SCALE) * load,
    mem: (slice.mem / RESOURCE_SCALE) * load,
    load,
  };
}

/** Ids of the slices that share at least one node with `sliceId` (they feel its load), sorted. */
export function neighboursOf(state: NetworkState, sliceId: string): string[] {
  const slice = state.getSlice(sliceId);
  if (slice === undefined) return [];
  const ids = new Set<string>();
  for (const node of pathOf(slice))
    for (const tenant of node.tenants) if (tenant.id !== sliceId) ids.add(tenant.id);
  return [...ids].sort();
}
