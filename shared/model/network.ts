/**
 * The mutable resource state of the case-study network: the CU's local
 * server, the cloud, the containers running on both and the VNF nodes between
 * the CU and the cloud, with the slices using them.
 *
 * It is the single implementation behind the PPO step environment, the
 * baselines, the evaluation harness and the infrastructure agent, so it is
 * written for speed (integer resource units, no maps keyed by node id, lazily
 * built id strings) while staying exact.
 */
import {
  SERVICE_TYPES,
  type ReliabilityClass,
  type ResourceDemand,
  type SliceProfile,
} from '../contracts/common.js';
import { SliceMeshError } from '../contracts/errors.js';
import { NetworkView } from '../contracts/placement.js';
import { normaliseSeed } from '../random.js';
import {
  DEFAULT_MODEL_CONFIG,
  NODE_SEQ_BLOCK,
  RESOURCE_SCALE,
  SERVICE_INDEX,
  maxChainLength,
  type ModelConfig,
} from './config.js';
import { VIOLATION_BIT, violationNames, type SliceQoe } from './types.js';
import { vnfNodeDelayMs, vnfNodeDeployCost } from './vnf-params.js';

export const SITE_LOCAL = 0;
export const SITE_CLOUD = 1;
export type SiteCode = typeof SITE_LOCAL | typeof SITE_CLOUD;

/** A container (local or cloud) or a VNF node. */
export class ModelNode {
  readonly kind: 'container' | 'vnf';
  readonly site: SiteCode;
  /** Service type index (see SERVICE_INDEX). */
  readonly type: number;
  /** Chain position for VNF nodes; -1 for containers. */
  readonly position: number;
  /** Sequence number: a VNF node's own number; a container's is its placement's block start. */
  readonly seq: number;
  readonly delayMs: number;
  readonly deployCost: number;
  /** Resources held by a container, in thousandths of a unit (sum of its tenants' demands). */
  cpu = 0;
  mem = 0;
  readonly tenants: ModelSlice[] = [];
  private explicitId: string | undefined;

  constructor(
    kind: 'container' | 'vnf',
    site: SiteCode,
    type: number,
    position: number,
    seq: number,
    delayMs: number,
    deployCost: number,
    id?: string,
  ) {
    this.kind = kind;
    this.site = site;
    this.type = type;
    this.position = position;
    this.seq = seq;
    this.delayMs = delayMs;
    this.deployCost = deployCost;
    this.explicitId = id;
  }

  /** Stable id; built on first use so the training hot path never formats strings. */
  get id(): string {
    if (this.explicitId === undefined) {
      this.explicitId =
        this.kind === 'container'
          ? `ct-${this.site === SITE_LOCAL ? 'local' : 'cloud'}-${this.seq}`
          : `vnf-${SERVICE_TYPES[this.type]}-${this.position}-${this.seq}`;
    }
    return this.explicitId;
  }

  /** Strictest sharing limit among the current tenants (Infinity when empty). */
  minSharingLimit(): number {
    let min = Infinity;
    for (const t of this.tenants) if (t.sharingLimit < min) min = t.sharingLimit;
    return min;
  }
}

/** A slice holding resources. Slices imported from a bare NetworkView only know their path and reliability. */
export class ModelSlice {
  readonly id: string;
  /** Full profile, or undefined for a slice seen only as a tenant in an imported view. */
  profile: SliceProfile | undefined;
  readonly type: number;
  /** The reliability class and the sharing limit it brings; a re-placement may change them (see commitChoice). */
  reliability: ReliabilityClass;
  sharingLimit: number;
  latencyLimitMs = Infinity;
  costLimit = Infinity;
  /** Demand in thousandths of a unit; NaN when unknown (imported tenant of a shared container). */
  cpu = NaN;
  mem = NaN;
  site: SiteCode = SITE_LOCAL;
  container: ModelNode | undefined;
  readonly vnfs: ModelNode[] = [];
  /** Boot-up delay the slice paid (0 after vertical scaling into a running container); NaN when unknown. */
  bootMs = NaN;
  /** Server cost plus the deployment cost of the VNF nodes it deployed; NaN when unknown. */
  cost = NaN;
  /** Scratch stamp for counting distinct slices without allocating a set. */
  mark = 0;

