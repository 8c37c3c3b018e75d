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

function buildProgram(
  instance: Instance,
  config: ModelConfig,
  options: OracleProgramOptions,
): { text: string; eps: number } {
  const reqs = instance.requests.map((r) => compileRequest(config, r));
  const n = reqs.length;
  const prune = (options.prune ?? true) && pruningIsExact(config);
  // The same reduction the network state applies to the instance seed.
  const netSeed = normaliseSeed(instance.seed);
  const delay = (i: number, p: number) => vnfNodeDelayMs(config, netSeed, i * NODE_SEQ_BLOCK + p);
  const deploy = (i: number, p: number) =>
    vnfNodeDeployCost(config, netSeed, i * NODE_SEQ_BLOCK + p);
  const boot = config.bootDelayMs;
  const longest = maxChainLength(config);

  type Term = [number, string];
  const binaries: string[] = [];
  const bounds: string[] = [];
  const rows: string[] = [];
  const objective: Term[] = [];
  const bin = (name: string) => {
    binaries.push(name);
    return name;
  };
  const render = (terms: readonly Term[]): string => {
    // LP format wants each variable once per expression: merge repeated ones.
    const merged = new Map<string, number>();
    for (const [c, v] of terms) merged.set(v, (merged.get(v) ?? 0) + c);
    return [...merged]
      .filter(([, c]) => c !== 0)
      .map(([v, c]) => `${c >= 0 ? '+' : '-'} ${Math.abs(c)} ${v}`)
      .join(' ');
  };
  let rowId = 0;
  const row = (terms: Term[], sense: '<=' | '=' | '>=', rhs: number) => {
    if (terms.length > 0) rows.push(` r${rowId++}: ${render(terms)} ${sense} ${rhs}`);
  };
  const sum = (vars: readonly string[], coef = 1): Term[] => vars.map((v) => [coef, v]);

  // One served slice outweighs any total tie-break: eps * (n * worst slice) < 1.
  const worstSlice = tieBreakWeight(
    boot + longest * config.vnfDelayMs.max,
    Math.max(config.localServerCost, config.cloudServerCost + longest * config.vnfDeployCost.max),
    longest + 1,
  );
  const eps = 1 / (worstSlice * n + 1);
  const localNodes: Node[] = [];
  const cloudNodes: Node[] = [];
  const vnfNodes = new Map<string, Node>();
  const localUse: string[][] = [];

  for (let i = 0; i < n; i++) {
    const r = reqs[i] as CompiledRequest;
    const k = r.chainLength;
    const served = bin(`s_${i}`);
    objective.push([1, served]);
    const xl = bin(`xl_${i}`);
    const xc = bin(`xc_${i}`);
    localNodes[i] = { name: `L${i}`, creator: [i, xl], joiners: [] };
    cloudNodes[i] = { name: `C${i}`, creator: [i, xc], joiners: [] };
    // What a slice gets from new resources only: a new container, and in the
    // cloud its own new VNF nodes.
    let ownChainDelay = 0;
    let ownChainCost = 0;
    for (let p = 0; p < k; p++) {
      ownChainDelay += delay(i, p);
      ownChainCost += deploy(i, p);
    }
    const localCost = config.localServerCost;
    const cloudCost = config.cloudServerCost;
    // Pruning (see the model document): a join or share that the slice does
    // not need to meet its own limits only adds reliability cost, so no
    // optimum uses it. A slice that tolerates no sharing is never served
    // after joining, and as an unserved enabler a new container serves
    // others better: it gets no joins at all.
    const mayShare = !prune || r.sharingLimit > 1;
    const localNeedsJoin =
      mayShare && (!prune || (boot > r.latencyLimitMs && localCost <= r.costLimit));
    const cloudNeedsJoin = mayShare && (!prune || boot + ownChainDelay > r.latencyLimitMs);
    const costBinds = cloudCost + ownChainCost > r.costLimit;
    const needsShares =
      mayShare && (!prune || (cloudNeedsJoin && ownChainDelay > r.latencyLimitMs) || costBinds);
    const lu = [xl];
    const cu = [xc];
    for (let j = 0; j < i; j++) {
      if ((reqs[j] as CompiledRequest).type !== r.type) continue;
      if (localNeedsJoin) {
        const jl = bin(`jl_${i}_${j}`);
        lu.push(jl);
        row(
          [
            [1, jl],
            [-1, `xl_${j}`],
          ],
          '<=',
          0,
        );
        (localNodes[j] as Node).joiners.push([i, jl]);
      }
      if (cloudNeedsJoin) {
        const jc = bin(`jc_${i}_${j}`);
        cu.push(jc);
        row(
          [
            [1, jc],
            [-1, `xc_${j}`],
          ],
          '<=',
          0,
        );
        (cloudNodes[j] as Node).joiners.push([i, jc]);
      }
    }
    localUse[i] = lu;
    row(sum([...lu, ...cu]), '<=', 1);

    const latency: Term[] = [
      [boot, xl],
      [boot, xc],
    ];
    const cost: Term[] = [...sum(lu, localCost), ...sum(cu, cloudCost)];
    let fastestChain = 0;
    let slowestChain = 0;
    for (let p = 0; p < k; p++) {
      const nv = bin(`nv_${i}_${p}`);
      vnfNodes.set(`${i}_${p}`, { name: `V${i}_${p}`, creator: [i, nv], joiners: [] });
      latency.push([delay(i, p), nv]);
      cost.push([deploy(i, p), nv]);
      const chain = [nv];
      let fastest = delay(i, p);
      let slowest = delay(i, p);
      for (let j = 0; j < i && needsShares; j++) {
        const rj = reqs[j] as CompiledRequest;
        if (rj.type !== r.type || p >= rj.chainLength) continue;
        // Sharing a node no faster than a new one only adds reliability
        // cost, unless the deployment cost it saves is needed.
        if (prune && !costBinds && delay(j, p) >= delay(i, p)) continue;
        const sv = bin(`sv_${i}_${j}_${p}`);
        chain.push(sv);
        latency.push([delay(j, p), sv]);
        fastest = Math.min(fastest, delay(j, p));
        slowest = Math.max(slowest, delay(j, p));
        row(
          [
            [1, sv],
            [-1, `nv_${j}_${p}`],
          ],
          '<=',
          0,
        );
        (vnfNodes.get(`${j}_${p}`) as Node).joiners.push([i, sv]);
      }
      fastestChain += fastest;
      slowestChain += slowest;
      // Exactly one node per chain position when the slice runs in the cloud.
      row([...sum(chain), ...sum(cu, -1)], '=', 0);
    }

    // Served only if placed in a way that can serve it at all (never a new
    // cloud container for a 30 ms slice, never the local server for a
    // cost-sensitive one). Implied by the limits below, but stating it
    // directly tightens the relaxation a lot.
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
      if (boot <= r.latencyLimitMs) admit([xl], boot, localCost);
      admit(lu.slice(1), 0, localCost);
    }
    const cheapestChain = needsShares ? 0 : ownChainCost;
    if (cloudCost + cheapestChain <= r.costLimit) {
      if (boot + fastestChain <= r.latencyLimitMs)
        admit([xc], boot + slowestChain, cloudCost + ownChainCost);
      if (fastestChain <= r.latencyLimitMs)
        admit(cu.slice(1), slowestChain, cloudCost + ownChainCost);
    }
    row([[1, served], ...sum(viable, -1)], '<=', 0);
    // The limits themselves, where a viable placement can still break them.
    if (worstLatency > r.latencyLimitMs) {
      const big = worstLatency - r.latencyLimitMs;
      row([...latency, [big, served]], '<=', r.latencyLimitMs + big);
    }
    if (worstCost > r.costLimit) {
      const big = worstCost - r.costLimit;
      row([...cost, [big, served]], '<=', r.costLimit + big);
    }
    for (const [c, v] of latency) objective.push([(-eps * c) / OUTCOME_SCALES.latencyMs, v]);
    for (const [c, v] of cost) objective.push([(-eps * c) / OUTCOME_SCALES.cost, v]);
  }

  // Local capacity.
  row(
    reqs.flatMap((r, i) => sum(localUse[i] as string[], r.cpu / RESOURCE_SCALE)),
    '<=',
    config.localCpu,
  );
  row(
    reqs.flatMap((r, i) => sum(localUse[i] as string[], r.mem / RESOURCE_SCALE)),
    '<=',
    config.localMem,
  );

  // Sharing limits and the reliability-cost term, per node. A join implies
  // the creator is there, so a node's tenants are 1 + its joins.
  for (const node of [...localNodes, ...cloudNodes, ...vnfNodes.values()]) {
    const m = node.joiners.length;
    if (m === 0) continue;
    const [creator] = node.creator;
    const creatorLimit = (reqs[creator] as CompiledRequest).sharingLimit;
    if (creatorLimit === 1) {
      // A served creator that tolerates no sharing admits no join (pairwise: a tighter relaxation).
      for (const [, v] of node.joiners)
        row(
          [
            [1, v],
            [1, `s_${creator}`],
          ],
          '<=',
          1,
        );
    } else if (creatorLimit < 1 + m) {
      // A served creator admits at most limit - 1 joins.
      const allowed = creatorLimit - 1;
      row([...sum(node.joiners.map(([, v]) => v)), [m - allowed, `s_${creator}`]], '<=', m);
    }
    for (const [i, use] of node.joiners) {
      const limit = (reqs[i] as CompiledRequest).sharingLimit;
      if (limit === 1) {
        // Joining always shares: a joiner that tolerates no sharing is not served.
        row(
          [
            [1, use],
            [1, `s_${i}`],
          ],
          '<=',
          1,
        );
        continue;
      }
      const others = node.joiners.filter(([k]) => k !== i).map(([, v]) => v);
      const allowed = limit - 2;
      if (others.length <= allowed) continue;
      if (limit === 2) {
        // Served after joining next to the creator: no other join (pairwise).
        for (const v of others)
          row(
            [
              [1, v],
              [1, use],
              [1, `s_${i}`],
            ],
            '<=',
            2,
          );
        continue;
      }
      const big = others.length - allowed;
      // others <= allowed + big * (2 - use - served_i)
      row([...sum(others), [big, use], [big, `s_${i}`]], '<=', allowed + 2 * big);
    }
    // Reliability cost: a node with joins makes all its 1 + joins tenants pay
    // one unit each, i.e. joins + z with z = 1 as soon as one join happens.
    const z = `z_${node.name}`;
    bounds.push(` 0 <= ${z} <= 1`);
    for (const [, v] of node.joiners) {
      row(
        [
          [1, z],
          [-1, v],
        ],
        '>=',
        0,
      );
      objective.push([-eps / OUTCOME_SCALES.reliabilityCost, v]);
    }
    objective.push([-eps / OUTCOME_SCALES.reliabilityCost, z]);
  }

  const text = [
    'Maximize',
    ` obj: ${render(objective)}`,
    'Subject To',
    ...rows,
    'Bounds',
    ...bounds,
    'Binary',
    ` ${binaries.join(' ')}`,
    'End',
    '',
  ].join('\n');
  return { text, eps };
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
