/**
 * The exact oracle: an integer linear program over the whole request
 * sequence, solved with HiGHS. It knows every request in advance and every
 * VNF node draw (they depend only on the seed and the placement's index), so
 * it maximises the number of served slices exactly, then minimises the
 * weighted cost of what it places. The ceiling every policy is measured
 * against. The formulation is written out in docs/case-study-model.md.
 */
import highsModule, { type Highs } from 'highs';
import { SliceMeshError } from '../../contracts/errors.js';
import { normaliseSeed } from '../../random.js';
import { compileRequest, type CompiledRequest } from '../actions.js';
import {
  DEFAULT_MODEL_CONFIG,
  NODE_SEQ_BLOCK,
  OUTCOME_SCALES,
  RESOURCE_SCALE,
  maxChainLength,
  type ModelConfig,
} from '../config.js';
import { SITE_CLOUD, SITE_LOCAL, type Choice, type ModelNode } from '../network.js';
import { choiceToPlan } from '../plan.js';
import type { Instance } from '../types.js';
import { tieBreakWeight } from '../outcome.js';
import { vnfNodeDelayMs, vnfNodeDeployCost } from '../vnf-params.js';
import type { DecisionContext, Policy, PolicyDecision } from './types.js';

type HighsLoader = () => Promise<Highs>;
// The package's typings describe a CommonJS module; under ESM its default export is the loader itself.
const highsLoader: HighsLoader =
  typeof (highsModule as unknown) === 'function'
    ? (highsModule as unknown as HighsLoader)
    : (highsModule as unknown as { default: HighsLoader }).default;
let highsPromise: Promise<Highs> | undefined;

function loadHighs(): Promise<Highs> {
  highsPromise ??= highsLoader().catch((error: unknown) => {
    highsPromise = undefined;
    throw new SliceMeshError(
      'missing-dependency',
      'the HiGHS solver (npm package "highs") failed to load',
      {
        cause: error,
      },
    );
  });
  return highsPromise;
}

/** The oracle's decision for one request: reject, or where it goes, naming earlier requests' nodes. */
export type OracleDecision =
  | { kind: 'reject' }
  | {
      kind: 'place';
      site: 'local' | 'cloud';
      /** Index of the earlier request whose container this one joins, or -1 for a new container. */
      joinOf: number;
      /** Per chain position: index of the earlier request whose node is shared, or -1 for a new node. */
      shareOf: number[];
      /** Whether the ILP counts this slice as served. */
      served: boolean;
    };

export interface OracleSolution {
  served: number;
  decisions: OracleDecision[];
  /** Weighted cost of the placed slices (the tie-break term). */
  tieBreak: number;
  solveMs: number;
}

interface Node {
  name: string;
  /** The request that creates the node and its variable. */
  creator: [number, string];
  /** Requests that may join or share it, with their variables. */
  joiners: [number, string][];
}

export interface OracleProgramOptions {
  /**
   * Leave out joins and shares a slice never needs (see the model document:
   * they are dominated for both the served count and the tie-break). On by
   * default; off gives the full program, for tests.
   */
  prune?: boolean;
}

/**
 * True when, under `config`, leaving a slice's unneeded join or share out
 * never makes the tie-break worse: the boot delay a join saves, or the
 * deployment cost and delay a share saves, weigh less than one unit of
 * reliability cost. Pruning is applied only then.
 */
function pruningIsExact(config: ModelConfig): boolean {
  const unit = 1 / OUTCOME_SCALES.reliabilityCost;
  const joinGain = config.bootDelayMs / OUTCOME_SCALES.latencyMs;
  const shareGain =
    config.vnfDeployCost.max / OUTCOME_SCALES.cost +
    (config.vnfDelayMs.max - config.vnfDelayMs.min) / OUTCOME_SCALES.latencyMs;
  return joinGain < unit && shareGain < unit;
}