  constructor(id: string, type: number, reliability: ReliabilityClass, sharingLimit: number) {
    this.id = id;
    this.type = type;
    this.reliability = reliability;
    this.sharingLimit = sharingLimit;
  }

  /** True when the slice's own figures are known (placed through this model, not imported from a view). */
  get known(): boolean {
    return this.profile !== undefined;
  }

  latencyMs(): number {
    let total = this.bootMs;
    for (const node of this.vnfs) total += node.delayMs;
    return total;
  }

  /** Number of nodes on the slice's path that carry at least one other slice. */
  reliabilityCost(): number {
    let shared = this.container !== undefined && this.container.tenants.length >= 2 ? 1 : 0;
    for (const node of this.vnfs) if (node.tenants.length >= 2) shared++;
    return shared;
  }

  /** True when no node on the path carries more slices than this slice tolerates. */
  sharingHolds(): boolean {
    if (this.container !== undefined && this.container.tenants.length > this.sharingLimit)
      return false;
    for (const node of this.vnfs) if (node.tenants.length > this.sharingLimit) return false;
    return true;
  }

  /** Violation bit set (VIOLATION_BIT); only the sharing bit is meaningful for imported slices. */
  violationBits(): number {
    let bits = this.sharingHolds() ? 0 : VIOLATION_BIT.reliability;
    if (this.latencyMs() > this.latencyLimitMs) bits |= VIOLATION_BIT.latency;
    if (this.cost > this.costLimit) bits |= VIOLATION_BIT.cost;
    return bits;
  }
}

/**
 * Where a slice goes: local or cloud; a container to join (vertical scaling)
 * or undefined for a new one; for cloud slices, per chain position, a VNF node
 * to share or undefined for a new one. Reused between steps by the hot path.
 */
export interface Choice {
  site: SiteCode;
  join: ModelNode | undefined;
  vnfs: (ModelNode | undefined)[];
}

/** The slice being placed: its id, classes and demand (in units, as on the wire). */
export interface SliceSpec {
  readonly id: string;
  readonly profile: SliceProfile;
  readonly demand: ResourceDemand;
}

function toMilli(units: number): number {
  return Math.round(units * RESOURCE_SCALE);
}

function fromMilli(milli: number): number {
  return milli / RESOURCE_SCALE;
}

function validateConfig(config: ModelConfig): void {
  if (maxChainLength(config) > NODE_SEQ_BLOCK) {
    throw new SliceMeshError(
      'config',
      `VNF chains longer than ${NODE_SEQ_BLOCK} nodes are not supported`,
    );
  }
  for (const type of SERVICE_TYPES) {
    if (!Number.isInteger(config.chainLength[type]) || config.chainLength[type] < 1) {
      throw new SliceMeshError('config', `chain length of ${type} must be a positive integer`);
    }
  }
}

export class NetworkState {
  readonly config: ModelConfig;
  /** Seed of the VNF node draws (see vnf-params.ts). */
  seed: number;
  /** Grows with every change, for optimistic concurrency on plans. */
  version = 0;
  /**
   * The version after the latest change a plan cannot be carried across:
   * anything but a release. A release only frees room and nodes (a plan that
   * names a node it removed is refused as naming an unknown node), so a plan
   * made on any version from this one on is still sound.
   */
  lastConflictVersion = 0;
  /** Start of the sequence block the next placement reserves. */
  nextNodeSeq = 0;
  cpuCapacity: number;
  memCapacity: number;
  cpuUsed = 0;
  memUsed = 0;
  /** Containers (local and cloud) and VNF nodes in creation order. */
  readonly containers: ModelNode[] = [];
  readonly vnfNodes: ModelNode[] = [];
  readonly slices = new Map<string, ModelSlice>();

