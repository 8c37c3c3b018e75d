/**
 * Replay fixtures of the slice lifecycle (Temporal's replay-test idea): one
 * persisted snapshot per stable leaf state, captured by driving the machine
 * there with a SimulatedClock and fake agents, plus what the machine does
 * after restoring it — the state reached, the calls made and the persisted
 * snapshot — for each of a few defined next steps (a call answers, times out,
 * runs out of attempts, fails; an event arrives).
 *
 * `scripts/record-lifecycle-snapshots.ts` writes the fixtures;
 * test/unit/lifecycle-replay.test.ts checks the current machine against them,
 * so a snapshot stored by an older build keeps working after a change.
 */
import { SimulatedClock, createActor, fromPromise, type AnyStateNode } from 'xstate';
import {
  SliceMeshError,
  type ApplyReply,
  type DeclineReply,
  type InferenceReply,
  type PlacementReply,
  type PlacementRequest,
  type ReleaseReply,
  type SliceRequest,
} from '../../shared/contracts/index.js';
import type { ViewStep } from '../../agents/slice-manager/lifecycle/types.js';
import type { LifecycleLimits } from '../../agents/slice-manager/lifecycle/limits.js';
import {
  createLifecycleMachine,
  type CallInput,
  type LifecycleActor,
  type LifecycleEvent,
} from '../../agents/slice-manager/lifecycle/machine.js';
import {
  parsePersistedLifecycle,
  persistLifecycle,
  restoreLifecycle,
  type PersistedLifecycle,
} from '../../agents/slice-manager/lifecycle/persistence.js';
import {
  appliedReply,
  inferenceReply,
  plannedReply,
  refusedReply,
  rejectedPlacement,
  releaseReply,
  sliceRequest,
  viewReply,
} from './slice-doubles.js';

export const SLICE_ID = 's1';
/** Clock reading when a scenario starts, and when a fixture is restored. */
export const START_AT = 10_000;
export const CALL_TIMEOUT_MS = 1_000;
export const BACKOFF_MS = 100;
export const LIFETIME_MS = 60_000;

export const REPLAY_LIMITS: Partial<LifecycleLimits> = {
  interpretTimeoutMs: CALL_TIMEOUT_MS,
  viewTimeoutMs: CALL_TIMEOUT_MS,
  planTimeoutMs: CALL_TIMEOUT_MS,
  applyTimeoutMs: CALL_TIMEOUT_MS,
  releaseTimeoutMs: CALL_TIMEOUT_MS,
  retryBackoffMs: BACKOFF_MS,
  // A fixed pause and a budget that never binds: the attempts decide, as the
  // fixtures recorded before the retry budget existed expect.
  retryBackoffMaxMs: BACKOFF_MS,
  retryJitter: 0,
  retryBudgetMs: 60_000,
  maxAttempts: 3,
  maxReplans: 2,
};

export type ActorName = 'interpret' | 'viewNetwork' | 'plan' | 'apply' | 'release' | 'decline';
const ACTOR_NAMES: readonly ActorName[] = [
  'interpret',
  'viewNetwork',
  'plan',
  'apply',
  'release',
  'decline',
];

/**
 * How a fake agent answers: `hang` never answers, `fail` is an error retrying
 * cannot fix, `retryable` one it may; `reject`/`infeasible` are the
 * orchestrator's refusals, `stale`/`capacity` the infrastructure's;
 * `unserved` applies a placement that misses the latency class, `empty`
 * releases nothing.
 */
export type Mode =
  | 'answer'
  | 'hang'
  | 'fail'
  | 'retryable'
  | 'reject'
  | 'infeasible'
  | 'stale'
  | 'capacity'
  | 'unserved'
  | 'empty';
export type Modes = Partial<Record<ActorName, Mode>>;

export type Calls = Record<ActorName, number>;

function errorFor(mode: Mode, name: ActorName): SliceMeshError | undefined {
  if (mode === 'fail') {
    return new SliceMeshError('invalid-message', `${name} refused the request`, {
      retryable: false,
    });
  }
  if (mode === 'retryable') return new SliceMeshError('unavailable', `${name} is unavailable`);
  if (mode === 'infeasible') {
    return new SliceMeshError('infeasible', 'no feasible placement', { retryable: false });
  }
  return undefined;
}

