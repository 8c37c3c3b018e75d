/**
 * The step environment: one episode is one instance, one step places (or
 * rejects) one request. It reports raw outcomes only — the reward is the
 * learner's business (see outcome.ts for terms on a common scale).
 *
 * Built for PPO's millions of steps: buffers are reused, `observe()` and
 * `actionMask()` write into caller-provided or internal typed arrays, and
 * the outcome object returned by `step()` is reused between steps (copy what
 * you keep).
 */
import type { ServiceType } from '../contracts/common.js';
import { SliceMeshError } from '../contracts/errors.js';
import type { PlacementPlan } from '../contracts/placement.js';
import {
  ACTION_COUNT,
  ACTION_NAMES,
  ACTION_REJECT,
  Candidates,
  Outcome,
  actionChoice,
  compileRequest,
  computeCandidates,
  fillActionMask,
  isFeasible,
  newChoice,
  previewChoice,
  type CompiledRequest,
} from './actions.js';
import { DEFAULT_MODEL_CONFIG, type ModelConfig } from './config.js';
import { NetworkState, SITE_LOCAL, type Choice } from './network.js';
import { OBSERVATION_SIZE, encodeObservation } from './observation.js';
import { resolvePlan } from './plan.js';
import { sliceQoeScore } from './qoe-score.js';
import { violationNames, type Instance, type ModelRequest, type ViolationKind } from './types.js';

/** Raw outcome of one step for the slice just handled. */
export class StepResult extends Outcome {
  /** Action index taken (for a plan, -1). */
  action = ACTION_REJECT;
  /** Index of the request handled in the instance. */
  requestIndex = 0;
  /** True when that was the last request. */
  done = false;
  /** Ids of the slices this placement broke; filled only with `trackAffectedIds`. */
  readonly affectedSliceIds: string[] = [];

  get violationNames(): ViolationKind[] {
    return violationNames(this.violations);
  }
}

/** Final figures of one request after the whole episode. */
export interface SliceResult {
  id: string;
  placed: boolean;
  served: boolean;
  latencyMs: number;
  cost: number;
  reliabilityCost: number;
  violations: ViolationKind[];
  /** QoE score judged with weights from the request's true classes (qoe-score.ts); null unless served. */
  qoeScore: number | null;
  /**
   * The service type the slice was deployed as, when it is not the one it
   * needs (a misread request text): its VNF chain then cannot carry the
   * service, so it is not served whatever its figures.
   */
  deployedAs?: ServiceType;
}

export interface EpisodeSummary {
  seed: number;
  requests: number;
  placed: number;
  served: number;
  /** served / requested. */
  availability: number;
  /** Means over placed slices (NaN when none was placed). */
  avgLatencyMs: number;
  avgCost: number;
  avgReliabilityCost: number;
  /** Mean QoE score over served slices (NaN when none was served). */
  avgQoeScore: number;
  slices: SliceResult[];
}

export interface SliceEnvOptions {
  config?: ModelConfig;
  /** Also list the ids of slices broken by each step (allocates; off for training). */
  trackAffectedIds?: boolean;
}

export interface ResetOptions {
  /**
   * Per request, the service type to deploy it as instead of its own (what a
   * method believed from the request's text). The request's classes still
   * judge it, and a slice deployed as another type is never served.
   */
  deployAs?: readonly ServiceType[];
}

const compiledCache = new WeakMap<Instance, CompiledRequest[]>();

export class SliceEnv {
  readonly actionCount = ACTION_COUNT;
  readonly observationSize = OBSERVATION_SIZE;
  readonly actionNames = ACTION_NAMES;
  readonly config: ModelConfig;
  readonly state: NetworkState;
  private instance: Instance | undefined;
  /** The requests as deployed: the instance's, or with the service types of `ResetOptions.deployAs`. */
  private deployed: readonly ModelRequest[] = [];
  private compiled: CompiledRequest[] = [];
  private index = 0;
  private readonly trackAffectedIds: boolean;
  private readonly candidates = new Candidates();
  private candidatesFor = -1;
  private readonly choice: Choice = newChoice();
  private readonly scratchChoice: Choice = newChoice();
  private readonly scratchOutcome = new Outcome();
  private readonly result = new StepResult();
  private readonly maskBuffer = new Uint8Array(ACTION_COUNT);
  private readonly observationBuffer = new Float32Array(OBSERVATION_SIZE);