  constructor(seed: number, config: ModelConfig = DEFAULT_MODEL_CONFIG) {
    validateConfig(config);
    this.config = config;
    this.seed = normaliseSeed(seed);
    this.cpuCapacity = toMilli(config.localCpu);
    this.memCapacity = toMilli(config.localMem);
  }

  /** Empties the network (for a new episode, optionally with a new seed) without reallocating the state object. */
  clear(seed?: number): void {
    if (seed !== undefined) this.seed = normaliseSeed(seed);
    this.version = 0;
    this.lastConflictVersion = 0;
    this.nextNodeSeq = 0;
    this.cpuUsed = 0;
    this.memUsed = 0;
    this.containers.length = 0;
    this.vnfNodes.length = 0;
    this.slices.clear();
  }

  /** True when the local server has room for `cpu`/`mem` more (thousandths of a unit). */
  localFits(cpu: number, mem: number): boolean {
    return this.cpuUsed + cpu <= this.cpuCapacity && this.memUsed + mem <= this.memCapacity;
  }

  chainLength(type: number): number {
    return this.config.chainLength[SERVICE_TYPES[type] as (typeof SERVICE_TYPES)[number]];
  }

  // The next placement's new-node draws, cached: every action preview of a step asks for them.
  private drawsFor = -1;
  private drawsSeed = -1;
  private readonly nextDelays = [0, 0, 0];
  private readonly nextCosts = [0, 0, 0];

  private refreshDraws(): void {
    if (this.drawsFor === this.nextNodeSeq && this.drawsSeed === this.seed) return;
    for (let p = 0; p < NODE_SEQ_BLOCK; p++) {
      this.nextDelays[p] = vnfNodeDelayMs(this.config, this.seed, this.nextNodeSeq + p);
      this.nextCosts[p] = vnfNodeDeployCost(this.config, this.seed, this.nextNodeSeq + p);
    }
    this.drawsFor = this.nextNodeSeq;
    this.drawsSeed = this.seed;
  }

  /** Delay of the VNF node the next placement would deploy at chain `position`. */
  newNodeDelayMs(position: number): number {
    this.refreshDraws();
    return this.nextDelays[position] as number;
  }

  /** Deployment cost of the VNF node the next placement would deploy at chain `position`. */
  newNodeDeployCost(position: number): number {
    this.refreshDraws();
    return this.nextCosts[position] as number;
  }

  findContainer(id: string): ModelNode | undefined {
    for (const node of this.containers) if (node.id === id) return node;
    return undefined;
  }

  findVnfNode(id: string): ModelNode | undefined {
    for (const node of this.vnfNodes) if (node.id === id) return node;
    return undefined;
  }

  getSlice(id: string): ModelSlice | undefined {
    return this.slices.get(id);
  }

  /** Skips a placement's sequence block, as a rejected request does in an episode. */
  skipPlacement(): void {
    this.nextNodeSeq += NODE_SEQ_BLOCK;
    this.conflictingChange();
  }

  /** Counts a change that makes plans made on earlier versions stale. */
  private conflictingChange(): void {
    this.version++;
    this.lastConflictVersion = this.version;
  }

  /** Whether a plan made on view `viewVersion` may still be applied (see lastConflictVersion). */
  acceptsPlanFrom(viewVersion: number): boolean {
    return viewVersion >= this.lastConflictVersion && viewVersion <= this.version;
  }

