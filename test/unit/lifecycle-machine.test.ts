import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, fromPromise, waitFor } from 'xstate';
import {
  SLICE_HISTORY_LIMIT,
  SliceMeshError,
  SliceRecord,
  historyCount,
  type ApplyReply,
  type ApplyRequest,
  type DeclineReply,
  type DeclineRequest,
  type InferenceReply,
  type InferenceRequest,
  type PlacementReply,
  type PlacementRequest,
  type ReleaseReply,
  type ReleaseRequest,
  type SlaViolation,
  type SliceRequest,
  type SliceState,
} from '../../shared/contracts/index.js';
import type { LocalViewRequest, ViewStep } from '../../agents/slice-manager/lifecycle/types.js';
import {
  avoidFor,
  createLifecycleMachine,
  type CallInput,
  type LifecycleActor,
} from '../../agents/slice-manager/lifecycle/machine.js';
import type { LifecycleLimits } from '../../agents/slice-manager/lifecycle/limits.js';
import {
  appliedReply,
  inferenceReply,
  plannedReply,
  refusedReply,
  rejectedPlacement,
  releaseReply,
  sliceRequest,
  viewReply,
} from '../helpers/slice-doubles.js';

const NEVER = Symbol('never answers');

/** An SLA violation of s1: 45 ms latency against a 30 ms limit, unless overridden. */
function slaViolation(overrides: Partial<SlaViolation> = {}): SlaViolation {
  return {
    type: 'sla.violation.v1',
    sliceId: 's1',
    at: 3_000,
    dimension: 'latency',
    observed: 45,
    limit: 30,
    ...overrides,
  };
}

/** A stand-in for one agent: records every call and answers with `respond`. */
class FakeService<TReq, TRep> {
  readonly calls: CallInput<TReq>[] = [];
  aborted = 0;
  constructor(
    public respond: (input: CallInput<TReq>, call: number) => TRep | typeof NEVER | Error,
  ) {}

  logic() {
    return fromPromise<TRep, CallInput<TReq>>(({ input, signal }) => {
      this.calls.push(input);
      const answer = this.respond(input, this.calls.length);
      if (answer === NEVER) {
        return new Promise<TRep>((_, reject) => {
          signal.addEventListener('abort', () => {
            this.aborted += 1;
            reject(new Error('aborted'));
          });
        });
      }
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    });
  }
}

interface Fakes {
  interpret: FakeService<InferenceRequest, InferenceReply>;
  view: FakeService<LocalViewRequest, ViewStep>;
  plan: FakeService<PlacementRequest, PlacementReply>;
  apply: FakeService<ApplyRequest, ApplyReply>;
  release: FakeService<ReleaseRequest, ReleaseReply>;
  decline: FakeService<DeclineRequest, DeclineReply>;
}

function healthyFakes(sliceId: string): Fakes {
  return {
    interpret: new FakeService((input) => inferenceReply(input.request.sliceId)),
    view: new FakeService(() => viewReply(1)),
    plan: new FakeService(() => plannedReply(sliceId)),
    apply: new FakeService(() => appliedReply(sliceId)),
    release: new FakeService(() => releaseReply(sliceId)),
    decline: new FakeService<DeclineRequest, DeclineReply>(() => ({
      type: 'infra.decline.reply.v1',
      sliceId,
      counted: true,
      viewVersion: 2,
    })),
  };
}

const LIMITS: Partial<LifecycleLimits> = {
  interpretTimeoutMs: 1_000,
  viewTimeoutMs: 1_000,
  planTimeoutMs: 1_000,
  applyTimeoutMs: 1_000,
  releaseTimeoutMs: 1_000,
  // A fixed pause between three attempts (no growth, no jitter): what these tests count on.
  // The exponential, jittered backoff and the retry budget are tested in lifecycle-retry.test.ts.
  retryBackoffMs: 100,
  retryBackoffMaxMs: 100,
  retryJitter: 0,
  maxAttempts: 3,
  maxReplans: 2,
};

function machineWith(clock: SimulatedClock, fakes: Fakes) {
  return createLifecycleMachine({ now: () => clock.now() }).provide({
    actors: {
      interpret: fakes.interpret.logic(),
      viewNetwork: fakes.view.logic(),
      plan: fakes.plan.logic(),
      apply: fakes.apply.logic(),
      release: fakes.release.logic(),
      decline: fakes.decline.logic(),
    },
  });
}