  constructor(options: SliceEnvOptions = {}) {
    this.config = options.config ?? DEFAULT_MODEL_CONFIG;
    this.state = new NetworkState(0, this.config);
    this.trackAffectedIds = options.trackAffectedIds ?? false;
  }

  /** Starts an episode on `instance` with an empty network seeded by the instance's seed. */
  reset(instance: Instance, options: ResetOptions = {}): void {
    if (instance.requests.length === 0)
      throw new SliceMeshError('config', 'an instance needs at least one request');
    this.instance = instance;
    const deployAs = options.deployAs;
    if (deployAs !== undefined) {
      if (deployAs.length !== instance.requests.length) {
        throw new SliceMeshError('internal', 'deployAs needs one service type per request');
      }
      this.deployed = instance.requests.map((r, i) => {
        const serviceType = deployAs[i] as ServiceType;
        return serviceType === r.profile.serviceType
          ? r
          : { ...r, profile: { ...r.profile, serviceType } };
      });
      this.compiled = this.deployed.map((r) => compileRequest(this.config, r));
    } else {
      this.deployed = instance.requests;
      let compiled = compiledCache.get(instance);
      if (compiled === undefined || this.config !== DEFAULT_MODEL_CONFIG) {
        compiled = instance.requests.map((r) => compileRequest(this.config, r));
        if (this.config === DEFAULT_MODEL_CONFIG) compiledCache.set(instance, compiled);
      }
      this.compiled = compiled;
    }
    this.state.clear(instance.seed);
    this.index = 0;
    this.candidatesFor = -1;
  }

  get done(): boolean {
    return this.instance === undefined || this.index >= this.compiled.length;
  }

  /** Index of the request the next step handles. */
  get stepIndex(): number {
    return this.index;
  }

  get requestCount(): number {
    return this.compiled.length;
  }

  /** The request the next step handles; throws when the episode is over. */
  currentRequest(): ModelRequest {
    this.requireInstance();
    return this.deployed[this.requireActive()] as ModelRequest;
  }

  /** The compiled form of the current request (for policies that work on numbers). */
  currentCompiled(): CompiledRequest {
    return this.compiled[this.requireActive()] as CompiledRequest;
  }

  /** Join candidates of the current request (cached until the state changes). */
  currentCandidates(): Candidates {
    const i = this.requireActive();
    if (this.candidatesFor !== this.state.version) {
      computeCandidates(this.state, this.compiled[i] as CompiledRequest, this.candidates);
      this.candidatesFor = this.state.version;
    }
    return this.candidates;
  }

  /** Physical feasibility of every action for the current request (1 = allowed). */
  actionMask(out: Uint8Array = this.maskBuffer): Uint8Array {
    return fillActionMask(this.currentCandidates(), out);
  }

  /** Observation of the current state and request (see observation.ts for the layout). */
  observe(out: Float32Array = this.observationBuffer): Float32Array {
    const candidates = this.currentCandidates();
    return encodeObservation(
      this.state,
      this.currentCompiled(),
      candidates,
      out,
      this.scratchChoice,
      this.scratchOutcome,
    );
  }

  /** Takes an action index for the current request. Throws `infeasible` for a masked action. */
  step(action: number): StepResult {
    const candidates = this.currentCandidates();
    if (!Number.isInteger(action) || !isFeasible(action, candidates)) {
      throw new SliceMeshError(
        'infeasible',
        `action ${ACTION_NAMES[action] ?? String(action)} is not feasible for request ${this.index}`,
      );
    }
    if (action === ACTION_REJECT) return this.finishReject(action);
    return this.finishPlace(action, actionChoice(action, candidates, this.choice));
  }