  /**
   * Places a new slice as `choice` says. The caller has checked physical
   * feasibility (capacity, join targets of the right type and site); this
   * re-checks capacity and throws rather than corrupt the state.
   */
  place(spec: SliceSpec, choice: Choice): ModelSlice {
    if (this.slices.has(spec.id)) {
      throw new SliceMeshError('duplicate', `slice ${spec.id} already holds resources`);
    }
    const type = SERVICE_INDEX[spec.profile.serviceType];
    const slice = new ModelSlice(
      spec.id,
      type,
      spec.profile.reliability,
      this.config.sharingLimit[spec.profile.reliability],
    );
    slice.profile = spec.profile;
    slice.latencyLimitMs = this.config.latencyLimitMs[spec.profile.latency];
    slice.costLimit = this.config.costLimit[spec.profile.cost];
    slice.cpu = toMilli(spec.demand.cpu);
    slice.mem = toMilli(spec.demand.mem);
    this.attach(slice, choice);
    this.slices.set(slice.id, slice);
    return slice;
  }

  /** Connects a slice (not currently attached) to the nodes `choice` names, creating new ones. */
  private attach(slice: ModelSlice, choice: Choice): void {
    if (choice.site === SITE_LOCAL && !this.localFits(slice.cpu, slice.mem)) {
      throw new SliceMeshError('infeasible', `the local server has no room for slice ${slice.id}`);
    }
    const block = this.nextNodeSeq;
    const config = this.config;
    let container = choice.join;
    if (container === undefined) {
      container = new ModelNode('container', choice.site, slice.type, -1, block, 0, 0);
      this.containers.push(container);
      slice.bootMs = config.bootDelayMs;
    } else {
      slice.bootMs = 0;
    }
    container.tenants.push(slice);
    container.cpu += slice.cpu;
    container.mem += slice.mem;
    if (choice.site === SITE_LOCAL) {
      this.cpuUsed += slice.cpu;
      this.memUsed += slice.mem;
    }
    slice.site = choice.site;
    slice.container = container;
    let cost = choice.site === SITE_LOCAL ? config.localServerCost : config.cloudServerCost;
    slice.vnfs.length = 0;
    if (choice.site === SITE_CLOUD) {
      const k = this.chainLength(slice.type);
      for (let p = 0; p < k; p++) {
        let node = choice.vnfs[p];
        if (node === undefined) {
          const seq = block + p;
          node = new ModelNode(
            'vnf',
            SITE_CLOUD,
            slice.type,
            p,
            seq,
            vnfNodeDelayMs(config, this.seed, seq),
            vnfNodeDeployCost(config, this.seed, seq),
          );
          this.vnfNodes.push(node);
          cost += node.deployCost;
        }
        node.tenants.push(slice);
        slice.vnfs.push(node);
      }
    }
    slice.cost = cost;
    this.nextNodeSeq += NODE_SEQ_BLOCK;
    this.conflictingChange();
  }

  /**
   * Disconnects a slice from its nodes and frees its resources. Nodes left
   * without tenants are removed unless listed in `keep` (a migration that
   * re-joins them).
   */
  private detach(slice: ModelSlice, keep?: ReadonlySet<ModelNode>): void {
    const container = slice.container;
    if (container !== undefined) {
      if (Number.isNaN(slice.cpu)) {
        throw new SliceMeshError(
          'infeasible',
          `the demand of slice ${slice.id} is unknown (imported from a view with a shared container); release it on the infrastructure's state`,
        );
      }
      removeTenant(container, slice);
      container.cpu -= slice.cpu;
      container.mem -= slice.mem;
      if (slice.site === SITE_LOCAL) {
        this.cpuUsed -= slice.cpu;
        this.memUsed -= slice.mem;
      }
      if (container.tenants.length === 0 && !keep?.has(container))
        removeNode(this.containers, container);
    }
    for (const node of slice.vnfs) {
      removeTenant(node, slice);
      if (node.tenants.length === 0 && !keep?.has(node)) removeNode(this.vnfNodes, node);
    }
    slice.container = undefined;
    slice.vnfs.length = 0;
  }

