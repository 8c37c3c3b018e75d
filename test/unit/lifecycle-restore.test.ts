import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, fromPromise, waitFor } from 'xstate';
import type {
  ApplyReply,
  ApplyRequest,
  InferenceReply,
  InferenceRequest,
  PlacementReply,
  PlacementRequest,
  ReleaseReply,
  ReleaseRequest,
  SliceState,
} from '../../shared/contracts/index.js';
import type { LocalViewRequest, ViewStep } from '../../agents/slice-manager/lifecycle/types.js';
import {
  createLifecycleMachine,
  type CallInput,
  type LifecycleActor,
  type LifecycleInput,
} from '../../agents/slice-manager/lifecycle/machine.js';
import {
  isFinished,
  parsePersistedLifecycle,
  persistLifecycle,
  restoreLifecycle,
} from '../../agents/slice-manager/lifecycle/persistence.js';
import {
  appliedReply,
  inferenceReply,
  plannedReply,
  releaseReply,
  sliceRequest,
  viewReply,
} from '../helpers/slice-doubles.js';

type Answer<T> = T | 'never';

/** Fake agents whose answers can be switched between "reply" and "never answer". */
function fakes(sliceId: string, hang: Partial<Record<'interpret' | 'plan' | 'apply', true>> = {}) {
  const calls = { interpret: 0, view: 0, plan: 0, apply: 0, release: 0 };
  const respond = <TReq, TRep>(name: keyof typeof calls, answer: () => Answer<TRep>) =>
    fromPromise<TRep, CallInput<TReq>>(() => {
      calls[name] += 1;
      const value = answer();
      return value === 'never' ? new Promise<TRep>(() => undefined) : Promise.resolve(value);
    });
  const actors = {
    interpret: respond<InferenceRequest, InferenceReply>('interpret', () =>
      hang.interpret ? 'never' : inferenceReply(sliceId),
    ),
    viewNetwork: respond<LocalViewRequest, ViewStep>('view', () => viewReply(1)),
    plan: respond<PlacementRequest, PlacementReply>('plan', () =>
      hang.plan ? 'never' : plannedReply(sliceId),
    ),
    apply: respond<ApplyRequest, ApplyReply>('apply', () =>
      hang.apply ? 'never' : appliedReply(sliceId),
    ),
    release: respond<ReleaseRequest, ReleaseReply>('release', () => releaseReply(sliceId)),
  };
  return { calls, actors };
}

const LIMITS = {
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
};

function machine(clock: SimulatedClock, actors: ReturnType<typeof fakes>['actors']) {
  return createLifecycleMachine({ now: () => clock.now() }).provide({ actors });
}

function begin(
  input: LifecycleInput,
  actors: ReturnType<typeof fakes>['actors'],
  clock: SimulatedClock,
) {
  const actor = createActor(machine(clock, actors), { input, clock });
  actor.start();
  return actor;
}

/** What a store does to a snapshot: serialise to text and parse it back. */
function throughStorage(actor: LifecycleActor) {
  return parsePersistedLifecycle(JSON.parse(JSON.stringify(persistLifecycle(actor))));
}

async function reach(actor: LifecycleActor, state: SliceState) {
  await waitFor(actor, (s) => s.context.record.state === state, { timeout: 2_000 });
}

function newClock(at: number) {
  const clock = new SimulatedClock();
  clock.set(at);
  return clock;
}