function replyFor(name: ActorName, mode: Mode, input: CallInput<unknown>): unknown {
  const { sliceId } = input;
  switch (name) {
    case 'interpret':
      return inferenceReply(sliceId) satisfies InferenceReply;
    case 'viewNetwork':
      return viewReply(1) satisfies ViewStep;
    case 'plan': {
      const request = input.request as PlacementRequest;
      return (
        mode === 'reject'
          ? rejectedPlacement(sliceId)
          : plannedReply(sliceId, request.minViewVersion)
      ) satisfies PlacementReply;
    }
    case 'apply':
      if (mode === 'stale') return refusedReply(sliceId, 'stale-view') satisfies ApplyReply;
      if (mode === 'capacity') return refusedReply(sliceId, 'capacity') satisfies ApplyReply;
      return appliedReply(sliceId, {
        appliedAt: START_AT,
        served: mode !== 'unserved',
      }) satisfies ApplyReply;
    case 'release':
      return releaseReply(sliceId, mode !== 'empty') satisfies ReleaseReply;
    case 'decline':
      return {
        type: 'infra.decline.reply.v1',
        sliceId,
        counted: true,
        viewVersion: 2,
      } satisfies DeclineReply;
  }
}

/** A machine, a clock and six fake agents whose behaviour can be switched at any time. */
export class Harness {
  readonly clock = new SimulatedClock();
  readonly calls: Calls = {
    interpret: 0,
    viewNetwork: 0,
    plan: 0,
    apply: 0,
    release: 0,
    decline: 0,
  };
  modes: Modes;
  readonly machine;
  readonly limits: Partial<LifecycleLimits>;

  constructor(modes: Modes = {}, at = START_AT, limits: Partial<LifecycleLimits> = REPLAY_LIMITS) {
    this.modes = modes;
    this.limits = limits;
    this.clock.set(at);
    const fake = (name: ActorName) =>
      fromPromise<unknown, CallInput<unknown>>(({ input }) => {
        this.calls[name] += 1;
        const mode = this.modes[name] ?? 'hang';
        if (mode === 'hang') return new Promise<never>(() => undefined);
        const error = errorFor(mode, name);
        return error ? Promise.reject(error) : Promise.resolve(replyFor(name, mode, input));
      });
    const actors = Object.fromEntries(ACTOR_NAMES.map((name) => [name, fake(name)]));
    this.machine = createLifecycleMachine({ now: () => this.clock.now() }).provide({
      actors: actors as never,
    });
  }

  start(request: SliceRequest = sliceRequest(SLICE_ID)): LifecycleActor {
    const actor = createActor(this.machine, {
      input: { request, limits: this.limits, traceId: 'a'.repeat(32) },
      clock: this.clock,
    });
    actor.start();
    return actor;
  }

  restore(persisted: PersistedLifecycle): LifecycleActor {
    return restoreLifecycle(this.machine, persisted, { clock: this.clock });
  }

  /** Advances the clock by each amount in turn, letting fake replies land in between. */
  async tick(...amounts: number[]): Promise<void> {
    await settle();
    for (const ms of amounts) {
      this.clock.increment(ms);
      await settle();
    }
  }
}

/** Lets pending promise callbacks run (fake replies resolve on the microtask queue). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** What a store does to a snapshot: serialise to text and parse it back. */
export function throughStorage(actor: LifecycleActor): PersistedLifecycle {
  return parsePersistedLifecycle(JSON.parse(JSON.stringify(persistLifecycle(actor))));
}

const CHANGE: LifecycleEvent = {
  type: 'slice.change.v2',
  tenant: 'default',
  sliceId: SLICE_ID,
  changeId: 'change-1',
  text: 'remote monitoring of the welding cells with a camera feed',
  submittedAt: START_AT,
};
const VIOLATION: LifecycleEvent = {
  type: 'sla.violation.v1',
  sliceId: SLICE_ID,
  at: START_AT,
  dimension: 'latency',
  observed: 45,
  limit: 30,
};
const LOST: LifecycleEvent = {
  type: 'slice.resources-lost',
  note: 'not among the reservations of the infrastructure',
};
const TERMINATE: LifecycleEvent = {
  type: 'slice.terminate.v2',
  tenant: 'default',
  sliceId: SLICE_ID,
  reason: 'replay test',
  submittedAt: START_AT,
};

const HEALTHY: Modes = {
  interpret: 'answer',
  viewNetwork: 'answer',
  plan: 'answer',
  apply: 'answer',
  release: 'answer',
  decline: 'answer',
};

/** Drives a fresh slice to active (no lifetime unless asked), then switches the fakes to `modes`. */
async function activeWith(
  h: Harness,
  modes: Modes,
  request = sliceRequest(SLICE_ID),
): Promise<LifecycleActor> {
  h.modes = { ...HEALTHY };
  const actor = h.start(request);
  await h.tick();
  h.modes = modes;
  return actor;
}

