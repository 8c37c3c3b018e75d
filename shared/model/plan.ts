/**
 * Conversions between the model's placements and the wire's PlacementPlan,
 * and the infrastructure side: applying a plan to a state (new placement or
 * atomic migration), with the observed QoE and the slices it broke.
 */
import { ResourceDemand, SliceProfile, type QoeFigures } from '../contracts/common.js';
import { SliceMeshError } from '../contracts/errors.js';
import { PlacementPlan, type AppliedPlacement, type VnfChoice } from '../contracts/placement.js';
import {
  ACTION_NAMES,
  ACTION_REJECT,
  Candidates,
  Outcome,
  actionChoice,
  compileRequest,
  computeCandidates,
  isFeasible,
  newChoice,
  previewChoice,
  type CompiledRequest,
} from './actions.js';
import { RESOURCE_SCALE, SERVICE_INDEX } from './config.js';
import {
  SITE_CLOUD,
  SITE_LOCAL,
  type Choice,
  type ModelNode,
  type ModelSlice,
  type NetworkState,
  type SliceSpec,
} from './network.js';
import { violationNames, type ViolationKind } from './types.js';

/** Builds the wire plan for placing `spec` as `choice`, with the exact expected QoE. */
export function choiceToPlan(
  state: NetworkState,
  spec: SliceSpec,
  choice: Choice,
  method: string,
  decision?: PlacementPlan['decision'],
): PlacementPlan {
  const req = compileRequest(state.config, spec);
  const expected = previewChoice(state, req, choice, new Outcome());
  const vnfs: VnfChoice[] = [];
  if (choice.site === SITE_CLOUD) {
    for (let p = 0; p < req.chainLength; p++) {
      const node = choice.vnfs[p];
      vnfs.push(
        node === undefined
          ? { mode: 'new', position: p }
          : { mode: 'share', position: p, nodeId: node.id },
      );
    }
  }
  const plan: PlacementPlan = {
    site: choice.site === SITE_LOCAL ? 'local' : 'cloud',
    scaling:
      choice.site === SITE_CLOUD
        ? 'offload'
        : choice.join === undefined
          ? 'horizontal'
          : 'vertical',
    container:
      choice.join === undefined ? { mode: 'new' } : { mode: 'join', containerId: choice.join.id },
    vnfs,
    expected: {
      latencyMs: expected.latencyMs,
      cost: expected.cost,
      reliabilityCost: expected.reliabilityCost,
    },
    method,
    viewVersion: state.version,
  };
  if (decision !== undefined) plan.decision = decision;
  return plan;
}

/**
 * The wire plan for an action index of the step environment, or null for
 * reject. Throws `infeasible` when the action is masked out on this state.
 */
export function actionToPlan(
  state: NetworkState,
  spec: SliceSpec,
  action: number,
  method: string,
  probabilities?: Record<string, number>,
): PlacementPlan | null {
  if (!Number.isInteger(action) || action < 0 || action >= ACTION_NAMES.length) {
    throw new SliceMeshError('invalid-message', `action ${action} is outside the action space`);
  }
  if (action === ACTION_REJECT) return null;
  const req = compileRequest(state.config, spec);
  const candidates = computeCandidates(state, req, new Candidates());
  if (!isFeasible(action, candidates)) {
    throw new SliceMeshError(
      'infeasible',
      `action ${ACTION_NAMES[action]} is not feasible for slice ${spec.id}`,
    );
  }
  const choice = actionChoice(action, candidates, newChoice());
  const decision: NonNullable<PlacementPlan['decision']> = {
    action: ACTION_NAMES[action] as string,
  };
  if (probabilities !== undefined) decision.probabilities = probabilities;
  return choiceToPlan(state, spec, choice, method, decision);
}

export type PlanRefusalReason = 'stale-view' | 'capacity' | 'unknown-node';

export type PlanResolution =
  { ok: true; choice: Choice } | { ok: false; reason: PlanRefusalReason; message: string };

/**
 * Resolves a plan's node ids on `state` into a Choice. Structural errors (a
 * chain that does not match the slice's service type) throw
 * `invalid-message`; ids that name nothing usable are a refusal.
 */