describe('slice lifecycle persistence', () => {
  it('resumes a slice persisted with an orchestrator call in flight and re-sends that call once', async () => {
    const clock = newClock(10_000);
    const before = fakes('s1', { plan: true });
    const first = begin({ request: sliceRequest('s1'), limits: LIMITS }, before.actors, clock);
    await waitFor(first, () => before.calls.plan === 1);
    const stored = throughStorage(first);
    first.stop(); // the process dies

    expect(stored.context.record.state).toBe('planning');
    expect(stored.context.view).toMatchObject({ version: 1 }); // the re-sent call plans on it
    expect(isFinished(stored)).toBe(false);

    const after = fakes('s1');
    const restored = restoreLifecycle(machine(clock, after.actors), stored, { clock });
    await reach(restored, 'active');

    expect(after.calls).toEqual({ interpret: 0, view: 0, plan: 1, apply: 1, release: 0 });
    expect(restored.getSnapshot().context.record.history.map((h) => h.state)).toEqual([
      'requested',
      'interpreting',
      'planning',
      'deploying',
      'active',
    ]);
  });

  it('re-arms the call timeout after a restore, keeping the attempt count', async () => {
    const clock = newClock(10_000);
    const before = fakes('s1', { interpret: true });
    const first = begin({ request: sliceRequest('s1'), limits: LIMITS }, before.actors, clock);
    clock.increment(1_000); // attempt 1 timed out
    clock.increment(100); // attempt 2 in flight
    expect(before.calls.interpret).toBe(2);
    const stored = throughStorage(first);
    first.stop();

    const after = fakes('s1', { interpret: true });
    const restored = restoreLifecycle(machine(clock, after.actors), stored, { clock });
    expect(after.calls.interpret).toBe(1); // attempt 2 re-sent by XState on restore
    clock.increment(1_000); // its timeout was re-armed by RESUME
    clock.increment(100); // attempt 3
    expect(after.calls.interpret).toBe(2);
    clock.increment(1_000);
    await reach(restored, 'failed');
    expect(restored.getSnapshot().context.record.error).toContain('after 3 attempt(s)');
  });

  it('moves on from a backoff interrupted by the restart', async () => {
    const clock = newClock(10_000);
    const before = fakes('s1', { interpret: true });
    const first = begin({ request: sliceRequest('s1'), limits: LIMITS }, before.actors, clock);
    clock.increment(1_000);
    expect(first.getSnapshot().matches({ interpreting: 'backoff' })).toBe(true);
    const stored = throughStorage(first);
    first.stop();

    const after = fakes('s1');
    const restored = restoreLifecycle(machine(clock, after.actors), stored, { clock });
    await reach(restored, 'active');
    expect(after.calls.interpret).toBe(1);
  });

  it('expires a restored slice at its original lifetime deadline', async () => {
    const clock = newClock(10_000);
    const before = fakes('s1');
    const first = begin(
      { request: sliceRequest('s1', { lifetimeMs: 5_000 }), limits: LIMITS },
      before.actors,
      clock,
    );
    await reach(first, 'active');
    clock.increment(2_000);
    const stored = throughStorage(first);
    first.stop();
    expect(stored.context.expiresAt).toBe(15_000);

    const later = newClock(14_000); // the restart took two seconds
    const after = fakes('s1');
    const restored = restoreLifecycle(machine(later, after.actors), stored, { clock: later });
    later.increment(999);
    expect(restored.getSnapshot().context.record.state).toBe('active');
    later.increment(1);
    await reach(restored, 'released');
    expect(after.calls.release).toBe(1);
  });

  it('stores an active slice without the network view it was planned on', async () => {
    const clock = newClock(10_000);
    const first = begin({ request: sliceRequest('s1'), limits: LIMITS }, fakes('s1').actors, clock);
    await reach(first, 'active');
    const text = JSON.stringify(persistLifecycle(first));
    first.stop();

    expect(parsePersistedLifecycle(JSON.parse(text)).context.view).toBeUndefined();
    // Neither the context nor an invoked call's input keeps a copy.
    expect(text).not.toContain('"view":');
  });

  it('keeps an active slice active and able to take events after a restore', async () => {
    const clock = newClock(10_000);
    const before = fakes('s1');
    const first = begin({ request: sliceRequest('s1'), limits: LIMITS }, before.actors, clock);
    await reach(first, 'active');
    const stored = throughStorage(first);
    first.stop();

    const after = fakes('s1');
    const restored = restoreLifecycle(machine(clock, after.actors), stored, { clock });
    expect(after.calls).toEqual({ interpret: 0, view: 0, plan: 0, apply: 0, release: 0 });
    restored.send({ type: 'slice.terminate.v2', tenant: 'default', sliceId: 's1', submittedAt: 1 });
    await reach(restored, 'released');
    expect(after.calls.release).toBe(1);
  });

  it('restores a finished slice as finished, without calling anyone', async () => {
    const clock = newClock(10_000);
    const before = fakes('s1');
    const first = begin({ request: sliceRequest('s1'), limits: LIMITS }, before.actors, clock);
    await reach(first, 'active');
    first.send({ type: 'slice.terminate.v2', tenant: 'default', sliceId: 's1', submittedAt: 1 });
    await reach(first, 'released');
    const stored = throughStorage(first);
    expect(isFinished(stored)).toBe(true);

    const after = fakes('s1');
    const restored = restoreLifecycle(machine(clock, after.actors), stored, { clock });
    expect(restored.getSnapshot().status).toBe('done');
    expect(restored.getSnapshot().context.record.state).toBe('released');
    expect(Object.values(after.calls).every((n) => n === 0)).toBe(true);
  });

  it('refuses a stored value that is not a lifecycle snapshot with a typed error', () => {
    expect(() => parsePersistedLifecycle({ value: 'active' })).toThrow(
      expect.objectContaining({ code: 'invalid-message' }),
    );
  });
});