/** Builds the CPLEX-LP text of the oracle's program for `instance`. */
export function buildOracleProgram(
  instance: Instance,
  config: ModelConfig = DEFAULT_MODEL_CONFIG,
  options: OracleProgramOptions = {},
): string {
  return buildProgram(instance, config, options).text;
}

/**
 * The program is written family by family, in a fixed order that makes the
 * text (and the row numbers) depend only on the instance: per slice, its
 * placement variables, join rows, one-placement row, chain rows, viability
 * row and QoE limits; then local capacity; then per shared node its sharing
 * limits and reliability-cost rows; the objective last.
 */
function buildProgram(
  instance: Instance,
  config: ModelConfig,
  options: OracleProgramOptions,
): { text: string; eps: number } {
  const ctx = programContext(instance, config, options);
  const lp = new LpWriter();
  const nodes: Nodes = { local: [], cloud: [], vnf: new Map() };
  const slices = ctx.reqs.map((_, i) => sliceRows(ctx, lp, nodes, i));
  localCapacityRows(ctx, lp, slices);
  const shared = [...nodes.local, ...nodes.cloud, ...nodes.vnf.values()].filter(
    (node) => node.joiners.length > 0,
  );
  for (const node of shared) {
    creatorSharingRows(ctx, lp, node);
    joinerSharingRows(ctx, lp, node);
    reliabilityCostRows(lp, node);
  }
  return { text: lp.text(objectiveTerms(ctx, slices, shared)), eps: ctx.eps };
}

type Term = [number, string];

/** `coef * v` for each of `vars`. */
const sum = (vars: readonly string[], coef = 1): Term[] => vars.map((v) => [coef, v]);

/** LP format wants each variable once per expression: repeated ones are merged, zeros dropped. */
function render(terms: readonly Term[]): string {
  const merged = new Map<string, number>();
  for (const [c, v] of terms) merged.set(v, (merged.get(v) ?? 0) + c);
  return [...merged]
    .filter(([, c]) => c !== 0)
    .map(([v, c]) => `${c >= 0 ? '+' : '-'} ${Math.abs(c)} ${v}`)
    .join(' ');
}

/** The program as it is written: binaries, bounds and numbered rows, in the order they come. */
class LpWriter {
  readonly #binaries: string[] = [];
  readonly #bounds: string[] = [];
  readonly #rows: string[] = [];
  #rowId = 0;

  /** Declares a binary variable; returns its name. */
  bin(name: string): string {
    this.#binaries.push(name);
    return name;
  }

  /** Declares a continuous variable in [0, 1]; returns its name. */
  unitInterval(name: string): string {
    this.#bounds.push(` 0 <= ${name} <= 1`);
    return name;
  }

  /** Adds a row; a row without terms is left out and takes no number. */
  row(terms: readonly Term[], sense: '<=' | '=' | '>=', rhs: number): void {
    if (terms.length > 0) this.#rows.push(` r${this.#rowId++}: ${render(terms)} ${sense} ${rhs}`);
  }

  /** `a` only where `b`: a - b <= 0. */
  implies(a: string, b: string): void {
    this.row([...sum([a]), ...sum([b], -1)], '<=', 0);
  }

  /** Not both `a` and `b`: a + b <= 1. */
  notBoth(a: string, b: string): void {
    this.row(sum([a, b]), '<=', 1);
  }

  /** The CPLEX-LP text, maximising `objective`. */
  text(objective: readonly Term[]): string {
    return [
      'Maximize',
      ` obj: ${render(objective)}`,
      'Subject To',
      ...this.#rows,
      'Bounds',
      ...this.#bounds,
      'Binary',
      ` ${this.#binaries.join(' ')}`,
      'End',
      '',
    ].join('\n');
  }
}

