/**
 * The retry policy of lifecycle calls: exponential backoff with seeded
 * jitter, bounded by a retry budget that outlasts a role's restart, and only
 * for errors that say retrying may help. Driven with a SimulatedClock.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatedClock, createActor, fromPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { SliceMeshError } from '../../shared/contracts/index.js';
import {
  DEFAULT_LIFECYCLE_LIMITS,
  resolveLimits,
  type LifecycleLimits,
} from '../../agents/slice-manager/lifecycle/limits.js';
import {
  createLifecycleMachine,
  type CallInput,
} from '../../agents/slice-manager/lifecycle/machine.js';
import type { PersistedLifecycle } from '../../agents/slice-manager/lifecycle/persistence.js';
import {
  backoffDelayMs,
  decideRetry,
  jitterDraw,
} from '../../agents/slice-manager/lifecycle/retry.js';
import {
  Harness,
  LEAF_SCENARIOS,
  REPLAY_LIMITS,
  SLICE_ID,
  START_AT,
  captureLeaf,
  replayStep,
  type LeafFixture,
} from '../helpers/lifecycle-replay.js';
import {
  appliedReply,
  inferenceReply,
  plannedReply,
  sliceRequest,
  viewReply,
} from '../helpers/slice-doubles.js';

const NO_RESPONDERS = new SliceMeshError(
  'unavailable',
  'no service is listening on slicemesh.svc.orchestrator.place',
);

describe('retry delays', () => {
  const limits = resolveLimits({ retryJitter: 0 });

  it('double from the base up to the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 40].map((n) => backoffDelayMs(limits, n, 0.7));
    expect(delays).toEqual([250, 500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
  });

  it('take a share of the delay at random: 0.5 by default, within [delay/2, delay]', () => {
    const jittered = resolveLimits();
    expect(jittered.retryJitter).toBe(0.5);
    expect(backoffDelayMs(jittered, 3, 0)).toBe(1_000);
    expect(backoffDelayMs(jittered, 3, 0.5)).toBe(750);
    expect(backoffDelayMs(jittered, 3, 0.999_999)).toBe(500);
  });

  it('draw the jitter from the seed, the slice and the failure: same inputs, same draw', () => {
    const draw = jitterDraw(7, 's1', 10_000, 3);
    expect(jitterDraw(7, 's1', 10_000, 3)).toBe(draw);
    expect(draw).toBeGreaterThanOrEqual(0);
    expect(draw).toBeLessThan(1);
    const others = [
      jitterDraw(8, 's1', 10_000, 3),
      jitterDraw(7, 's2', 10_000, 3),
      jitterDraw(7, 's1', 10_001, 3),
      jitterDraw(7, 's1', 10_000, 4),
    ];
    for (const other of others) expect(other).not.toBe(draw);
    // Slices that failed together spread out: 100 slices, 100 distinct first delays.
    const spread = new Set(
      Array.from({ length: 100 }, (_, i) =>
        backoffDelayMs(resolveLimits(), 5, jitterDraw(1, `s${i}`, 10_000, 5)),
      ),
    );
    expect(spread.size).toBeGreaterThan(90);
  });

  it('are given up once the retry would start after the budget of the first failure', () => {
    const l = resolveLimits({ retryJitter: 0, retryBudgetMs: 10_000 });
    // First failure at 1 000; two earlier failures counted.
    const counters = { limits: l, attempts: 2, retryingSince: 1_000 };
    expect(decideRetry(counters, 9_999, 1, 's1')).toEqual({ retry: true, delayMs: 1_000 });
    expect(decideRetry(counters, 10_001, 1, 's1')).toEqual({ retry: false, exhausted: 'budget' });
    expect(decideRetry({ ...counters, attempts: 99 }, 1_000, 1, 's1')).toEqual({
      retry: false,
      exhausted: 'attempts',
    });
  });

  it('default to a budget of at least 30 s that the attempt cap does not cut short', () => {
    const l = DEFAULT_LIFECYCLE_LIMITS;
    expect(l.retryBudgetMs).toBeGreaterThanOrEqual(30_000);
    // Failing at once on every attempt, as with no responders, and the shortest jittered pauses:
    let attempts = 0;
    let waited = 0;
    for (;;) {
      const decision = decideRetry({ limits: l, attempts, retryingSince: 0 }, waited, 1, 's1');
      if (!decision.retry) {
        expect(decision.exhausted).toBe('budget');
        break;
      }
      attempts += 1;
      waited += decision.delayMs;
    }
    expect(waited).toBeGreaterThan(25_000);
    expect(waited).toBeLessThanOrEqual(30_000);
  });
});

/** A machine whose six calls answer at once, except `plan`, which answers as `planAnswer` says. */
function orchestratorOutage(
  clock: SimulatedClock,
  planAnswer: (input: CallInput<unknown>) => unknown,
  seed = 1,
) {
  const planCalls: number[] = [];
  const ok = <T>(reply: (sliceId: string) => T) =>
    fromPromise<T, CallInput<unknown>>(({ input }) => Promise.resolve(reply(input.sliceId)));
  const machine = createLifecycleMachine({ now: () => clock.now(), seed }).provide({
    actors: {
      interpret: ok(inferenceReply),
      viewNetwork: ok(() => viewReply(1)),
      plan: fromPromise<unknown, CallInput<unknown>>(({ input }) => {
        planCalls.push(clock.now());
        const answer = planAnswer(input);
        return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
      }),
      apply: ok((sliceId) => appliedReply(sliceId)),
      release: ok((sliceId) => ({
        type: 'infra.release.reply.v1' as const,
        sliceId,
        released: true,
        viewVersion: 3,
      })),
      decline: ok((sliceId) => ({
        type: 'infra.decline.reply.v1' as const,
        sliceId,
        counted: true,
        viewVersion: 2,
      })),
    } as never,
  });
  return { machine, planCalls };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

function startSlice(
  clock: SimulatedClock,
  machine: ReturnType<typeof orchestratorOutage>['machine'],
  limits: Partial<LifecycleLimits> = {},
) {
  clock.set(START_AT);
  const actor = createActor(machine, {
    input: { request: sliceRequest(SLICE_ID), limits },
    clock,
  });
  actor.start();
  return actor;
}

/** Advances the clock in steps of `stepMs` until `done` or `maxMs` have passed. */
async function runFor(clock: SimulatedClock, maxMs: number, done: () => boolean, stepMs = 50) {
  await settle();
  for (let waited = 0; waited < maxMs && !done(); waited += stepMs) {
    clock.increment(stepMs);
    await settle();
  }
}

describe('a call to a role that is restarting', () => {
  it('fails with no responders for 20 s, then succeeds: the slice ends active', async () => {
    const clock = new SimulatedClock();
    const back = START_AT + 20_000;
    const { machine, planCalls } = orchestratorOutage(clock, (input) =>
      clock.now() < back ? NO_RESPONDERS : plannedReply(input.sliceId, 1),
    );
    // The library defaults: no limits given.
    const actor = startSlice(clock, machine);
    await runFor(clock, 60_000, () => actor.getSnapshot().context.record.state === 'active');
    const { record } = actor.getSnapshot().context;
    expect(record.state).toBe('active');
    expect(record.history.map((h) => h.state)).toEqual([
      'requested',
      'interpreting',
      'planning',
      'deploying',
      'active',
    ]);
    // Many more than the 3 attempts a call used to get, and each retry after a pause.
    expect(planCalls.length).toBeGreaterThan(5);
    expect(planCalls.at(-1)).toBeGreaterThanOrEqual(back);
    // The answer came with the first retry after the orchestrator was back (pauses cap at 5 s).
    expect((planCalls.at(-1) ?? 0) - back).toBeLessThanOrEqual(5_000);
    expect((planCalls.at(-2) ?? Infinity) < back).toBe(true);
  });

  it('ends failed with a clear error once the retry budget is spent', async () => {
    const clock = new SimulatedClock();
    const { machine, planCalls } = orchestratorOutage(clock, () => NO_RESPONDERS);
    const actor = startSlice(clock, machine);
    await runFor(clock, 120_000, () => actor.getSnapshot().status === 'done');
    const { record } = actor.getSnapshot().context;
    expect(record.state).toBe('failed');
    expect(record.error).toMatch(
      new RegExp(
        `^orchestrator failed after ${planCalls.length} attempt\\(s\\), retrying for (2\\d|30)(\\.\\d)? s \\(retry budget 30 s\\): unavailable: no service is listening on slicemesh\\.svc\\.orchestrator\\.place$`,
      ),
    );
    // Every retry started within the budget of the first failure, the last one close to it.
    const first = planCalls[0] ?? 0;
    expect(planCalls.every((at) => at - first <= 30_000)).toBe(true);
    expect((planCalls.at(-1) ?? 0) - first).toBeGreaterThan(25_000);
  });

  it('waits a growing, jittered pause between attempts, the same for the same seed', async () => {
    const limits = { retryBackoffMs: 200, retryBackoffMaxMs: 3_200, retryJitter: 0.5 };
    const run = async (seed: number) => {
      const clock = new SimulatedClock();
      const { machine, planCalls } = orchestratorOutage(clock, () => NO_RESPONDERS, seed);
      const actor = startSlice(clock, machine, limits);
      const pauses: number[] = [];
      await settle();
      while (pauses.length < 7) {
        const { retryDelayMs } = actor.getSnapshot().context;
        expect(actor.getSnapshot().matches({ planning: { placing: 'backoff' } })).toBe(true);
        if (retryDelayMs === undefined) throw new Error('no pause chosen');
        pauses.push(retryDelayMs);
        // One millisecond short of the pause nothing happens; at the pause the retry goes out.
        const calls = planCalls.length;
        clock.increment(retryDelayMs - 1);
        await settle();
        expect(planCalls).toHaveLength(calls);
        clock.increment(1);
        await settle();
        expect(planCalls).toHaveLength(calls + 1);
      }
      actor.stop();
      return pauses;
    };
    const pauses = await run(1);
    pauses.forEach((pause, i) => {
      const grown = Math.min(3_200, 200 * 2 ** i);
      expect(pause).toBeGreaterThanOrEqual(grown / 2);
      expect(pause).toBeLessThanOrEqual(grown);
    });
    // The pauses grow overall, and are not simply the doubled base: they are jittered.
    expect(pauses.at(-1)).toBeGreaterThan(4 * (pauses[0] ?? 0));
    expect(pauses).not.toEqual([200, 400, 800, 1_600, 3_200, 3_200, 3_200]);
    expect(await run(1)).toEqual(pauses);
    expect(await run(2)).not.toEqual(pauses);
  });

  it('still fails at once on a typed error that retrying cannot fix', async () => {
    const clock = new SimulatedClock();
    const { machine, planCalls } = orchestratorOutage(
      clock,
      () => new SliceMeshError('invalid-message', 'profile unknown', { retryable: false }),
    );
    const actor = startSlice(clock, machine);
    await runFor(clock, 1_000, () => actor.getSnapshot().status === 'done');
    expect(planCalls).toHaveLength(1);
    expect(actor.getSnapshot().context.record.error).toBe(
      'orchestrator failed: invalid-message: profile unknown',
    );
  });

  it('does not retry an untyped error: only errors that say so are retried', async () => {
    const clock = new SimulatedClock();
    const { machine, planCalls } = orchestratorOutage(clock, () => new TypeError('x is undefined'));
    const actor = startSlice(clock, machine);
    await runFor(clock, 1_000, () => actor.getSnapshot().status === 'done');
    expect(planCalls).toHaveLength(1);
    expect(actor.getSnapshot().context.record.error).toBe('orchestrator failed: x is undefined');
  });

  it('outlasts a role that does not answer while it restarts, then answers', async () => {
    const clock = new SimulatedClock();
    const back = START_AT + 12_000;
    // Requests sent before the restart get no reply at all; the attempt times out.
    const { machine, planCalls } = orchestratorOutage(clock, (input) =>
      clock.now() < back ? new Promise<never>(() => undefined) : plannedReply(input.sliceId, 1),
    );
    const actor = startSlice(clock, machine, { planTimeoutMs: 5_000 });
    await runFor(clock, 60_000, () => actor.getSnapshot().context.record.state === 'active');
    expect(actor.getSnapshot().context.record.state).toBe('active');
    expect(planCalls.length).toBeGreaterThanOrEqual(3);
  });
});

describe('a slice stored before the retry budget existed', () => {
  // What the previous build stored: limits without the three retry fields, no retry bookkeeping.
  const LEGACY_LIMITS: Partial<LifecycleLimits> = {
    ...REPLAY_LIMITS,
    retryBackoffMaxMs: undefined,
    retryJitter: undefined,
    retryBudgetMs: undefined,
  };
  const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'lifecycle-snapshots');
  const withoutRetryState = (snapshot: PersistedLifecycle): PersistedLifecycle => {
    const copy = structuredClone(snapshot);
    const context = copy.context as Record<string, unknown>;
    delete context.retryingSince;
    delete context.retryDelayMs;
    return copy;
  };
  const NEW_FIELDS = new Set([
    'retryBackoffMaxMs',
    'retryJitter',
    'retryBudgetMs',
    'retryingSince',
    'retryDelayMs',
  ]);
  const comparable = (value: unknown): string =>
    JSON.stringify(value, (key, v: unknown) => (NEW_FIELDS.has(key) ? undefined : v));

  it.each(Object.keys(LEAF_SCENARIOS))(
    'in %s restores and takes the transitions recorded for it, with a fixed pause and its attempts',
    async (leaf) => {
      const fixture = JSON.parse(
        readFileSync(join(FIXTURES, `${leaf}.json`), 'utf8'),
      ) as LeafFixture;
      const { snapshot, capturedAt } = await captureLeaf(leaf, LEGACY_LIMITS);
      const legacy = withoutRetryState(snapshot);
      expect(Object.keys(legacy.context.limits as object)).not.toContain('retryBudgetMs');
      expect(comparable(legacy)).toBe(comparable(fixture.snapshot));
      for (const [name, step] of Object.entries(LEAF_SCENARIOS[leaf]?.steps ?? {})) {
        const result = await replayStep(legacy, capturedAt, step);
        const expected = fixture.next[name];
        expect({ step: name, state: result.state, calls: result.calls }).toEqual({
          step: name,
          state: expected?.state,
          calls: expected?.calls,
        });
        expect(comparable(result.snapshot)).toBe(comparable(expected?.snapshot));
      }
    },
  );

  it('keeps its fixed pause of retryBackoffMs', async () => {
    const h = new Harness({}, START_AT, LEGACY_LIMITS);
    const actor = h.start();
    await h.tick(1_000);
    expect(actor.getSnapshot().matches({ interpreting: 'backoff' })).toBe(true);
    await h.tick(99);
    expect(h.calls.interpret).toBe(1);
    await h.tick(1, 1_000, 99);
    expect(h.calls.interpret).toBe(2);
    await h.tick(1);
    expect(h.calls.interpret).toBe(3);
    actor.stop();
  });
});