  /** Releases a slice; false when the slice holds nothing (release is idempotent). */
  release(sliceId: string): boolean {
    const slice = this.slices.get(sliceId);
    if (slice === undefined) return false;
    this.detach(slice);
    this.slices.delete(sliceId);
    this.version++;
    return true;
  }

  /**
   * Moves a slice to a new placement atomically (migration, or scaling into
   * another container). The caller has validated `choice` against the state
   * with this slice's resources freed; nodes the choice joins survive the
   * slice's departure even if it was their only tenant.
   */
  migrate(sliceId: string, choice: Choice, demand?: ResourceDemand): ModelSlice {
    const slice = this.slices.get(sliceId);
    if (slice === undefined)
      throw new SliceMeshError('unknown-slice', `slice ${sliceId} holds no resources`);
    if (choice.site === SITE_LOCAL) {
      const cpu = demand === undefined ? slice.cpu : toMilli(demand.cpu);
      const mem = demand === undefined ? slice.mem : toMilli(demand.mem);
      const freedCpu = slice.site === SITE_LOCAL ? slice.cpu : 0;
      const freedMem = slice.site === SITE_LOCAL ? slice.mem : 0;
      if (Number.isNaN(cpu) || !this.localFits(cpu - freedCpu, mem - freedMem)) {
        throw new SliceMeshError(
          'infeasible',
          `the local server has no room to move slice ${sliceId} there`,
        );
      }
    }
    const keep = new Set<ModelNode>();
    if (choice.join !== undefined) keep.add(choice.join);
    for (const node of choice.vnfs) if (node !== undefined) keep.add(node);
    this.detach(slice, keep);
    if (demand !== undefined) {
      slice.cpu = toMilli(demand.cpu);
      slice.mem = toMilli(demand.mem);
    }
    this.attach(slice, choice);
    return slice;
  }

  /**
   * Changes a slice's demand in place (a traffic surge or its end). Cloud
   * slices always fit; a local slice fails with `infeasible` when the local
   * server lacks the extra room, and the caller re-places it instead.
   */
  resize(sliceId: string, demand: ResourceDemand): ModelSlice {
    const slice = this.slices.get(sliceId);
    if (slice === undefined)
      throw new SliceMeshError('unknown-slice', `slice ${sliceId} holds no resources`);
    const container = slice.container;
    if (container === undefined || Number.isNaN(slice.cpu)) {
      throw new SliceMeshError(
        'infeasible',
        `the demand of slice ${sliceId} is unknown to this state`,
      );
    }
    const cpu = toMilli(demand.cpu);
    const mem = toMilli(demand.mem);
    const dCpu = cpu - slice.cpu;
    const dMem = mem - slice.mem;
    if (slice.site === SITE_LOCAL) {
      if (!this.localFits(dCpu, dMem)) {
        throw new SliceMeshError(
          'infeasible',
          `the local server has no room to grow slice ${sliceId}`,
        );
      }
      this.cpuUsed += dCpu;
      this.memUsed += dMem;
    }
    container.cpu += dCpu;
    container.mem += dMem;
    slice.cpu = cpu;
    slice.mem = mem;
    this.conflictingChange();
    return slice;
  }

  /** QoE figures and constraint status of a slice placed through this model; undefined for unknown or imported slices. */
  sliceQoe(sliceId: string): SliceQoe | undefined {
    const slice = this.slices.get(sliceId);
    if (slice === undefined || !slice.known) return undefined;
    const bits = slice.violationBits();
    return {
      latencyMs: slice.latencyMs(),
      cost: slice.cost,
      reliabilityCost: slice.reliabilityCost(),
      served: bits === 0,
      violations: violationNames(bits),
    };
  }