/** What every family reads: the compiled requests, the node draws, pruning and the tie-break weight. */
interface ProgramContext {
  readonly config: ModelConfig;
  readonly reqs: readonly CompiledRequest[];
  readonly prune: boolean;
  /** Delay of the VNF node request `i` deploys at chain position `p`. */
  delay(i: number, p: number): number;
  /** Deployment cost of that node. */
  deploy(i: number, p: number): number;
  /** Weight of the tie-break: one served slice outweighs any total tie-break. */
  readonly eps: number;
}

function programContext(
  instance: Instance,
  config: ModelConfig,
  options: OracleProgramOptions,
): ProgramContext {
  const reqs = instance.requests.map((r) => compileRequest(config, r));
  const prune = (options.prune ?? true) && pruningIsExact(config);
  // The same reduction the network state applies to the instance seed.
  const netSeed = normaliseSeed(instance.seed);
  const longest = maxChainLength(config);
  // eps * (n * worst slice) < 1.
  const worstSlice = tieBreakWeight(
    config.bootDelayMs + longest * config.vnfDelayMs.max,
    Math.max(config.localServerCost, config.cloudServerCost + longest * config.vnfDeployCost.max),
    longest + 1,
  );
  return {
    config,
    reqs,
    prune,
    delay: (i, p) => vnfNodeDelayMs(config, netSeed, i * NODE_SEQ_BLOCK + p),
    deploy: (i, p) => vnfNodeDeployCost(config, netSeed, i * NODE_SEQ_BLOCK + p),
    eps: 1 / (worstSlice * reqs.length + 1),
  };
}

/** The containers (local, cloud) and VNF nodes a slice may create, by creator. */
interface Nodes {
  readonly local: Node[];
  readonly cloud: Node[];
  /** Keyed `<creator>_<position>`. */
  readonly vnf: Map<string, Node>;
}

/** One slice's variables and QoE expressions, as the families after it need them. */
interface SliceTerms {
  readonly served: string;
  /** What places it on the local server: its new container, then its joins. */
  readonly localUse: readonly string[];
  /** The same in the cloud. */
  readonly cloudUse: readonly string[];
  /** Its latency (ms) and cost as linear expressions of its variables. */
  readonly latency: readonly Term[];
  readonly cost: readonly Term[];
}

/** Which joins and shares a slice gets (all of them unless pruned), and what its own chain costs. */
interface SliceNeeds {
  readonly localJoins: boolean;
  readonly cloudJoins: boolean;
  readonly shares: boolean;
  /** Its own new chain in the cloud breaks its cost limit. */
  readonly costBinds: boolean;
  /** Delay and cost of a chain of new nodes only. */
  readonly ownChainDelay: number;
  readonly ownChainCost: number;
}

/** The rows of slice `i`, in order; returns its terms for the capacity, objective and node families. */
function sliceRows(ctx: ProgramContext, lp: LpWriter, nodes: Nodes, i: number): SliceTerms {
  const { bootDelayMs: boot, localServerCost, cloudServerCost } = ctx.config;
  const served = lp.bin(`s_${i}`);
  const xl = lp.bin(`xl_${i}`);
  const xc = lp.bin(`xc_${i}`);
  nodes.local[i] = { name: `L${i}`, creator: [i, xl], joiners: [] };
  nodes.cloud[i] = { name: `C${i}`, creator: [i, xc], joiners: [] };
  const needs = sliceNeeds(ctx, i);
  const { localUse, cloudUse } = joinRows(ctx, lp, nodes, i, needs);
  // At most one placement: a new container or one join, on the local server or in the cloud.
  lp.row(sum([...localUse, ...cloudUse]), '<=', 1);
  const chain = chainRows(ctx, lp, nodes, i, needs, cloudUse);
  const slice: SliceTerms = {
    served,
    localUse,
    cloudUse,
    latency: [[boot, xl], [boot, xc], ...chain.latency],
    cost: [...sum(localUse, localServerCost), ...sum(cloudUse, cloudServerCost), ...chain.cost],
  };
  const worst = viabilityRow(ctx, lp, i, slice, needs, chain);
  qoeLimitRows(lp, ctx.reqs[i] as CompiledRequest, slice, worst);
  return slice;
}

