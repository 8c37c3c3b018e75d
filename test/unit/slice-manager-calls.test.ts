/**
 * The lifecycle's bus actors: the placement hooks run at the right moments —
 * the turn to place is taken in the local view step, and handed on once the
 * apply (or decline) reply has arrived — and the view step answers the
 * version the infrastructure's latest reply reported.
 */
import { describe, expect, it } from 'vitest';
import { createActor, toPromise } from 'xstate';
import { busActors } from '../../agents/slice-manager/calls.js';
import type { Bus } from '../../shared/bus/index.js';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import {
  PlacementRequest,
  createSubjects,
  type ApplyRequest,
  type DeclineRequest,
  type ReleaseRequest,
} from '../../shared/contracts/index.js';
import {
  appliedReply,
  networkView,
  plannedReply,
  refusedReply,
  releaseReply,
} from '../helpers/slice-doubles.js';

/** A bus whose requests stay unanswered until the test answers them. */
function pendingBus(log: string[]) {
  const answers: ((value: unknown) => void)[] = [];
  const bus = {
    subjects: createSubjects('calls-test'),
    request: (subject: string) => {
      log.push(`sent ${subject.split('.').slice(-2).join('.')}`);
      return new Promise((resolve) => answers.push(resolve));
    },
  } as unknown as Bus;
  return {
    bus,
    answer: (value: unknown) => {
      log.push('answered');
      answers.shift()?.(value);
    },
  };
}

const input = <T>(request: T) => ({
  sliceId: 's1',
  request,
  trace: undefined,
  timeoutMs: 1_000,
  attempt: 1,
});

const settle = () => new Promise((resolve) => setImmediate(resolve));

const PROFILE = {
  serviceType: 'URLLC',
  latency: 'high',
  reliability: 'high',
  cost: 'general',
} as const;

describe('bus actors: placement hooks and the version to plan on', () => {
  it('takes the turn in the view step and hands it on once the apply’s reply is in', async () => {
    const log: string[] = [];
    const { bus, answer } = pendingBus(log);
    const actors = busActors(bus, () => ROOT_CONTEXT, {
      beforePlacement: async (id) => void log.push(`acquire ${id}`),
      placementDone: (id) => void log.push(`hand over ${id}`),
    });
    const view = () => toPromise(createActor(actors.viewNetwork, { input: input({}) }).start());

    // Nothing heard of the infrastructure yet: plan on whatever the orchestrator has.
    await expect(view()).resolves.toEqual({ view: { version: 0 } });
    expect(log).toEqual(['acquire s1']);

    log.length = 0;
    const plan = plannedReply('s1');
    if (plan.outcome !== 'planned') throw new Error('expected a plan');
    const apply = createActor(actors.apply, {
      input: input<ApplyRequest>({
        type: 'infra.apply.request.v1',
        sliceId: 's1',
        profile: PROFILE,
        demand: { cpu: 2, mem: 2 },
        plan: plan.plan,
      }),
    }).start();
    await settle();
    // Still held while the apply is on its way: the next slice needs its version.
    expect(log).toEqual(['sent infrastructure.apply']);
    answer(appliedReply('s1', { viewVersion: 7 }));
    await expect(toPromise(apply)).resolves.toMatchObject({ outcome: 'applied' });
    expect(log).toEqual(['sent infrastructure.apply', 'answered', 'hand over s1']);
    await expect(view()).resolves.toEqual({ view: { version: 7 } });

    log.length = 0;
    const decline = createActor(actors.decline, {
      input: input<DeclineRequest>({ type: 'infra.decline.request.v1', sliceId: 's1' }),
    }).start();
    await settle();
    expect(log).toEqual(['sent infrastructure.decline']);
    answer({ type: 'infra.decline.reply.v1', sliceId: 's1', counted: true, viewVersion: 8 });
    await toPromise(decline);
    expect(log).toEqual(['sent infrastructure.decline', 'answered', 'hand over s1']);

    // A release answers outside the lock: neither hook runs, its version counts if higher.
    log.length = 0;
    const release = createActor(actors.release, {
      input: input<ReleaseRequest>({ type: 'infra.release.request.v1', sliceId: 's1' }),
    }).start();
    await settle();
    answer({ ...releaseReply('s1'), viewVersion: 9 });
    await toPromise(release);
    expect(log).toEqual(['sent infrastructure.release', 'answered']);
    await expect(view()).resolves.toEqual({ view: { version: 9 } });
  });

  it('hands the turn on when the apply fails, and takes a refusal’s version even when lower', async () => {
    const log: string[] = [];
    const bus = {
      subjects: createSubjects('calls-test'),
      request: () => {
        log.push('sent');
        return log.length === 1
          ? Promise.reject(new Error('connection closed'))
          : Promise.resolve(refusedReply('s1', 'stale-view', 3));
      },
    } as unknown as Bus;
    const actors = busActors(bus, () => ROOT_CONTEXT, {
      placementDone: (id) => void log.push(`hand over ${id}`),
    });
    const plan = plannedReply('s1');
    if (plan.outcome !== 'planned') throw new Error('expected a plan');
    const request = input<ApplyRequest>({
      type: 'infra.apply.request.v1',
      sliceId: 's1',
      profile: PROFILE,
      demand: { cpu: 2, mem: 2 },
      plan: plan.plan,
    });
    await expect(toPromise(createActor(actors.apply, { input: request }).start())).rejects.toThrow(
      'connection closed',
    );
    expect(log).toEqual(['sent', 'hand over s1']);
    // The infrastructure restarted from an older state: its own version is the one to ask for.
    await toPromise(createActor(actors.apply, { input: request }).start());
    await expect(
      toPromise(createActor(actors.viewNetwork, { input: input({}) }).start()),
    ).resolves.toEqual({ view: { version: 3 } });
  });
});

describe('bus actors: placement requests stored by an earlier build', () => {
  it('sends a restored v1 request (with the whole view) as v2, asking for that view’s version', async () => {
    const sent: unknown[] = [];
    const bus = {
      subjects: createSubjects('calls-test'),
      request: (_subject: string, _schema: unknown, message: unknown) => {
        sent.push(message);
        return Promise.resolve(plannedReply('s1', 4));
      },
    } as unknown as Bus;
    const actors = busActors(bus, () => ROOT_CONTEXT);
    const stored = {
      type: 'orchestrator.place.request.v1',
      sliceId: 's1',
      profile: { serviceType: 'URLLC', latency: 'high', reliability: 'high', cost: 'general' },
      preference: { latency: 0.4, reliability: 0.3, economics: 0.2, throughput: 0.1 },
      demand: { cpu: 3, mem: 3 },
      view: networkView(4),
      avoid: { containerIds: ['ct-local-0'], vnfNodeIds: [] },
    } as unknown as PlacementRequest;
    await toPromise(createActor(actors.plan, { input: input(stored) }).start());
    expect(sent).toEqual([
      {
        type: 'orchestrator.place.request.v2',
        sliceId: 's1',
        profile: stored.profile,
        preference: stored.preference,
        demand: stored.demand,
        minViewVersion: 4,
        avoid: { containerIds: ['ct-local-0'], vnfNodeIds: [] },
      },
    ]);
    expect(PlacementRequest.safeParse(sent[0]).success).toBe(true);
  });
});