  /** The state as the wire's NetworkView. */
  toView(): NetworkView {
    const tenantsOf = (node: ModelNode) =>
      node.tenants.map((t) => ({ sliceId: t.id, reliability: t.reliability }));
    return {
      version: this.version,
      seed: this.seed,
      nextNodeSeq: this.nextNodeSeq,
      local: {
        cpuCapacity: fromMilli(this.cpuCapacity),
        memCapacity: fromMilli(this.memCapacity),
        cpuUsed: fromMilli(this.cpuUsed),
        memUsed: fromMilli(this.memUsed),
      },
      containers: this.containers.map((node) => ({
        id: node.id,
        site: node.site === SITE_LOCAL ? ('local' as const) : ('cloud' as const),
        serviceType: SERVICE_TYPES[node.type] as (typeof SERVICE_TYPES)[number],
        cpu: fromMilli(node.cpu),
        mem: fromMilli(node.mem),
        tenants: tenantsOf(node),
      })),
      vnfNodes: this.vnfNodes.map((node) => ({
        id: node.id,
        serviceType: SERVICE_TYPES[node.type] as (typeof SERVICE_TYPES)[number],
        position: node.position,
        delayMs: node.delayMs,
        deployCost: node.deployCost,
        tenants: tenantsOf(node),
      })),
    };
  }

  /**
   * Rebuilds a state from a NetworkView, for planning on it. Tenants become
   * slices that know only their path and reliability class; a slice alone in
   * its container also knows its demand (the container's resources).
   * Throws `invalid-message` on an inconsistent view.
   */
  static fromView(input: NetworkView, config: ModelConfig = DEFAULT_MODEL_CONFIG): NetworkState {
    const parsed = NetworkView.safeParse(input);
    if (!parsed.success) {
      throw new SliceMeshError(
        'invalid-message',
        `not a valid NetworkView: ${parsed.error.message}`,
      );
    }
    const view = parsed.data;
    if (view.seed < 0 || view.seed > 0xffffffff) {
      throw new SliceMeshError(
        'invalid-message',
        `view seed ${view.seed} is outside the 32-bit range`,
      );
    }
    const state = new NetworkState(view.seed, config);
    state.version = view.version;
    // What changed before the view is unknown: only plans made on it are fresh.
    state.lastConflictVersion = view.version;
    state.nextNodeSeq = view.nextNodeSeq;
    state.cpuCapacity = toMilli(view.local.cpuCapacity);
    state.memCapacity = toMilli(view.local.memCapacity);
    state.cpuUsed = toMilli(view.local.cpuUsed);
    state.memUsed = toMilli(view.local.memUsed);
    const bad = (message: string): never => {
      throw new SliceMeshError('invalid-message', `inconsistent NetworkView: ${message}`);
    };
    const ids = new Set<string>();
    const sliceFor = (sliceId: string, type: number, reliability: ReliabilityClass): ModelSlice => {
      let slice = state.slices.get(sliceId);
      if (slice === undefined) {
        slice = new ModelSlice(sliceId, type, reliability, config.sharingLimit[reliability]);
        state.slices.set(sliceId, slice);
      } else if (slice.reliability !== reliability || slice.type !== type) {
        bad(`slice ${sliceId} appears with different classes or service types`);
      }
      return slice;
    };
    for (const c of view.containers) {
      if (ids.has(c.id)) bad(`duplicate node id ${c.id}`);
      ids.add(c.id);
      const type = SERVICE_INDEX[c.serviceType];
      const node = new ModelNode(
        'container',
        c.site === 'local' ? SITE_LOCAL : SITE_CLOUD,
        type,
        -1,
        -1,
        0,
        0,
        c.id,
      );
      node.cpu = toMilli(c.cpu);
      node.mem = toMilli(c.mem);
      for (const t of c.tenants) {
        const slice = sliceFor(t.sliceId, type, t.reliability);
        if (slice.container !== undefined) bad(`slice ${t.sliceId} is in two containers`);
        slice.container = node;
        slice.site = node.site;
        node.tenants.push(slice);
      }
      if (node.tenants.length === 1) {
        const only = node.tenants[0] as ModelSlice;
        only.cpu = node.cpu;
        only.mem = node.mem;
      }
      state.containers.push(node);
    }
    for (const v of view.vnfNodes) {
      if (ids.has(v.id)) bad(`duplicate node id ${v.id}`);
      ids.add(v.id);
      const type = SERVICE_INDEX[v.serviceType];
      if (v.position >= state.chainLength(type))
        bad(`node ${v.id} sits beyond the ${v.serviceType} chain`);
      const node = new ModelNode(
        'vnf',
        SITE_CLOUD,
        type,
        v.position,
        -1,
        v.delayMs,
        v.deployCost,
        v.id,
      );
      for (const t of v.tenants) {
        const slice = sliceFor(t.sliceId, type, t.reliability);
        node.tenants.push(slice);
        slice.vnfs.push(node);
      }
      state.vnfNodes.push(node);
    }
    for (const slice of state.slices.values()) {
      if (slice.container === undefined) bad(`slice ${slice.id} uses VNF nodes but no container`);
      slice.vnfs.sort((a, b) => a.position - b.position);
      const expected = slice.site === SITE_CLOUD ? state.chainLength(slice.type) : 0;
      if (slice.vnfs.length !== expected || slice.vnfs.some((n, i) => n.position !== i)) {
        bad(`slice ${slice.id} does not cross exactly one node per position of its chain`);
      }
    }
    return state;
  }