function start(request: SliceRequest, fakes: Fakes, clock = new SimulatedClock()) {
  if (clock.now() === 0) clock.set(10_000);
  const actor = createActor(machineWith(clock, fakes), {
    input: { request, limits: LIMITS, traceId: 'a'.repeat(32) },
    clock,
  });
  actor.start();
  return { actor, clock };
}

function states(actor: LifecycleActor): SliceState[] {
  return actor.getSnapshot().context.record.history.map((entry) => entry.state);
}

async function reach(actor: LifecycleActor, state: SliceState) {
  await waitFor(actor, (snapshot) => snapshot.context.record.state === state, { timeout: 2_000 });
}

/** Lets pending promise callbacks run (fake replies resolve on the microtask queue). */
async function settle() {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

describe('slice lifecycle machine', () => {
  it('walks a request through interpretation, planning and deployment to active', async () => {
    const fakes = healthyFakes('s1');
    const { actor } = start(sliceRequest('s1', { sla: { latency: 'medium' } }), fakes);
    await reach(actor, 'active');

    expect(states(actor)).toEqual(['requested', 'interpreting', 'planning', 'deploying', 'active']);
    const record = SliceRecord.parse(actor.getSnapshot().context.record);
    // The explicit latency class wins over the inferred 'high'; the rest is inferred.
    expect(record.profile).toEqual({
      serviceType: 'URLLC',
      latency: 'medium',
      reliability: 'high',
      cost: 'general',
    });
    expect(record.preference?.latency).toBe(0.4);
    expect(record.placement?.containerId).toBe('c-1');
    expect(record.observed?.latencyMs).toBe(41);
    expect(record.served).toBe(true);
    expect(record.violations).toEqual([]);
    expect(record.traceId).toBe('a'.repeat(32));
    expect(actor.getSnapshot().context.causes).toEqual([
      'request',
      'accepted',
      'interpreted',
      'planned',
      'applied',
    ]);
    // The orchestrator saw the overridden profile, the view and the default demand.
    expect(fakes.plan.calls[0]?.request.profile.latency).toBe('medium');
    expect(fakes.plan.calls[0]?.request.minViewVersion).toBe(1);
    expect(fakes.plan.calls[0]?.request.demand).toEqual({ cpu: 3, mem: 3 });
    expect(fakes.interpret.calls[0]?.request.sla).toEqual({ latency: 'medium' });
    expect(fakes.interpret.calls[0]?.trace).toBeUndefined();
    expect(fakes.release.calls).toHaveLength(0);
  });

  it('records a placement that does not meet the constraints as not served', async () => {
    const fakes = healthyFakes('s1');
    fakes.apply.respond = () => appliedReply('s1', { served: false });
    const { actor } = start(sliceRequest('s1'), fakes);
    await reach(actor, 'active');
    const record = actor.getSnapshot().context.record;
    expect(record.served).toBe(false);
    expect(record.violations).toEqual(['latency']);
    expect(record.history.at(-1)?.note).toContain('not served (violates latency)');
  });

  it('adapts to a change: re-interprets the new text, re-plans and re-applies', async () => {
    const fakes = healthyFakes('s1');
    fakes.apply.respond = (_, call) => appliedReply('s1', { containerId: `c-${call}` });
    fakes.interpret.respond = (input) =>
      input.request.text.includes('monitoring')
        ? inferenceReply('s1', {
            preference: { latency: 0.1, reliability: 0.1, economics: 0.7, throughput: 0.1 },
            profile: {
              serviceType: 'mMTC',
              latency: 'best-effort',
              reliability: 'medium',
              cost: 'cost-sensitive',
            },
          })
        : inferenceReply('s1');
    const { actor } = start(sliceRequest('s1'), fakes);
    await reach(actor, 'active');

    actor.send({
      type: 'slice.change.v2',
      tenant: 'default',
      sliceId: 's1',
      changeId: 'ch-1',
      text: 'now only environmental monitoring',
      demand: { cpu: 2, mem: 2 },
      submittedAt: 2_000,
    });
    await waitFor(actor, (s) => s.context.record.placement?.containerId === 'c-2');

    expect(states(actor).slice(-2)).toEqual(['adapting', 'active']);
    const record = actor.getSnapshot().context.record;
    expect(record.text).toBe('now only environmental monitoring');
    expect(record.profile?.serviceType).toBe('mMTC');
    expect(record.preference?.economics).toBe(0.7);
    expect(fakes.interpret.calls).toHaveLength(2);
    expect(fakes.plan.calls[1]?.request.demand).toEqual({ cpu: 2, mem: 2 });
    expect(fakes.apply.calls).toHaveLength(2);

    // The same change delivered again is recognised and ignored.
    actor.send({
      type: 'slice.change.v2',
      tenant: 'default',
      sliceId: 's1',
      changeId: 'ch-1',
      text: 'now only environmental monitoring',
      submittedAt: 2_000,
    });
    await settle();
    expect(actor.getSnapshot().context.record.state).toBe('active');
    expect(fakes.apply.calls).toHaveLength(2);
  });

  it('applies an SLA-only change without calling the interpreter again', async () => {
    const fakes = healthyFakes('s1');
    const { actor } = start(sliceRequest('s1'), fakes);
    await reach(actor, 'active');
    actor.send({
      type: 'slice.change.v2',
      tenant: 'default',
      sliceId: 's1',
      changeId: 'ch-sla',
      sla: { cost: 'cost-sensitive' },
      submittedAt: 2_000,
    });
    await waitFor(actor, (s) => s.context.causes.at(-1) === 'adapted');
    expect(fakes.interpret.calls).toHaveLength(1);
    expect(actor.getSnapshot().context.record.profile?.cost).toBe('cost-sensitive');
    expect(fakes.apply.calls[1]?.request.profile.cost).toBe('cost-sensitive');
  });

  it('holds a change that arrives before activation and applies it once active', async () => {
    const fakes = healthyFakes('s1');
    let releasePlan: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => (releasePlan = resolve));
    fakes.plan.respond = () => NEVER;
    const planLogic = fakes.plan;
    const machine = createLifecycleMachine({ now: () => 0 }).provide({
      actors: {
        interpret: fakes.interpret.logic(),
        viewNetwork: fakes.view.logic(),
        plan: fromPromise<PlacementReply, CallInput<PlacementRequest>>(async ({ input }) => {
          planLogic.calls.push(input);
          await gate;
          return plannedReply('s1');
        }),
        apply: fakes.apply.logic(),
        release: fakes.release.logic(),
      },
    });
    const actor = createActor(machine, {
      input: { request: sliceRequest('s1'), limits: { planTimeoutMs: 60_000 } },
    });
    actor.start();
    await reach(actor, 'planning');
    actor.send({
      type: 'slice.change.v2',
      tenant: 'default',
      sliceId: 's1',
      changeId: 'early',
      sla: { reliability: 'medium' },
      submittedAt: 1,
    });
    releasePlan?.();
    await waitFor(actor, (s) => s.context.causes.at(-1) === 'adapted');
    expect(states(actor)).toEqual([
      'requested',
      'interpreting',
      'planning',
      'deploying',
      'active',
      'adapting',
      'active',
    ]);
    expect(actor.getSnapshot().context.record.profile?.reliability).toBe('medium');
    actor.stop();
  });

  it('re-plans on an SLA violation and returns to active with the new placement', async () => {
    const fakes = healthyFakes('s1');
    fakes.apply.respond = (_, call) => appliedReply('s1', { containerId: `c-${call}` });
    fakes.view.respond = (_, call) => viewReply(call);
    const { actor } = start(sliceRequest('s1'), fakes);
    await reach(actor, 'active');

    actor.send(slaViolation());
    await waitFor(actor, (s) => s.context.record.placement?.containerId === 'c-2');

    expect(states(actor).slice(-3)).toEqual(['active', 'adapting', 'active']);
    expect(actor.getSnapshot().context.causes.slice(-2)).toEqual(['violation', 'adapted']);
    expect(actor.getSnapshot().context.view).toBeUndefined();
    expect(fakes.interpret.calls).toHaveLength(1);
    // The re-plan asked for the version its own view step gave, not the one of the first
    // deployment (the orchestrator frees what the slice holds when it plans it again)…
    expect(fakes.plan.calls[1]?.request.minViewVersion).toBe(2);
    expect(fakes.view.calls).toHaveLength(2);
    // …and it steers clear of the container and nodes the latency violation was seen on.
    expect(fakes.plan.calls[0]?.request.avoid).toBeUndefined();
    expect(fakes.plan.calls[1]?.request.avoid).toEqual({
      containerIds: ['c-1'],
      vnfNodeIds: ['vnf-1'],
    });
  });

  it('keeps the old placement when re-planning after a violation is rejected', async () => {
    const fakes = healthyFakes('s1');
    fakes.plan.respond = (_, call) =>
      call === 1 ? plannedReply('s1') : rejectedPlacement('s1', 'no capacity left');
    const { actor } = start(sliceRequest('s1'), fakes);
    await reach(actor, 'active');

    actor.send(slaViolation());
    await waitFor(actor, (s) => s.context.causes.at(-1) === 'adaptation-rejected');

    const record = actor.getSnapshot().context.record;
    expect(record.state).toBe('active');
    expect(record.placement?.containerId).toBe('c-1');
    expect(record.history.at(-1)?.note).toContain('no capacity left');
    expect(record.history.at(-1)?.note).toContain('keeping the current placement');
    expect(fakes.apply.calls).toHaveLength(1);
  });

  it('reverts a change whose re-plan is rejected', async () => {
    const fakes = healthyFakes('s1');
    fakes.plan.respond = (_, call) => (call === 1 ? plannedReply('s1') : rejectedPlacement('s1'));
    const { actor } = start(sliceRequest('s1'), fakes);
    await reach(actor, 'active');
    actor.send({
      type: 'slice.change.v2',
      tenant: 'default',
      sliceId: 's1',
      changeId: 'c9',
      sla: { latency: 'best-effort' },
      demand: { cpu: 9, mem: 9 },
      submittedAt: 5,
    });
    await waitFor(actor, (s) => s.context.causes.at(-1) === 'adaptation-rejected');
    const record = actor.getSnapshot().context.record;
    expect(record.sla).toBeUndefined();
    expect(record.demand).toBeUndefined();
    expect(record.profile?.latency).toBe('high');
  });

  it('retries an interpreter that times out and fails after the last attempt', async () => {
    const fakes = healthyFakes('s1');
    fakes.interpret.respond = () => NEVER;
    const { actor, clock } = start(sliceRequest('s1'), fakes);
    expect(fakes.interpret.calls).toHaveLength(1);

    clock.increment(1_000); // first timeout
    expect(actor.getSnapshot().matches({ interpreting: 'backoff' })).toBe(true);
    clock.increment(100); // backoff over: second attempt
    expect(fakes.interpret.calls).toHaveLength(2);
    expect(fakes.interpret.calls[1]?.attempt).toBe(2);
    clock.increment(1_000); // second timeout
    clock.increment(100); // backoff over: third attempt
    expect(fakes.interpret.calls).toHaveLength(3);
    clock.increment(999);
    expect(actor.getSnapshot().context.record.state).toBe('interpreting');
    clock.increment(1); // third timeout: out of attempts

    const snapshot = actor.getSnapshot();
    expect(snapshot.status).toBe('done');
    expect(states(actor)).toEqual(['requested', 'interpreting', 'failed']);
    expect(snapshot.context.record.error).toMatch(
      /interpreter failed after 3 attempt\(s\): interpreter did not answer in time/,
    );
    expect(snapshot.context.record.served).toBe(false);
    // Every abandoned call was cancelled.
    expect(fakes.interpret.aborted).toBe(3);
    expect(fakes.release.calls).toHaveLength(0);
  });

  it('recovers when a retry of a timed-out call succeeds', async () => {
    const fakes = healthyFakes('s1');
    fakes.interpret.respond = (input, call) =>
      call === 1 ? NEVER : inferenceReply(input.request.sliceId);
    const { actor, clock } = start(sliceRequest('s1'), fakes);
    clock.increment(1_000);
    clock.increment(100);
    await reach(actor, 'active');
    expect(fakes.interpret.calls).toHaveLength(2);
  });

  it('fails at once on an error that retrying cannot fix', async () => {
    const fakes = healthyFakes('s1');
    fakes.interpret.respond = () =>
      new SliceMeshError('invalid-message', 'text is not a slice request');
    const { actor } = start(sliceRequest('s1'), fakes);
    await reach(actor, 'failed');
    expect(fakes.interpret.calls).toHaveLength(1);
    expect(actor.getSnapshot().context.record.error).toContain(
      'invalid-message: text is not a slice request',
    );
  });

  it('retries retryable errors after a backoff and reports the attempts when it gives up', async () => {
    const fakes = healthyFakes('s1');
    fakes.plan.respond = () => new SliceMeshError('unavailable', 'no qappo checkpoint');
    const { actor, clock } = start(sliceRequest('s1'), fakes);
    await waitFor(actor, () => fakes.plan.calls.length === 1);
    await settle();
    expect(actor.getSnapshot().matches({ planning: { placing: 'backoff' } })).toBe(true);
    clock.increment(100);
    await waitFor(actor, () => fakes.plan.calls.length === 2);
    await settle();
    clock.increment(100);
    await reach(actor, 'failed');
    expect(fakes.plan.calls).toHaveLength(3);
    expect(actor.getSnapshot().context.record.error).toBe(
      'orchestrator failed after 3 attempt(s): unavailable: no qappo checkpoint',
    );
  });

  it('ends rejected with the orchestrator reason when no placement is feasible', async () => {
    const fakes = healthyFakes('s1');
    fakes.plan.respond = () => rejectedPlacement('s1', 'latency class high cannot be met');
    const { actor } = start(sliceRequest('s1'), fakes);
    await reach(actor, 'rejected');
    const record = actor.getSnapshot().context.record;
    expect(states(actor)).toEqual(['requested', 'interpreting', 'planning', 'rejected']);
    expect(record.reason).toBe('qappo: latency class high cannot be met');
    expect(record.served).toBe(false);
    expect(fakes.apply.calls).toHaveLength(0);
    expect(fakes.release.calls).toHaveLength(0);
    // The infrastructure is told of the refusal, once, before the slice ends.
    expect(fakes.decline.calls.map((c) => c.request)).toEqual([
      { type: 'infra.decline.request.v1', sliceId: 's1' },
    ]);
  });

  it('still ends rejected when the infrastructure cannot be told of the refusal', async () => {
    const fakes = healthyFakes('s1');
    fakes.plan.respond = () => rejectedPlacement('s1', 'nothing fits');
    fakes.decline.respond = () => new SliceMeshError('timeout', 'no answer');
    const { actor } = start(sliceRequest('s1'), fakes);
    await reach(actor, 'rejected');
    expect(actor.getSnapshot().context.record.reason).toBe('qappo: nothing fits');
    expect(fakes.decline.calls).toHaveLength(1);
  });

  it('keeps the history bounded, counting the entries it drops', async () => {
    const fakes = healthyFakes('s1');
    fakes.view.respond = (_, call) => viewReply(call);
    fakes.plan.respond = (input) => plannedReply('s1', input.request.minViewVersion);
    const { actor } = start(sliceRequest('s1'), fakes);
    await reach(actor, 'active');
    const adaptations = 60;
    for (let n = 1; n <= adaptations; n++) {
      actor.send(slaViolation({ at: 3_000 + n }));
      await waitFor(
        actor,
        (s) => s.context.causes.at(-1) === 'adapted' && fakes.apply.calls.length === n + 1,
      );
    }
    const { record, causes } = actor.getSnapshot().context;
    // requested, interpreting, planning, deploying, active, then adapting + active per violation.
    const transitions = 5 + 2 * adaptations;
    expect(record.history).toHaveLength(SLICE_HISTORY_LIMIT);
    expect(record.historyDropped).toBe(transitions - SLICE_HISTORY_LIMIT);
    expect(historyCount(record)).toBe(transitions);
    expect(causes).toHaveLength(SLICE_HISTORY_LIMIT);
    expect(record.history.at(-1)?.state).toBe('active');
    expect(causes.at(-1)).toBe('adapted');
    actor.stop();
  });

  it('records a violation of a non-adaptive slice without re-placing it', async () => {
    const fakes = healthyFakes('s1');
    const { actor } = start({ ...sliceRequest('s1'), adaptive: false }, fakes);
    await reach(actor, 'active');
    expect(actor.getSnapshot().context.record.adaptive).toBe(false);

    actor.send(slaViolation({ dimension: 'reliability', observed: 3, limit: 2 }));
    await waitFor(actor, (s) => s.context.causes.at(-1) === 'violation');

    const record = actor.getSnapshot().context.record;
    expect(states(actor).slice(-2)).toEqual(['active', 'active']);
    expect(record.served).toBe(false);
    expect(record.violations).toEqual(['reliability']);
    expect(record.history.at(-1)?.note).toContain('reliability 3 exceeds limit 2');
    expect(record.placement?.containerId).toBe('c-1');
    // No re-plan, no second apply.
    expect(fakes.view.calls).toHaveLength(1);
    expect(fakes.apply.calls).toHaveLength(1);
    actor.stop();
  });

  it('re-plans when the infrastructure refuses a plan made on a stale view', async () => {
    const fakes = healthyFakes('s1');
    fakes.view.respond = (_, call) => viewReply(call);
    fakes.plan.respond = (input) => plannedReply('s1', input.request.minViewVersion);
    fakes.apply.respond = (input) =>
      input.request.plan.viewVersion < 2 ? refusedReply('s1', 'stale-view', 2) : appliedReply('s1');
    const { actor } = start(sliceRequest('s1'), fakes);
    await reach(actor, 'active');

    expect(states(actor)).toEqual([
      'requested',
      'interpreting',
      'planning',
      'deploying',
      'planning',
      'deploying',
      'active',
    ]);
    expect(actor.getSnapshot().context.causes[4]).toBe('stale-view');
    expect(fakes.apply.calls.map((c) => c.request.plan.viewVersion)).toEqual([1, 2]);
  });

  it('gives up after the re-plan bound and releases whatever may have been applied', async () => {
    const fakes = healthyFakes('s1');
    fakes.apply.respond = () => refusedReply('s1', 'stale-view');
    const { actor } = start(sliceRequest('s1'), fakes);
    await reach(actor, 'failed');
    expect(fakes.apply.calls).toHaveLength(3); // first try + maxReplans (2)
    expect(fakes.release.calls).toHaveLength(1);
    expect(states(actor).slice(-2)).toEqual(['terminating', 'failed']);
    expect(actor.getSnapshot().context.record.error).toContain('gave up after 2 re-plan(s)');
  });

  it('ends rejected when the infrastructure lacks capacity for the plan', async () => {
    const fakes = healthyFakes('s1');
    fakes.apply.respond = () => refusedReply('s1', 'capacity');
    const { actor } = start(sliceRequest('s1'), fakes);
    await reach(actor, 'rejected');
    expect(actor.getSnapshot().context.record.reason).toContain('capacity');
    expect(fakes.release.calls).toHaveLength(1);
  });

  it('terminates an active slice: releases its resources and ends released', async () => {
    const fakes = healthyFakes('s1');
    const { actor } = start(sliceRequest('s1'), fakes);
    await reach(actor, 'active');
    actor.send({
      type: 'slice.terminate.v2',
      tenant: 'default',
      sliceId: 's1',
      reason: 'shift over',
      submittedAt: 9,
    });
    await reach(actor, 'released');
    expect(states(actor).slice(-3)).toEqual(['active', 'terminating', 'released']);
    expect(fakes.release.calls.map((c) => c.request.sliceId)).toEqual(['s1']);
    const record = actor.getSnapshot().context.record;
    expect(record.history.at(-2)?.note).toBe('shift over');
    // `served` keeps the outcome of the deployment.
    expect(record.served).toBe(true);
    expect(actor.getSnapshot().status).toBe('done');
  });

  it('terminates during planning: cancels the call and releases nothing', async () => {
    const fakes = healthyFakes('s1');
    fakes.plan.respond = () => NEVER;
    const { actor } = start(sliceRequest('s1'), fakes);
    await reach(actor, 'planning');
    await waitFor(actor, () => fakes.plan.calls.length === 1);
    actor.send({ type: 'slice.terminate.v2', tenant: 'default', sliceId: 's1', submittedAt: 9 });
    await reach(actor, 'released');
    expect(states(actor)).toEqual([
      'requested',
      'interpreting',
      'planning',
      'terminating',
      'released',
    ]);
    expect(fakes.plan.aborted).toBe(1);
    expect(fakes.release.calls).toHaveLength(0);
    expect(actor.getSnapshot().context.record.served).toBeUndefined();
  });

  it('terminates during deployment and releases, since the apply may have taken effect', async () => {
    const fakes = healthyFakes('s1');
    fakes.apply.respond = () => NEVER;
    const { actor } = start(sliceRequest('s1'), fakes);
    await reach(actor, 'deploying');
    actor.send({ type: 'slice.terminate.v2', tenant: 'default', sliceId: 's1', submittedAt: 9 });
    await reach(actor, 'released');
    expect(fakes.apply.aborted).toBe(1);
    expect(fakes.release.calls).toHaveLength(1);
  });

  it('ignores violations and repeated terminations where they do not apply', async () => {
    const fakes = healthyFakes('s1');
    fakes.release.respond = () => NEVER;
    const { actor } = start(sliceRequest('s1'), fakes);
    await reach(actor, 'active');
    actor.send({ type: 'slice.terminate.v2', tenant: 'default', sliceId: 's1', submittedAt: 9 });
    await reach(actor, 'terminating');
    actor.send({ type: 'slice.terminate.v2', tenant: 'default', sliceId: 's1', submittedAt: 10 });
    actor.send(slaViolation({ at: 3, dimension: 'cost', observed: 50, limit: 40 }));
    await settle();
    expect(fakes.release.calls).toHaveLength(1);
    expect(states(actor).at(-1)).toBe('terminating');
    actor.stop();
  });

  it('terminates a slice when its lifetime expires', async () => {
    const fakes = healthyFakes('s1');
    const { actor, clock } = start(sliceRequest('s1', { lifetimeMs: 5_000 }), fakes);
    await reach(actor, 'active');
    clock.increment(4_999);
    expect(actor.getSnapshot().context.record.state).toBe('active');
    clock.increment(1);
    await reach(actor, 'released');
    expect(actor.getSnapshot().context.causes.slice(-2)).toEqual(['lifetime', 'released']);
    expect(fakes.release.calls).toHaveLength(1);
  });

  it('keeps the lifetime deadline across an adaptation', async () => {
    const fakes = healthyFakes('s1');
    const { actor, clock } = start(sliceRequest('s1', { lifetimeMs: 5_000 }), fakes);
    await reach(actor, 'active');
    clock.increment(3_000);
    actor.send(slaViolation({ at: 3, observed: 50 }));
    await waitFor(actor, (s) => s.context.causes.at(-1) === 'adapted');
    clock.increment(1_999);
    expect(actor.getSnapshot().context.record.state).toBe('active');
    clock.increment(1);
    await reach(actor, 'released');
  });

  it('avoids, after a violation, the resources that explain it', () => {
    const record = SliceRecord.parse({
      sliceId: 's1',
      state: 'active',
      text: 't',
      history: [],
      placement: { site: 'local', containerId: 'c-7', vnfNodeIds: ['v-1', 'v-2'], appliedAt: 0 },
    });
    const violation = (dimension: 'latency' | 'reliability' | 'cost' | 'capacity') => ({
      type: 'sla.violation.v1' as const,
      sliceId: 's1',
      at: 0,
      dimension,
      observed: 2,
      limit: 1,
    });
    expect(avoidFor(violation('latency'), record)).toEqual({
      containerIds: ['c-7'],
      vnfNodeIds: ['v-1', 'v-2'],
    });
    expect(avoidFor(violation('reliability'), record)).toEqual({
      containerIds: [],
      vnfNodeIds: ['v-1', 'v-2'],
    });
    expect(avoidFor(violation('capacity'), record)).toEqual({
      containerIds: ['c-7'],
      vnfNodeIds: [],
    });
    expect(avoidFor(violation('cost'), record)).toBeUndefined();
    expect(avoidFor(violation('latency'), { ...record, placement: undefined })).toBeUndefined();
  });
});