/**
 * Pruning (see the model document): a join or share that the slice does not
 * need to meet its own limits only adds reliability cost, so no optimum uses
 * it. A slice that tolerates no sharing is never served after joining, and
 * as an unserved enabler a new container serves others better: it gets no
 * joins at all.
 */
function sliceNeeds(ctx: ProgramContext, i: number): SliceNeeds {
  const { config, prune } = ctx;
  const r = ctx.reqs[i] as CompiledRequest;
  const boot = config.bootDelayMs;
  // What a slice gets from new resources only: a new container, and in the
  // cloud its own new VNF nodes.
  let ownChainDelay = 0;
  let ownChainCost = 0;
  for (let p = 0; p < r.chainLength; p++) {
    ownChainDelay += ctx.delay(i, p);
    ownChainCost += ctx.deploy(i, p);
  }
  const mayShare = !prune || r.sharingLimit > 1;
  const localJoins =
    mayShare && (!prune || (boot > r.latencyLimitMs && config.localServerCost <= r.costLimit));
  const cloudJoins = mayShare && (!prune || boot + ownChainDelay > r.latencyLimitMs);
  const costBinds = config.cloudServerCost + ownChainCost > r.costLimit;
  const shares =
    mayShare && (!prune || (cloudJoins && ownChainDelay > r.latencyLimitMs) || costBinds);
  return { localJoins, cloudJoins, shares, costBinds, ownChainDelay, ownChainCost };
}

/** A join needs its container: jl_i_j <= xl_j and jc_i_j <= xc_j, for each earlier slice of the type. */
function joinRows(
  ctx: ProgramContext,
  lp: LpWriter,
  nodes: Nodes,
  i: number,
  needs: SliceNeeds,
): { localUse: string[]; cloudUse: string[] } {
  const r = ctx.reqs[i] as CompiledRequest;
  const localUse = [`xl_${i}`];
  const cloudUse = [`xc_${i}`];
  for (let j = 0; j < i; j++) {
    if ((ctx.reqs[j] as CompiledRequest).type !== r.type) continue;
    if (needs.localJoins) {
      const jl = lp.bin(`jl_${i}_${j}`);
      localUse.push(jl);
      lp.implies(jl, `xl_${j}`);
      (nodes.local[j] as Node).joiners.push([i, jl]);
    }
    if (needs.cloudJoins) {
      const jc = lp.bin(`jc_${i}_${j}`);
      cloudUse.push(jc);
      lp.implies(jc, `xc_${j}`);
      (nodes.cloud[j] as Node).joiners.push([i, jc]);
    }
  }
  return { localUse, cloudUse };
}

/** The chain terms of a slice, and the fastest and slowest chain it can get. */
interface ChainTerms {
  readonly latency: readonly Term[];
  readonly cost: readonly Term[];
  readonly fastest: number;
  readonly slowest: number;
}

/**
 * In the cloud, one node per chain position: its own new node nv_i_p or an
 * earlier slice's node, shared (sv_i_j_p <= nv_j_p).
 */
