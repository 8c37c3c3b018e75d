/**
 * The fixed discrete action space of the step environment, its physical
 * feasibility mask, and the exact preview of what an action would do.
 *
 *   0      reject
 *   1      local-new          horizontal scaling: a new container on the local server
 *   2      local-join         vertical scaling: join a running local container of the slice's type
 *   3..10  cloud-new/vnf:xyz  offload to a new cloud container
 *   11..18 cloud-join/vnf:xyz offload into a running cloud container of the slice's type
 *
 * For cloud actions, xyz gives per chain position 'n' (deploy a new VNF node)
 * or 's' (share a running node of that type and position). Patterns that
 * touch positions beyond the slice's chain are masked out.
 *
 * When several containers or nodes could be joined, the action uses the one
 * with the most sharing headroom for this slice (the strictest sharing limit
 * among it and the tenants, minus the tenants after joining); ties go to the
 * fewest tenants, then the lowest delay, then the oldest.
 */
import { SERVICE_TYPES } from '../contracts/common.js';
import {
  COST_INDEX,
  PRIORITY_INDEX,
  RESOURCE_SCALE,
  SERVICE_INDEX,
  type ModelConfig,
} from './config.js';
import {
  SITE_CLOUD,
  SITE_LOCAL,
  type Choice,
  type ModelNode,
  type NetworkState,
  type SliceSpec,
} from './network.js';
import { VIOLATION_BIT } from './types.js';

export const ACTION_REJECT = 0;
export const ACTION_LOCAL_NEW = 1;
export const ACTION_LOCAL_JOIN = 2;
export const ACTION_CLOUD_NEW_BASE = 3;
export const ACTION_CLOUD_JOIN_BASE = 11;
/** Number of VNF share/new patterns (3 chain positions → 2^3). */
export const VNF_PATTERNS = 8;
export const ACTION_COUNT = 19;

function patternName(pattern: number): string {
  let s = '';
  for (let p = 0; p < 3; p++) s += (pattern >> p) & 1 ? 's' : 'n';
  return s;
}

/** Readable name of every action index. */
export const ACTION_NAMES: readonly string[] = Object.freeze([
  'reject',
  'local-new',
  'local-join',
  ...Array.from({ length: VNF_PATTERNS }, (_, b) => `cloud-new/vnf:${patternName(b)}`),
  ...Array.from({ length: VNF_PATTERNS }, (_, b) => `cloud-join/vnf:${patternName(b)}`),
]);

/** Index of an action name; -1 when unknown. */
export function actionIndex(name: string): number {
  return ACTION_NAMES.indexOf(name);
}

/** A request reduced to the numbers the hot path needs; build once per request. */
export interface CompiledRequest {
  readonly spec: SliceSpec;
  readonly type: number;
  readonly chainLength: number;
  readonly cpu: number;
  readonly mem: number;
  readonly latencyLimitMs: number;
  readonly sharingLimit: number;
  readonly costLimit: number;
  readonly latencyClass: number;
  readonly reliabilityClass: number;
  readonly costClass: number;
}

export function compileRequest(config: ModelConfig, spec: SliceSpec): CompiledRequest {
  const { profile, demand } = spec;
  return {
    spec,
    type: SERVICE_INDEX[profile.serviceType],
    chainLength: config.chainLength[profile.serviceType],
    cpu: Math.round(demand.cpu * RESOURCE_SCALE),
    mem: Math.round(demand.mem * RESOURCE_SCALE),
    latencyLimitMs: config.latencyLimitMs[profile.latency],
    sharingLimit: config.sharingLimit[profile.reliability],
    costLimit: config.costLimit[profile.cost],
    latencyClass: PRIORITY_INDEX[profile.latency],
    reliabilityClass: PRIORITY_INDEX[profile.reliability],
    costClass: COST_INDEX[profile.cost],
  };
}

/** The join candidates the action space offers for one request on one state. */
export class Candidates {
  fitsLocal = false;
  localJoin: ModelNode | undefined;
  cloudJoin: ModelNode | undefined;
  readonly vnf: (ModelNode | undefined)[] = [undefined, undefined, undefined];
  chainLength = 0;
}