  /** Full state for persistence: the view plus every slice's classes, demand and paid figures. */
  toSnapshot(): NetworkSnapshot {
    // Listed in the order a view import meets them (container tenants), so
    // that a snapshot survives a round trip unchanged.
    const slices: SnapshotSlice[] = [];
    for (const s of this.containers.flatMap((c) => c.tenants)) {
      if (s.profile === undefined) continue;
      slices.push({
        id: s.id,
        profile: s.profile,
        demand: { cpu: fromMilli(s.cpu), mem: fromMilli(s.mem) },
        bootMs: s.bootMs,
        cost: s.cost,
      });
    }
    return { view: this.toView(), slices };
  }

  static fromSnapshot(
    snapshot: NetworkSnapshot,
    config: ModelConfig = DEFAULT_MODEL_CONFIG,
  ): NetworkState {
    const state = NetworkState.fromView(snapshot.view, config);
    for (const s of snapshot.slices) {
      const slice = state.slices.get(s.id);
      if (
        slice === undefined ||
        SERVICE_TYPES[slice.type] !== s.profile.serviceType ||
        slice.reliability !== s.profile.reliability
      ) {
        throw new SliceMeshError(
          'invalid-message',
          `snapshot slice ${s.id} does not match its view`,
        );
      }
      slice.profile = s.profile;
      slice.latencyLimitMs = config.latencyLimitMs[s.profile.latency];
      slice.costLimit = config.costLimit[s.profile.cost];
      slice.cpu = toMilli(s.demand.cpu);
      slice.mem = toMilli(s.demand.mem);
      slice.bootMs = s.bootMs;
      slice.cost = s.cost;
    }
    return state;
  }

  /** Deep copy (used by search-based policies and tests). */
  clone(): NetworkState {
    return NetworkState.fromSnapshot(this.toSnapshot(), this.config);
  }
}

export interface SnapshotSlice {
  id: string;
  profile: SliceProfile;
  demand: ResourceDemand;
  bootMs: number;
  cost: number;
}

export interface NetworkSnapshot {
  view: NetworkView;
  slices: SnapshotSlice[];
}

function removeTenant(node: ModelNode, slice: ModelSlice): void {
  const i = node.tenants.indexOf(slice);
  if (i >= 0) node.tenants.splice(i, 1);
}

function removeNode(list: ModelNode[], node: ModelNode): void {
  const i = list.indexOf(node);
  if (i >= 0) list.splice(i, 1);
}