function chainRows(
  ctx: ProgramContext,
  lp: LpWriter,
  nodes: Nodes,
  i: number,
  needs: SliceNeeds,
  cloudUse: readonly string[],
): ChainTerms {
  const r = ctx.reqs[i] as CompiledRequest;
  const latency: Term[] = [];
  const cost: Term[] = [];
  let fastestChain = 0;
  let slowestChain = 0;
  for (let p = 0; p < r.chainLength; p++) {
    const nv = lp.bin(`nv_${i}_${p}`);
    nodes.vnf.set(`${i}_${p}`, { name: `V${i}_${p}`, creator: [i, nv], joiners: [] });
    latency.push([ctx.delay(i, p), nv]);
    cost.push([ctx.deploy(i, p), nv]);
    const chain = [nv];
    let fastest = ctx.delay(i, p);
    let slowest = ctx.delay(i, p);
    for (let j = 0; j < i && needs.shares; j++) {
      const rj = ctx.reqs[j] as CompiledRequest;
      if (rj.type !== r.type || p >= rj.chainLength) continue;
      // Sharing a node no faster than a new one only adds reliability
      // cost, unless the deployment cost it saves is needed.
      if (ctx.prune && !needs.costBinds && ctx.delay(j, p) >= ctx.delay(i, p)) continue;
      const sv = lp.bin(`sv_${i}_${j}_${p}`);
      chain.push(sv);
      latency.push([ctx.delay(j, p), sv]);
      fastest = Math.min(fastest, ctx.delay(j, p));
      slowest = Math.max(slowest, ctx.delay(j, p));
      lp.implies(sv, `nv_${j}_${p}`);
      (nodes.vnf.get(`${j}_${p}`) as Node).joiners.push([i, sv]);
    }
    fastestChain += fastest;
    slowestChain += slowest;
    // Exactly one node per chain position when the slice runs in the cloud.
    lp.row([...sum(chain), ...sum(cloudUse, -1)], '=', 0);
  }
  return { latency, cost, fastest: fastestChain, slowest: slowestChain };
}

/**
 * Served only if placed in a way that can serve it at all (never a new cloud
 * container for a 30 ms slice, never the local server for a cost-sensitive
 * one). Implied by the limits, but stating it directly tightens the
 * relaxation a lot. Returns the worst latency and cost a viable placement
 * can still have.
 */
function viabilityRow(
  ctx: ProgramContext,
  lp: LpWriter,
  i: number,
  slice: SliceTerms,
  needs: SliceNeeds,
  chain: ChainTerms,
): { latencyMs: number; cost: number } {
  const { bootDelayMs: boot, localServerCost: localCost, cloudServerCost: cloudCost } = ctx.config;
  const r = ctx.reqs[i] as CompiledRequest;
  const viable: string[] = [];
  let worstLatency = 0;
  let worstCost = 0;
  const admit = (vars: readonly string[], latencyMs: number, costUnits: number) => {
    if (vars.length === 0) return;
    viable.push(...vars);
    worstLatency = Math.max(worstLatency, latencyMs);
    worstCost = Math.max(worstCost, costUnits);
  };
  if (localCost <= r.costLimit) {
    if (boot <= r.latencyLimitMs) admit([`xl_${i}`], boot, localCost);
    admit(slice.localUse.slice(1), 0, localCost);
  }
  const cheapestChain = needs.shares ? 0 : needs.ownChainCost;
  if (cloudCost + cheapestChain <= r.costLimit) {
    if (boot + chain.fastest <= r.latencyLimitMs)
      admit([`xc_${i}`], boot + chain.slowest, cloudCost + needs.ownChainCost);
    if (chain.fastest <= r.latencyLimitMs)
      admit(slice.cloudUse.slice(1), chain.slowest, cloudCost + needs.ownChainCost);
  }
  lp.row([[1, slice.served], ...sum(viable, -1)], '<=', 0);
  return { latencyMs: worstLatency, cost: worstCost };
}

/** The latency and cost limits of a served slice, where a viable placement can still break them. */
function qoeLimitRows(
  lp: LpWriter,
  r: CompiledRequest,
  slice: SliceTerms,
  worst: { latencyMs: number; cost: number },
): void {
  if (worst.latencyMs > r.latencyLimitMs) {
    const big = worst.latencyMs - r.latencyLimitMs;
    lp.row([...slice.latency, [big, slice.served]], '<=', r.latencyLimitMs + big);
  }
  if (worst.cost > r.costLimit) {
    const big = worst.cost - r.costLimit;
    lp.row([...slice.cost, [big, slice.served]], '<=', r.costLimit + big);
  }
}