/** One step after a restore: how the fakes answer, then what happens. */
export interface Step {
  modes: Modes;
  /** Sent right after the restore (and its RESUME). */
  send?: LifecycleEvent;
  /** Clock advances after the restore. */
  ticks?: number[];
}

export interface LeafScenario {
  /** Drives a fresh slice into the leaf state. */
  reach(h: Harness): Promise<LifecycleActor>;
  steps: Record<string, Step>;
}

/** Give-up path: three attempts each timing out, with the backoffs in between. */
const EXHAUST = [CALL_TIMEOUT_MS, BACKOFF_MS, CALL_TIMEOUT_MS, BACKOFF_MS, CALL_TIMEOUT_MS];

/** The steps of a waiting call: it answers (in each way `outcomes` lists), fails, or times out. */
function callSteps(name: ActorName, outcomes: Mode[] = ['answer']): Record<string, Step> {
  const steps: Record<string, Step> = {};
  for (const mode of outcomes) steps[mode] = { modes: { [name]: mode } };
  steps.fail = { modes: { [name]: 'fail' } };
  steps.retryable = { modes: { [name]: 'retryable' } };
  steps.timeout = { modes: {}, ticks: [CALL_TIMEOUT_MS] };
  steps.exhaust = { modes: {}, ticks: EXHAUST };
  steps.terminate = { modes: {}, send: TERMINATE };
  return steps;
}

/** The steps of a backoff: the retry goes out at once after a restore, and answers or not. */
function backoffSteps(name: ActorName): Record<string, Step> {
  return {
    retry: { modes: {} },
    answer: { modes: { [name]: 'answer' } },
    terminate: { modes: {}, send: TERMINATE },
  };
}

const PLAN_OUTCOMES: Mode[] = ['answer', 'reject', 'infeasible'];
const APPLY_OUTCOMES: Mode[] = ['answer', 'unserved', 'stale', 'capacity'];

/**
 * Every stable leaf state of the lifecycle (the transient ones — `requested`
 * and the `deciding` states — are always left in the same macrostep), keyed
 * by state id without the machine's `slice.` prefix.
 */
