/**
 * The lifecycle's bus actors: the placement hooks run at the right moments —
 * before the view request, and as soon as the apply (or decline) request is
 * on the connection, before its reply.
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
  type ViewRequest,
} from '../../shared/contracts/index.js';
import { appliedReply, networkView, plannedReply } from '../helpers/slice-doubles.js';

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
  return { bus, answer: (value: unknown) => answers.shift()?.(value) };
}

const input = <T>(request: T) => ({
  sliceId: 's1',
  request,
  trace: undefined,
  timeoutMs: 1_000,
  attempt: 1,
});

describe('bus actors: placement hooks', () => {
  it('hands the placement on once the apply is sent, before its reply', async () => {
    const log: string[] = [];
    const { bus, answer } = pendingBus(log);
    const actors = busActors(bus, () => ROOT_CONTEXT, {
      beforePlacement: async (id) => void log.push(`acquire ${id}`),
      placementSent: (id) => void log.push(`hand over ${id}`),
    });
    const plan = plannedReply('s1');
    if (plan.outcome !== 'planned') throw new Error('expected a plan');
    const apply = createActor(actors.apply, {
      input: input<ApplyRequest>({
        type: 'infra.apply.request.v1',
        sliceId: 's1',
        profile: { serviceType: 'URLLC', latency: 'high', reliability: 'high', cost: 'general' },
        demand: { cpu: 2, mem: 2 },
        plan: plan.plan,
      }),
    }).start();
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['sent infrastructure.apply', 'hand over s1']);
    answer(appliedReply('s1'));
    await expect(toPromise(apply)).resolves.toMatchObject({ outcome: 'applied' });

    log.length = 0;
    const view = createActor(actors.viewNetwork, {
      input: input<ViewRequest>({ type: 'infra.view.request.v1' }),
    }).start();
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['acquire s1', 'sent infrastructure.view']);
    answer({ type: 'infra.view.reply.v1', view: networkView() });
    await toPromise(view);

    log.length = 0;
    const decline = createActor(actors.decline, {
      input: input<DeclineRequest>({ type: 'infra.decline.request.v1', sliceId: 's1' }),
    }).start();
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['sent infrastructure.decline', 'hand over s1']);
    answer({ type: 'infra.decline.reply.v1', sliceId: 's1', counted: true, viewVersion: 2 });
    await toPromise(decline);

    // Neither hook runs around the other calls.
    log.length = 0;
    const release = createActor(actors.release, {
      input: input<ReleaseRequest>({ type: 'infra.release.request.v1', sliceId: 's1' }),
    }).start();
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['sent infrastructure.release']);
    answer({ type: 'infra.release.reply.v1', sliceId: 's1', released: true, viewVersion: 3 });
    await toPromise(release);
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