/** The local server's CPU and memory. */
function localCapacityRows(ctx: ProgramContext, lp: LpWriter, slices: readonly SliceTerms[]): void {
  const use = (amount: (r: CompiledRequest) => number) =>
    ctx.reqs.flatMap((r, i) => sum((slices[i] as SliceTerms).localUse, amount(r) / RESOURCE_SCALE));
  const cpu = use((r) => r.cpu);
  const mem = use((r) => r.mem);
  lp.row(cpu, '<=', ctx.config.localCpu);
  lp.row(mem, '<=', ctx.config.localMem);
}

/**
 * The sharing limit of a node's creator, when it is served. A join implies
 * the creator is there, so a node's tenants are 1 + its joins.
 */
function creatorSharingRows(ctx: ProgramContext, lp: LpWriter, node: Node): void {
  const m = node.joiners.length;
  const [creator] = node.creator;
  const creatorLimit = (ctx.reqs[creator] as CompiledRequest).sharingLimit;
  if (creatorLimit === 1) {
    // A served creator that tolerates no sharing admits no join (pairwise: a tighter relaxation).
    for (const [, v] of node.joiners) lp.notBoth(v, `s_${creator}`);
  } else if (creatorLimit < 1 + m) {
    // A served creator admits at most limit - 1 joins.
    const allowed = creatorLimit - 1;
    lp.row([...sum(node.joiners.map(([, v]) => v)), [m - allowed, `s_${creator}`]], '<=', m);
  }
}

/** The sharing limit of each slice that joins a node, when it is served. */
function joinerSharingRows(ctx: ProgramContext, lp: LpWriter, node: Node): void {
  for (const [i, use] of node.joiners) {
    const limit = (ctx.reqs[i] as CompiledRequest).sharingLimit;
    if (limit === 1) {
      // Joining always shares: a joiner that tolerates no sharing is not served.
      lp.notBoth(use, `s_${i}`);
      continue;
    }
    const others = node.joiners.filter(([k]) => k !== i).map(([, v]) => v);
    const allowed = limit - 2;
    if (others.length <= allowed) continue;
    if (limit === 2) {
      // Served after joining next to the creator: no other join (pairwise).
      for (const v of others) lp.row(sum([v, use, `s_${i}`]), '<=', 2);
      continue;
    }
    const big = others.length - allowed;
    // others <= allowed + big * (2 - use - served_i)
    lp.row([...sum(others), [big, use], [big, `s_${i}`]], '<=', allowed + 2 * big);
  }
}

/** The variable that is 1 as soon as a node has a join. */
const sharedFlag = (node: Node): string => `z_${node.name}`;

/**
 * Reliability cost: a node with joins makes all its 1 + joins tenants pay one
 * unit each, i.e. joins + z with z = 1 as soon as one join happens.
 */
function reliabilityCostRows(lp: LpWriter, node: Node): void {
  const z = lp.unitInterval(sharedFlag(node));
  for (const [, v] of node.joiners) lp.row([...sum([z]), ...sum([v], -1)], '>=', 0);
}

/**
 * Served slices, minus eps times the tie-break: each slice's weighted
 * latency and cost, and each shared node's reliability cost.
 */
function objectiveTerms(
  ctx: ProgramContext,
  slices: readonly SliceTerms[],
  shared: readonly Node[],
): Term[] {
  const { eps } = ctx;
  const terms: Term[] = [];
  for (const slice of slices) {
    terms.push([1, slice.served]);
    for (const [c, v] of slice.latency) terms.push([(-eps * c) / OUTCOME_SCALES.latencyMs, v]);
    for (const [c, v] of slice.cost) terms.push([(-eps * c) / OUTCOME_SCALES.cost, v]);
  }
  for (const node of shared) {
    for (const [, v] of node.joiners) terms.push([-eps / OUTCOME_SCALES.reliabilityCost, v]);
    terms.push([-eps / OUTCOME_SCALES.reliabilityCost, sharedFlag(node)]);
  }
  return terms;
}