export const LEAF_SCENARIOS: Record<string, LeafScenario> = {
  'interpreting.calling.waiting': {
    reach: async (h) => {
      const actor = h.start();
      await h.tick();
      return actor;
    },
    steps: callSteps('interpret'),
  },
  'interpreting.backoff': {
    reach: async (h) => {
      const actor = h.start();
      await h.tick(CALL_TIMEOUT_MS);
      return actor;
    },
    steps: backoffSteps('interpret'),
  },
  'planning.viewing.calling.waiting': {
    reach: async (h) => {
      h.modes = { interpret: 'answer' };
      const actor = h.start();
      await h.tick();
      return actor;
    },
    steps: callSteps('viewNetwork'),
  },
  'planning.viewing.backoff': {
    reach: async (h) => {
      h.modes = { interpret: 'answer' };
      const actor = h.start();
      await h.tick(CALL_TIMEOUT_MS);
      return actor;
    },
    steps: backoffSteps('viewNetwork'),
  },
  'planning.placing.calling.waiting': {
    reach: async (h) => {
      h.modes = { interpret: 'answer', viewNetwork: 'answer' };
      const actor = h.start();
      await h.tick();
      return actor;
    },
    steps: callSteps('plan', PLAN_OUTCOMES),
  },
  'planning.placing.backoff': {
    reach: async (h) => {
      h.modes = { interpret: 'answer', viewNetwork: 'answer' };
      const actor = h.start();
      await h.tick(CALL_TIMEOUT_MS);
      return actor;
    },
    steps: backoffSteps('plan'),
  },
  'planning.declining': {
    reach: async (h) => {
      h.modes = { interpret: 'answer', viewNetwork: 'answer', plan: 'reject' };
      const actor = h.start();
      await h.tick();
      return actor;
    },
    steps: {
      answer: { modes: { decline: 'answer' } },
      fail: { modes: { decline: 'fail' } },
      terminate: { modes: {}, send: TERMINATE },
    },
  },
  'deploying.calling.waiting': {
    reach: async (h) => {
      h.modes = { interpret: 'answer', viewNetwork: 'answer', plan: 'answer' };
      const actor = h.start();
      await h.tick();
      return actor;
    },
    steps: callSteps('apply', APPLY_OUTCOMES),
  },
  'deploying.backoff': {
    reach: async (h) => {
      h.modes = { interpret: 'answer', viewNetwork: 'answer', plan: 'answer' };
      const actor = h.start();
      await h.tick(CALL_TIMEOUT_MS);
      return actor;
    },
    steps: backoffSteps('apply'),
  },
  'active.open': {
    reach: (h) => activeWith(h, {}),
    steps: {
      change: { modes: {}, send: CHANGE },
      violation: { modes: {}, send: VIOLATION },
      terminate: { modes: {}, send: TERMINATE },
      lost: { modes: { release: 'empty' }, send: LOST },
      idle: { modes: {}, ticks: [LIFETIME_MS] },
    },
  },
  'active.expiring': {
    reach: async (h) => {
      const actor = await activeWith(h, {}, sliceRequest(SLICE_ID, { lifetimeMs: LIFETIME_MS }));
      await h.tick(LIFETIME_MS / 2);
      return actor;
    },
    steps: {
      early: { modes: {}, ticks: [LIFETIME_MS / 2 - 1] },
      expire: { modes: {}, ticks: [LIFETIME_MS / 2] },
      change: { modes: {}, send: CHANGE },
      terminate: { modes: {}, send: TERMINATE },
    },
  },
  'adapting.interpreting.calling.waiting': {
    reach: async (h) => {
      const actor = await activeWith(h, {});
      actor.send(CHANGE);
      await h.tick();
      return actor;
    },
    steps: callSteps('interpret'),
  },
  'adapting.interpreting.backoff': {
    reach: async (h) => {
      const actor = await activeWith(h, {});
      actor.send(CHANGE);
      await h.tick(CALL_TIMEOUT_MS);
      return actor;
    },
    steps: backoffSteps('interpret'),
  },
  'adapting.viewing.calling.waiting': {
    reach: async (h) => {
      const actor = await activeWith(h, {});
      actor.send(VIOLATION);
      await h.tick();
      return actor;
    },
    steps: callSteps('viewNetwork'),
  },
  'adapting.viewing.backoff': {
    reach: async (h) => {
      const actor = await activeWith(h, {});
      actor.send(VIOLATION);
      await h.tick(CALL_TIMEOUT_MS);
      return actor;
    },
    steps: backoffSteps('viewNetwork'),
  },
  'adapting.placing.calling.waiting': {
    reach: async (h) => {
      const actor = await activeWith(h, { viewNetwork: 'answer' });
      actor.send(VIOLATION);
      await h.tick();
      return actor;
    },
    steps: callSteps('plan', PLAN_OUTCOMES),
  },
  'adapting.placing.backoff': {
    reach: async (h) => {
      const actor = await activeWith(h, { viewNetwork: 'answer' });
      actor.send(VIOLATION);
      await h.tick(CALL_TIMEOUT_MS);
      return actor;
    },
    steps: backoffSteps('plan'),
  },
  'adapting.applying.calling.waiting': {
    reach: async (h) => {
      const actor = await activeWith(h, { viewNetwork: 'answer', plan: 'answer' });
      actor.send(VIOLATION);
      await h.tick();
      return actor;
    },
    steps: callSteps('apply', APPLY_OUTCOMES),
  },
  'adapting.applying.backoff': {
    reach: async (h) => {
      const actor = await activeWith(h, { viewNetwork: 'answer', plan: 'answer' });
      actor.send(VIOLATION);
      await h.tick(CALL_TIMEOUT_MS);
      return actor;
    },
    steps: backoffSteps('apply'),
  },
  'terminating.calling.waiting': {
    reach: async (h) => {
      const actor = await activeWith(h, {});
      actor.send(TERMINATE);
      await h.tick();
      return actor;
    },
    steps: callSteps('release', ['answer', 'empty']),
  },
  'terminating.backoff': {
    reach: async (h) => {
      const actor = await activeWith(h, {});
      actor.send(TERMINATE);
      await h.tick(CALL_TIMEOUT_MS);
      return actor;
    },
    steps: backoffSteps('release'),
  },
  released: {
    reach: async (h) => {
      const actor = await activeWith(h, { release: 'answer' });
      actor.send(TERMINATE);
      await h.tick();
      return actor;
    },
    steps: { restore: { modes: {} } },
  },
  rejected: {
    reach: async (h) => {
      h.modes = { interpret: 'answer', viewNetwork: 'answer', plan: 'reject', decline: 'answer' };
      const actor = h.start();
      await h.tick();
      return actor;
    },
    steps: { restore: { modes: {} } },
  },
  failed: {
    reach: async (h) => {
      h.modes = { interpret: 'fail' };
      const actor = h.start();
      await h.tick();
      return actor;
    },
    steps: { restore: { modes: {} } },
  },
};