export function resolvePlan(
  state: NetworkState,
  spec: SliceSpec,
  plan: Pick<PlacementPlan, 'site' | 'container' | 'vnfs'>,
): PlanResolution {
  const type = SERVICE_INDEX[spec.profile.serviceType];
  const site = plan.site === 'local' ? SITE_LOCAL : SITE_CLOUD;
  const k = state.config.chainLength[spec.profile.serviceType];
  const expectedVnfs = site === SITE_CLOUD ? k : 0;
  if (plan.vnfs.length !== expectedVnfs || plan.vnfs.some((v, i) => v.position !== i)) {
    throw new SliceMeshError(
      'invalid-message',
      `a ${plan.site} plan for a ${spec.profile.serviceType} slice must list ${expectedVnfs} VNF choice(s) for positions 0..${expectedVnfs - 1} in order`,
    );
  }
  let join: ModelNode | undefined;
  if (plan.container.mode === 'join') {
    join = state.findContainer(plan.container.containerId);
    if (join === undefined || join.site !== site || join.type !== type) {
      return {
        ok: false,
        reason: 'unknown-node',
        message: `no running ${plan.site} ${spec.profile.serviceType} container ${plan.container.containerId}`,
      };
    }
  }
  const vnfs: (ModelNode | undefined)[] = [];
  for (const v of plan.vnfs) {
    if (v.mode === 'new') {
      vnfs.push(undefined);
      continue;
    }
    const node = state.findVnfNode(v.nodeId);
    if (node === undefined || node.type !== type || node.position !== v.position) {
      return {
        ok: false,
        reason: 'unknown-node',
        message: `no ${spec.profile.serviceType} VNF node ${v.nodeId} at position ${v.position}`,
      };
    }
    vnfs.push(node);
  }
  return { ok: true, choice: { site, join, vnfs } };
}

export type ApplyResult =
  | {
      outcome: 'applied';
      /** Where the slice now runs (the caller adds its clock's `appliedAt`). */
      placement: Omit<AppliedPlacement, 'appliedAt'>;
      observed: QoeFigures;
      served: boolean;
      violations: ViolationKind[];
      /** Other slices whose sharing limit this placement newly broke. */
      affectedSliceIds: string[];
      /** True when the slice already held resources and was moved. */
      migrated: boolean;
      viewVersion: number;
    }
  | { outcome: 'refused'; reason: PlanRefusalReason; message: string; viewVersion: number };

function sharingHoldsSet(state: NetworkState): Set<string> {
  const holds = new Set<string>();
  for (const slice of state.slices.values()) if (slice.sharingHolds()) holds.add(slice.id);
  return holds;
}

/**
 * Applies a plan: refuses a plan made on another version of the state, or
 * one that does not fit; places a new slice, or moves a slice that already
 * holds resources (migration / scaling, with an optional new demand)
 * atomically. Reports the observed QoE and the slices the change broke.
 */