/** Solves the oracle's program for `instance`. */
export async function solveOracle(
  instance: Instance,
  config: ModelConfig = DEFAULT_MODEL_CONFIG,
  options: OracleProgramOptions = {},
): Promise<OracleSolution> {
  const highs = await loadHighs();
  const { text: program, eps } = buildProgram(instance, config, options);
  const started = performance.now();
  const result = highs.solve(program, { output_flag: false, mip_rel_gap: 1e-6 });
  const solveMs = performance.now() - started;
  if (result.Status !== 'Optimal') {
    throw new SliceMeshError('internal', `the oracle's program ended with status ${result.Status}`);
  }
  const columns = result.Columns as Record<string, { Primal: number }>;
  const on = (name: string) => (columns[name]?.Primal ?? 0) > 0.5;
  const reqs = instance.requests.map((r) => compileRequest(config, r));
  const decisions: OracleDecision[] = [];
  let served = 0;
  let tieBreak = 0;
  reqs.forEach((r, i) => {
    let site: 'local' | 'cloud' | undefined;
    let joinOf = -1;
    if (on(`xl_${i}`)) site = 'local';
    else if (on(`xc_${i}`)) site = 'cloud';
    for (let j = 0; j < i && site === undefined; j++) {
      if (on(`jl_${i}_${j}`)) [site, joinOf] = ['local', j];
      else if (on(`jc_${i}_${j}`)) [site, joinOf] = ['cloud', j];
    }
    if (site === undefined) {
      decisions.push({ kind: 'reject' });
      return;
    }
    const shareOf: number[] = [];
    if (site === 'cloud') {
      for (let p = 0; p < r.chainLength; p++) {
        let of = -1;
        for (let j = 0; j < i; j++) if (on(`sv_${i}_${j}_${p}`)) of = j;
        shareOf.push(of);
      }
    }
    const isServed = on(`s_${i}`);
    if (isServed) served++;
    decisions.push({ kind: 'place', site, joinOf, shareOf, served: isServed });
  });
  tieBreak = (served - result.ObjectiveValue) / eps;
  return { served, decisions, tieBreak, solveMs };
}

/** The oracle as a Policy: plans at the start of each episode, then replays its plan. */
export function createOracle(config: ModelConfig = DEFAULT_MODEL_CONFIG): Policy {
  let instance: Instance | undefined;
  let solution: OracleSolution | undefined;
  return {
    name: 'oracle',
    async startEpisode(next: Instance) {
      instance = next;
      solution = await solveOracle(next, config);
    },
    decide(ctx: DecisionContext): PolicyDecision {
      const index = ctx.stepIndex;
      if (instance === undefined || solution === undefined || index === undefined) {
        throw new SliceMeshError(
          'config',
          'the oracle needs the whole request sequence in advance; it runs only in episodes (evaluation)',
        );
      }
      const request = instance.requests[index];
      const decision = solution.decisions[index];
      if (request === undefined || decision === undefined || request.id !== ctx.request.id) {
        throw new SliceMeshError(
          'internal',
          `the oracle was asked about a request outside its episode`,
        );
      }
      if (decision.kind === 'reject') return null;
      const sliceOf = (j: number) => {
        const id = (instance as Instance).requests[j]?.id ?? '';
        const slice = ctx.state.getSlice(id);
        if (slice === undefined)
          throw new SliceMeshError('internal', `the oracle's plan refers to unplaced slice ${id}`);
        return slice;
      };
      const choice: Choice = {
        site: decision.site === 'local' ? SITE_LOCAL : SITE_CLOUD,
        join: decision.joinOf >= 0 ? sliceOf(decision.joinOf).container : undefined,
        vnfs: decision.shareOf.map((j, p): ModelNode | undefined =>
          j >= 0 ? sliceOf(j).vnfs[p] : undefined,
        ),
      };
      return choiceToPlan(ctx.state, ctx.request, choice, 'oracle');
    },
  };
}