function headroom(node: ModelNode, sharingLimit: number): number {
  return Math.min(sharingLimit, node.minSharingLimit()) - (node.tenants.length + 1);
}

/** True when `a` is a better join target than `b` for a slice with `sharingLimit`. */
function better(a: ModelNode, b: ModelNode, sharingLimit: number): boolean {
  const ha = headroom(a, sharingLimit);
  const hb = headroom(b, sharingLimit);
  if (ha !== hb) return ha > hb;
  if (a.tenants.length !== b.tenants.length) return a.tenants.length < b.tenants.length;
  return a.delayMs < b.delayMs;
}

export function computeCandidates(
  state: NetworkState,
  req: CompiledRequest,
  out: Candidates,
): Candidates {
  out.fitsLocal = state.localFits(req.cpu, req.mem);
  out.localJoin = undefined;
  out.cloudJoin = undefined;
  out.vnf[0] = out.vnf[1] = out.vnf[2] = undefined;
  out.chainLength = req.chainLength;
  const limit = req.sharingLimit;
  for (const node of state.containers) {
    if (node.type !== req.type || node.tenants.length === 0) continue;
    if (node.site === SITE_LOCAL) {
      if (out.localJoin === undefined || better(node, out.localJoin, limit)) out.localJoin = node;
    } else if (out.cloudJoin === undefined || better(node, out.cloudJoin, limit)) {
      out.cloudJoin = node;
    }
  }
  for (const node of state.vnfNodes) {
    if (node.type !== req.type || node.tenants.length === 0 || node.position >= req.chainLength)
      continue;
    const current = out.vnf[node.position];
    if (current === undefined || better(node, current, limit)) out.vnf[node.position] = node;
  }
  return out;
}

function patternFeasible(pattern: number, c: Candidates): boolean {
  if (pattern >> c.chainLength !== 0) return false;
  for (let p = 0; p < c.chainLength; p++)
    if ((pattern >> p) & 1 && c.vnf[p] === undefined) return false;
  return true;
}

/** Physical feasibility of one action: capacity and the existence of what it joins. */
export function isFeasible(action: number, c: Candidates): boolean {
  if (action === ACTION_REJECT) return true;
  if (action === ACTION_LOCAL_NEW) return c.fitsLocal;
  if (action === ACTION_LOCAL_JOIN) return c.fitsLocal && c.localJoin !== undefined;
  if (action >= ACTION_CLOUD_NEW_BASE && action < ACTION_CLOUD_JOIN_BASE) {
    return patternFeasible(action - ACTION_CLOUD_NEW_BASE, c);
  }
  if (action >= ACTION_CLOUD_JOIN_BASE && action < ACTION_COUNT) {
    return c.cloudJoin !== undefined && patternFeasible(action - ACTION_CLOUD_JOIN_BASE, c);
  }
  return false;
}

/** Fills `out` (length ≥ ACTION_COUNT) with 1 for feasible actions, 0 otherwise. */
export function fillActionMask(c: Candidates, out: Uint8Array): Uint8Array {
  for (let a = 0; a < ACTION_COUNT; a++) out[a] = isFeasible(a, c) ? 1 : 0;
  return out;
}

/** What one decision on a state looks at: the request compiled, its join candidates, the feasibility mask. */
export interface DecisionInputs {
  readonly compiled: CompiledRequest;
  readonly candidates: Candidates;
  readonly mask: Uint8Array;
}

/** The decision inputs for `spec` on `state` (allocates; for one-off decisions, not the episode hot path). */
export function decisionInputs(state: NetworkState, spec: SliceSpec): DecisionInputs {
  const compiled = compileRequest(state.config, spec);
  const candidates = computeCandidates(state, compiled, new Candidates());
  return { compiled, candidates, mask: fillActionMask(candidates, new Uint8Array(ACTION_COUNT)) };
}

/** Physical feasibility mask of every action for `spec` on `state` (allocates; for one-off decisions). */
export function actionMaskFor(state: NetworkState, spec: SliceSpec): Uint8Array {
  return decisionInputs(state, spec).mask;
}