/** Leaf states left in the same macrostep they are entered in: never persisted. */
export const TRANSIENT_LEAVES = [
  'requested',
  'active.deciding',
  'adapting.deciding',
  'terminating.deciding',
];

/** The active leaf state of a snapshot as a dotted id without the `slice.` prefix. */
export function leafOf(value: PersistedLifecycle['value']): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value)[0] ?? [];
  if (key === undefined) return '';
  return `${key}.${leafOf(child as PersistedLifecycle['value'])}`;
}

/** Drives a fresh slice into `leaf`: its persisted snapshot and the clock reading then. */
export async function captureLeaf(
  leaf: string,
  limits: Partial<LifecycleLimits> = REPLAY_LIMITS,
): Promise<{ snapshot: PersistedLifecycle; capturedAt: number }> {
  const scenario = LEAF_SCENARIOS[leaf];
  if (!scenario) throw new Error(`no scenario for ${leaf}`);
  const h = new Harness({}, START_AT, limits);
  const actor = await scenario.reach(h);
  const snapshot = throughStorage(actor);
  actor.stop();
  return { snapshot, capturedAt: h.clock.now() };
}

export interface StepResult {
  /** Active leaf state (or final state) after the step. */
  state: string;
  status: PersistedLifecycle['status'];
  /** Calls the fakes received after the restore, the re-sent one included. */
  calls: Calls;
  snapshot: PersistedLifecycle;
}

/**
 * Restores `persisted` on a fresh machine, with a fresh clock reading `at` (the
 * restart takes no time), runs `step`, and reports where it went.
 */
export async function replayStep(
  persisted: PersistedLifecycle,
  at: number,
  step: Step,
): Promise<StepResult> {
  const h = new Harness(step.modes, at);
  const actor = h.restore(parsePersistedLifecycle(JSON.parse(JSON.stringify(persisted))));
  if (step.send) actor.send(step.send);
  await h.tick(...(step.ticks ?? []));
  const snapshot = throughStorage(actor);
  actor.stop();
  return {
    state: leafOf(snapshot.value),
    status: snapshot.status,
    calls: { ...h.calls },
    snapshot,
  };
}

/** The committed fixture of one leaf state. */
export interface LeafFixture {
  state: string;
  capturedAt: number;
  snapshot: PersistedLifecycle;
  next: Record<string, StepResult>;
}

/** Captures a leaf state and replays every step of it (what the recorder writes). */
export async function recordLeaf(leaf: string): Promise<LeafFixture> {
  const scenario = LEAF_SCENARIOS[leaf];
  if (!scenario) throw new Error(`no scenario for ${leaf}`);
  const { snapshot, capturedAt } = await captureLeaf(leaf);
  const next: Record<string, StepResult> = {};
  for (const [name, step] of Object.entries(scenario.steps)) {
    next[name] = await replayStep(snapshot, capturedAt, step);
  }
  return { state: leaf, capturedAt, snapshot, next };
}

/** Every state node of the lifecycle machine, depth first in document order. */
export function stateNodes(): AnyStateNode[] {
  const walk = (node: AnyStateNode): AnyStateNode[] => [
    node,
    ...Object.values(node.states).flatMap(walk),
  ];
  return walk(new Harness().machine.root);
}

interface StructureNode {
  type: string;
  /** Event descriptor → the targets of its candidate transitions, in order (`.` = none). */
  on: Record<string, string[]>;
  always?: string[];
  invoke?: string[];
}

function targetsOf(transitions: readonly AnyTransition[]): string[] {
  return transitions.map((t) => {
    const targets = t.target?.map((node) => node.id).join(',') ?? '.';
    return t.reenter ? `${targets} (reenter)` : targets;
  });
}

type AnyTransition = {
  target?: ReadonlyArray<{ id: string }> | undefined;
  reenter?: boolean;
};

/**
 * The machine's shape that does not depend on how it is written: every state
 * id with its type, the targets of each event's candidate transitions (timer
 * events included), its eventless transitions and the actors it invokes.
 */
export function machineStructure(): Record<string, StructureNode> {
  const out: Record<string, StructureNode> = {};
  for (const node of stateNodes()) {
    const id = node.id;
    const entry: StructureNode = { type: node.type, on: {} };
    for (const [event, transitions] of node.transitions) {
      entry.on[event] = targetsOf(transitions);
    }
    if (node.always) entry.always = targetsOf(node.always);
    if (node.invoke.length > 0) {
      entry.invoke = node.invoke.map(
        (i: { id: string; src: unknown }) => `${i.id} <- ${String(i.src)}`,
      );
    }
    out[id] = entry;
  }
  return out;
}