export function applyPlan(
  state: NetworkState,
  request: { sliceId: string; profile: SliceProfile; demand: ResourceDemand },
  plan: PlacementPlan,
): ApplyResult {
  const profile = SliceProfile.safeParse(request.profile);
  const demand = ResourceDemand.safeParse(request.demand);
  const parsedPlan = PlacementPlan.safeParse(plan);
  if (!profile.success || !demand.success || !parsedPlan.success) {
    throw new SliceMeshError('invalid-message', 'applyPlan needs a valid profile, demand and plan');
  }
  const refuse = (reason: PlanRefusalReason, message: string): ApplyResult => ({
    outcome: 'refused',
    reason,
    message,
    viewVersion: state.version,
  });
  // Releases since the plan's view do not make it stale (see NetworkState.lastConflictVersion).
  if (!state.acceptsPlanFrom(plan.viewVersion)) {
    return refuse(
      'stale-view',
      `plan made on view ${plan.viewVersion}, the network is at ${state.version}`,
    );
  }
  const spec: SliceSpec = { id: request.sliceId, profile: profile.data, demand: demand.data };
  const existing = state.getSlice(spec.id);
  if (existing !== undefined && existing.type !== SERVICE_INDEX[spec.profile.serviceType]) {
    throw new SliceMeshError(
      'invalid-message',
      `slice ${spec.id} cannot change its service type in a migration`,
    );
  }
  const resolved = resolvePlan(state, spec, plan);
  if (!resolved.ok) return refuse(resolved.reason, resolved.message);
  const { choice } = resolved;
  if (choice.site === SITE_LOCAL) {
    const req: CompiledRequest = compileRequest(state.config, spec);
    const freedCpu = existing?.site === SITE_LOCAL ? existing.cpu : 0;
    const freedMem = existing?.site === SITE_LOCAL ? existing.mem : 0;
    if (!state.localFits(req.cpu - freedCpu, req.mem - freedMem)) {
      return refuse(
        'capacity',
        `the local server has no room for ${spec.demand.cpu} CPU / ${spec.demand.mem} memory`,
      );
    }
  }
  const before = sharingHoldsSet(state);
  const slice = commitChoice(state, spec, choice);
  const affectedSliceIds: string[] = [];
  for (const id of before) {
    if (id === slice.id) continue;
    if (!(state.getSlice(id)?.sharingHolds() ?? true)) affectedSliceIds.push(id);
  }
  const bits = slice.violationBits();
  return {
    outcome: 'applied',
    placement: {
      site: slice.site === SITE_LOCAL ? 'local' : 'cloud',
      containerId: (slice.container as ModelNode).id,
      vnfNodeIds: slice.vnfs.map((n) => n.id),
    },
    observed: {
      latencyMs: slice.latencyMs(),
      cost: slice.cost,
      reliabilityCost: slice.reliabilityCost(),
    },
    served: bits === 0,
    violations: violationNames(bits),
    affectedSliceIds,
    migrated: existing !== undefined,
    viewVersion: state.version,
  };
}

/**
 * Places `spec` as `choice`, or moves it there when it already holds
 * resources (with its new demand and classes). The one mutation behind an
 * applied plan, so the infrastructure and a replica replaying its change
 * feed change their states alike.
 */
export function commitChoice(state: NetworkState, spec: SliceSpec, choice: Choice): ModelSlice {
  if (state.getSlice(spec.id) === undefined) return state.place(spec, choice);
  const slice = state.migrate(spec.id, choice, spec.demand);
  // A migration may carry a re-inferred profile (the requester changed its SLA):
  // every class, or views and snapshots would show the old reliability.
  slice.profile = spec.profile;
  slice.reliability = spec.profile.reliability;
  slice.sharingLimit = state.config.sharingLimit[spec.profile.reliability];
  slice.latencyLimitMs = state.config.latencyLimitMs[spec.profile.latency];
  slice.costLimit = state.config.costLimit[spec.profile.cost];
  return slice;
}

export type ResizeResult =
  | { outcome: 'resized'; viewVersion: number }
  | { outcome: 'refused'; reason: 'capacity'; message: string; viewVersion: number };

/** Changes a slice's demand in place (traffic surge); refuses when the local server lacks room. */
export function resizeSlice(
  state: NetworkState,
  sliceId: string,
  demand: ResourceDemand,
): ResizeResult {
  const parsed = ResourceDemand.safeParse(demand);
  if (!parsed.success)
    throw new SliceMeshError('invalid-message', `invalid demand: ${parsed.error.message}`);
  const slice = state.getSlice(sliceId);
  if (slice === undefined)
    throw new SliceMeshError('unknown-slice', `slice ${sliceId} holds no resources`);
  if (slice.site === SITE_LOCAL) {
    const cpu = Math.round(parsed.data.cpu * RESOURCE_SCALE);
    const mem = Math.round(parsed.data.mem * RESOURCE_SCALE);
    if (Number.isNaN(slice.cpu) || !state.localFits(cpu - slice.cpu, mem - slice.mem)) {
      return {
        outcome: 'refused',
        reason: 'capacity',
        message: `the local server has no room to grow slice ${sliceId}`,
        viewVersion: state.version,
      };
    }
  }
  state.resize(sliceId, parsed.data);
  return { outcome: 'resized', viewVersion: state.version };
}