/** Turns a feasible placing action into a Choice (reusing `out`); the action must not be reject. */
export function actionChoice(action: number, c: Candidates, out: Choice): Choice {
  out.vnfs.length = 0;
  if (action === ACTION_LOCAL_NEW || action === ACTION_LOCAL_JOIN) {
    out.site = SITE_LOCAL;
    out.join = action === ACTION_LOCAL_JOIN ? c.localJoin : undefined;
    return out;
  }
  const join = action >= ACTION_CLOUD_JOIN_BASE;
  const pattern = action - (join ? ACTION_CLOUD_JOIN_BASE : ACTION_CLOUD_NEW_BASE);
  out.site = SITE_CLOUD;
  out.join = join ? c.cloudJoin : undefined;
  for (let p = 0; p < c.chainLength; p++) out.vnfs.push((pattern >> p) & 1 ? c.vnf[p] : undefined);
  return out;
}

/** What placing a slice would do, before doing it. Reused between calls by the hot path. */
export class Outcome {
  placed = false;
  latencyMs = 0;
  cost = 0;
  reliabilityCost = 0;
  /** VIOLATION_BIT set of the slice's own constraints. */
  violations = 0;
  /** Other slices whose sharing limit this placement newly breaks. */
  affected = 0;
  /** Other slices whose reliability cost grows by one (their node gets its first co-tenant). */
  othersNewlyShared = 0;

  get served(): boolean {
    return this.placed && this.violations === 0;
  }

  reset(): void {
    this.placed = false;
    this.latencyMs = 0;
    this.cost = 0;
    this.reliabilityCost = 0;
    this.violations = 0;
    this.affected = 0;
    this.othersNewlyShared = 0;
  }
}

let markStamp = 0;

function countJoin(
  node: ModelNode,
  req: CompiledRequest,
  out: Outcome,
  stamp: number,
  affectedIds?: string[],
): void {
  const n = node.tenants.length;
  out.reliabilityCost++;
  if (n + 1 > req.sharingLimit) out.violations |= VIOLATION_BIT.reliability;
  if (n === 1) out.othersNewlyShared++;
  for (const t of node.tenants) {
    if (t.sharingLimit === n && t.mark !== stamp && t.sharingHolds()) {
      t.mark = stamp;
      out.affected++;
      affectedIds?.push(t.id);
    }
  }
}

/**
 * Exact outcome of placing `req` as `choice` on `state`, without changing
 * the state. With `affectedIds`, also lists the slices the placement breaks.
 */
export function previewChoice(
  state: NetworkState,
  req: CompiledRequest,
  choice: Choice,
  out: Outcome,
  affectedIds?: string[],
): Outcome {
  out.reset();
  out.placed = true;
  const config = state.config;
  const stamp = ++markStamp;
  let latency = 0;
  let cost = choice.site === SITE_LOCAL ? config.localServerCost : config.cloudServerCost;
  if (choice.join === undefined) latency += config.bootDelayMs;
  else countJoin(choice.join, req, out, stamp, affectedIds);
  if (choice.site === SITE_CLOUD) {
    for (let p = 0; p < req.chainLength; p++) {
      const node = choice.vnfs[p];
      if (node === undefined) {
        latency += state.newNodeDelayMs(p);
        cost += state.newNodeDeployCost(p);
      } else {
        latency += node.delayMs;
        countJoin(node, req, out, stamp, affectedIds);
      }
    }
  }
  out.latencyMs = latency;
  out.cost = cost;
  if (latency > req.latencyLimitMs) out.violations |= VIOLATION_BIT.latency;
  if (cost > req.costLimit) out.violations |= VIOLATION_BIT.cost;
  return out;
}

/** Outcome of an action index (reject yields an unplaced outcome). The action must be feasible. */
export function previewAction(
  state: NetworkState,
  req: CompiledRequest,
  c: Candidates,
  action: number,
  scratch: Choice,
  out: Outcome,
): Outcome {
  if (action === ACTION_REJECT) {
    out.reset();
    return out;
  }
  return previewChoice(state, req, actionChoice(action, c, scratch), out);
}

/** A fresh scratch Choice. */
export function newChoice(): Choice {
  return { site: SITE_LOCAL, join: undefined, vnfs: [] };
}

/** Service type name of a type index. */
export function serviceTypeName(type: number): (typeof SERVICE_TYPES)[number] {
  return SERVICE_TYPES[type] as (typeof SERVICE_TYPES)[number];
}