  /**
   * Takes a wire plan (or null = reject) for the current request, ignoring
   * its `viewVersion`. Throws on a plan that names unknown nodes or does not fit.
   */
  stepPlan(plan: PlacementPlan | null): StepResult {
    const i = this.requireActive();
    if (plan === null) return this.finishReject(ACTION_REJECT);
    const request = this.deployed[i] as ModelRequest;
    const resolved = resolvePlan(this.state, request, plan);
    if (!resolved.ok) throw new SliceMeshError('infeasible', resolved.message);
    const req = this.compiled[i] as CompiledRequest;
    if (resolved.choice.site === SITE_LOCAL && !this.state.localFits(req.cpu, req.mem)) {
      throw new SliceMeshError(
        'infeasible',
        `request ${request.id} does not fit on the local server`,
      );
    }
    return this.finishPlace(-1, resolved.choice);
  }

  private finishReject(action: number): StepResult {
    const r = this.result;
    r.reset();
    r.affectedSliceIds.length = 0;
    r.action = action;
    r.requestIndex = this.index;
    this.state.skipPlacement();
    this.index++;
    r.done = this.done;
    return r;
  }

  private finishPlace(action: number, choice: Choice): StepResult {
    const r = this.result;
    const req = this.compiled[this.index] as CompiledRequest;
    r.affectedSliceIds.length = 0;
    previewChoice(
      this.state,
      req,
      choice,
      r,
      this.trackAffectedIds ? r.affectedSliceIds : undefined,
    );
    r.action = action;
    r.requestIndex = this.index;
    this.state.place(req.spec, choice);
    this.index++;
    r.done = this.done;
    return r;
  }

  /** Final figures of every request of the episode so far (evaluated on the current state). */
  summary(): EpisodeSummary {
    const instance = this.requireInstance();
    const slices: SliceResult[] = [];
    let placed = 0;
    let served = 0;
    let latency = 0;
    let cost = 0;
    let reliability = 0;
    let score = 0;
    for (let i = 0; i < this.index; i++) {
      const request = instance.requests[i] as ModelRequest;
      const id = request.id;
      const qoe = this.state.sliceQoe(id);
      if (qoe === undefined) {
        slices.push({
          id,
          placed: false,
          served: false,
          latencyMs: 0,
          cost: 0,
          reliabilityCost: 0,
          violations: [],
          qoeScore: null,
        });
        continue;
      }
      placed++;
      const deployedAs = (this.deployed[i] as ModelRequest).profile.serviceType;
      const rightType = deployedAs === request.profile.serviceType;
      const isServed = qoe.served && rightType;
      const qoeScore = sliceQoeScore(isServed, qoe, request.profile);
      if (isServed) {
        served++;
        score += qoeScore as number;
      }
      latency += qoe.latencyMs;
      cost += qoe.cost;
      reliability += qoe.reliabilityCost;
      const slice: SliceResult = { id, placed: true, ...qoe, served: isServed, qoeScore };
      if (!rightType) slice.deployedAs = deployedAs;
      slices.push(slice);
    }
    const n = instance.requests.length;
    return {
      seed: instance.seed,
      requests: n,
      placed,
      served,
      availability: served / n,
      avgLatencyMs: placed === 0 ? NaN : latency / placed,
      avgCost: placed === 0 ? NaN : cost / placed,
      avgReliabilityCost: placed === 0 ? NaN : reliability / placed,
      avgQoeScore: served === 0 ? NaN : score / served,
      slices,
    };
  }

  private requireInstance(): Instance {
    if (this.instance === undefined)
      throw new SliceMeshError('internal', 'call reset(instance) before stepping');
    return this.instance;
  }

  private requireActive(): number {
    this.requireInstance();
    if (this.index >= this.compiled.length)
      throw new SliceMeshError('internal', 'the episode is over; call reset()');
    return this.index;
  }
}
