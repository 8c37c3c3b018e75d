/**
 * A slice request through a real NATS/JetStream to the slice-manager, with
 * the other agents played by doubles that speak the real contracts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SLICE_HISTORY_LIMIT,
  SlaViolation,
  SliceEvent,
  SliceGetReply,
  SliceGetRequest,
  SliceListReply,
  SliceListRequest,
  SliceOutcome,
  SliceRequest,
  SliceTermination,
  historyCount,
  type PlacementReply,
  type SliceRecord,
  type SliceState,
} from '../../shared/contracts/index.js';
import type { Bus } from '../../shared/bus/index.js';
import { newInstanceId } from '../../shared/runtime/agent.js';
import { systemClock } from '../../shared/runtime/clock.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import { SPAN } from '../../shared/telemetry/index.js';
import {
  createSliceManagerAgent,
  type SliceManagerAgent,
} from '../../agents/slice-manager/index.js';
import { SliceManager } from '../../agents/slice-manager/manager.js';
import { openSliceStore } from '../../agents/slice-manager/store.js';
import { uniqueNamespace, useNatsServer } from '../helpers/nats.js';
import {
  plannedReply,
  serveAgentDoubles,
  sliceRequest,
  type AgentDoubles,
} from '../helpers/slice-doubles.js';
import { testTracing, type TestTracing } from '../helpers/tracing.js';
import { waitFor } from '../helpers/wait.js';

const nats = useNatsServer();

describe('slice-manager over NATS', () => {
  let bus: Bus;
  let manager: SliceManagerAgent;
  let doubles: AgentDoubles;
  let tracing: TestTracing;
  const events: SliceEvent[] = [];
  const outcomes: SliceOutcome[] = [];

  beforeAll(async () => {
    tracing = testTracing('slice-manager-test');
    bus = await nats.connectBus({ tracer: tracing.tracer() });
    doubles = serveAgentDoubles(bus);
    manager = createSliceManagerAgent(
      {
        role: 'slice-manager',
        instanceId: newInstanceId('slice-manager'),
        bus,
        tracer: tracing.tracer(),
        clock: systemClock,
        logger: silentLogger,
        seed: 1,
        config: loadConfig({}),
      },
      { limits: { retryBackoffMs: 50 } },
    );
    await manager.start();
    expect(manager.state).toBe('running');
    bus.subscribe(bus.subjects.sliceOutcomesAll(), SliceOutcome, (outcome) => {
      outcomes.push(outcome);
    });
    // Read the events stream itself (not a live subscription): it is what replays see.
    await bus.consume(
      bus.subjects.eventStream,
      'test-reader',
      bus.subjects.sliceEventsAll(),
      SliceEvent,
      (event) => {
        events.push(event);
      },
    );
  });

  afterAll(async () => {
    await manager.stop();
    expect(await manager.stopped).toBeNull();
    await doubles.stop();
    await tracing.shutdown();
  });

  const eventsOf = (sliceId: string) => events.filter((e) => e.sliceId === sliceId);
  const reached = (sliceId: string, state: SliceState) =>
    eventsOf(sliceId).some((e) => e.to === state);

  it('takes a request to active and announces every transition in order', async () => {
    const request = sliceRequest('line-1', { sla: { cost: 'cost-sensitive' } });
    await bus.jsPublish(bus.subjects.sliceRequest('default', 'line-1'), SliceRequest, request, {
      msgId: 'line-1',
    });
    await waitFor(() => reached('line-1', 'active'), { what: 'line-1 active' });

    const stream = eventsOf('line-1');
    expect(stream.map((e) => e.to)).toEqual([
      'requested',
      'interpreting',
      'planning',
      'deploying',
      'active',
    ]);
    expect(stream.map((e) => e.from)).toEqual([
      null,
      'requested',
      'interpreting',
      'planning',
      'deploying',
    ]);
    expect(stream.at(-1)?.cause).toBe('applied');
    const record = stream.at(-1)?.record;
    expect(record?.profile?.cost).toBe('cost-sensitive');
    expect(record?.placement?.containerId).toBe('c-1');
    expect(record?.served).toBe(true);
    expect(doubles.calls.apply.get('line-1')).toBe(1);

    await waitFor(() => outcomes.find((o) => o.sliceId === 'line-1'), { what: 'an outcome' });
    expect(outcomes.find((o) => o.sliceId === 'line-1')?.served).toBe(true);
  });

  it('stores how many transitions it announced, soon after the slice settles', async () => {
    const store = await openSliceStore(bus);
    // line-1 went requested → active (five transitions) and has stayed put since.
    await waitFor(async () => (await store.get('line-1'))?.value.eventsPublished === 5, {
      what: 'the announced count of line-1 stored',
    });
    const stored = await store.get('line-1');
    expect(stored?.value.eventsPublished).toBe(5);
  });

  it('answers get and list from its records, and get of an unknown slice with a typed error', async () => {
    const got = await bus.request(
      bus.subjects.sliceGet(),
      SliceGetRequest,
      { type: 'slice.get.request.v1', sliceId: 'line-1' },
      SliceGetReply,
    );
    expect(got.slice.state).toBe('active');
    expect(got.slice.history.map((h) => h.state)).toContain('deploying');

    const listed = await bus.request(
      bus.subjects.sliceList(),
      SliceListRequest,
      { type: 'slice.list.request.v2', state: 'active' },
      SliceListReply,
    );
    expect(listed.slices.map((s) => s.sliceId)).toEqual(['line-1']);

    await expect(
      bus.request(
        bus.subjects.sliceGet(),
        SliceGetRequest,
        { type: 'slice.get.request.v1', sliceId: 'nobody' },
        SliceGetReply,
      ),
    ).rejects.toMatchObject({ code: 'unknown-slice' });
  });

  it('keeps one trace per slice request: state spans and calls share its trace id', async () => {
    await tracing.flush();
    const got = await bus.request(
      bus.subjects.sliceGet(),
      SliceGetRequest,
      { type: 'slice.get.request.v1', sliceId: 'line-1' },
      SliceGetReply,
    );
    const traceId = got.slice.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const spans = tracing.spans().filter((s) => s.spanContext().traceId === traceId);
    const names = spans.map((s) => s.name);
    expect(names).toContain(SPAN.sliceLifecycle);
    // The trace began where the request was published: the intake joined it.
    expect(names).toContain(
      `${SPAN.busJsPublish} ${bus.subjects.sliceRequest('default', 'line-1')}`,
    );
    for (const state of ['interpreting', 'planning', 'deploying']) {
      expect(names).toContain(`${SPAN.sliceTransition} ${state}`);
    }
    // Each call to another agent is a child of the state that made it.
    const planning = spans.find((s) => s.name === `${SPAN.sliceTransition} planning`);
    const placeCall = spans.find(
      (s) => s.name === `${SPAN.busRequest} ${bus.subjects.orchestratorPlace()}`,
    );
    expect(placeCall?.parentSpanContext?.spanId).toBe(planning?.spanContext().spanId);
  });

  it('does not duplicate a request delivered twice, and releases on termination', async () => {
    const request = sliceRequest('line-2');
    // Different msgIds defeat JetStream's deduplication: the slice-manager must recognise it.
    await bus.jsPublish(bus.subjects.sliceRequest('default', 'line-2'), SliceRequest, request, {
      msgId: 'line-2-a',
    });
    await bus.jsPublish(bus.subjects.sliceRequest('default', 'line-2'), SliceRequest, request, {
      msgId: 'line-2-b',
    });
    await waitFor(() => reached('line-2', 'active'), { what: 'line-2 active' });
    await waitFor(() => manager.counters().duplicates >= 1, { what: 'the duplicate' });
    expect(doubles.calls.infer.get('line-2')).toBe(1);
    expect(doubles.calls.apply.get('line-2')).toBe(1);

    const termination: SliceTermination = {
      type: 'slice.terminate.v2',
      tenant: 'default',
      sliceId: 'line-2',
      reason: 'job done',
      submittedAt: Date.now(),
    };
    await bus.jsPublish(
      bus.subjects.sliceTerminate('default', 'line-2'),
      SliceTermination,
      termination,
      {
        msgId: 'line-2-end',
      },
    );
    await waitFor(() => reached('line-2', 'released'), { what: 'line-2 released' });
    expect(eventsOf('line-2').map((e) => e.to)).toEqual([
      'requested',
      'interpreting',
      'planning',
      'deploying',
      'active',
      'terminating',
      'released',
    ]);
    expect(doubles.calls.release.get('line-2')).toBe(1);
    expect(manager.records('active').map((r) => r.sliceId)).toEqual(['line-1']);
  });

  it('announces every transition of a slice adapted again and again, its record bounded', async () => {
    const id = 'line-3';
    await bus.jsPublish(bus.subjects.sliceRequest('default', id), SliceRequest, sliceRequest(id), {
      msgId: id,
    });
    await waitFor(() => reached(id, 'active'), { what: `${id} active` });
    const adaptations = 55;
    for (let n = 1; n <= adaptations; n++) {
      const violation: SlaViolation = {
        type: 'sla.violation.v1',
        sliceId: id,
        at: Date.now(),
        dimension: 'latency',
        observed: 45,
        limit: 30,
      };
      await bus.jsPublish(bus.subjects.slaViolation(id), SlaViolation, violation, {
        msgId: `${id}-violation-${n}`,
      });
      await waitFor(() => eventsOf(id).length === 5 + 2 * n, {
        what: `adaptation ${n} of ${id}`,
      });
    }
    const stream = eventsOf(id);
    const transitions = 5 + 2 * adaptations;
    // Every transition announced once, in order, although the record keeps only the latest ones.
    expect(stream).toHaveLength(transitions);
    expect(stream.slice(-2).map((e) => e.to)).toEqual(['adapting', 'active']);
    const last = stream.at(-1)?.record as SliceRecord;
    expect(last.history).toHaveLength(SLICE_HISTORY_LIMIT);
    expect(historyCount(last)).toBe(transitions);
    const stored = manager.records().find((r) => r.sliceId === id) as SliceRecord;
    expect(historyCount(stored)).toBe(transitions);
    expect(stored.history.length).toBeLessThanOrEqual(SLICE_HISTORY_LIMIT);
  });
});

describe('slice-manager stopped gracefully mid-lifecycle', () => {
  it('stores its slices on stop and a new instance resumes them', async () => {
    const namespace = uniqueNamespace('stop');
    const client = await nats.connectBus({ namespace, name: 'client' });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const doubles = serveAgentDoubles(client, {
      place: async (request): Promise<PlacementReply> => {
        await held;
        return plannedReply(request.sliceId, request.minViewVersion);
      },
    });
    const start = async () => {
      const bus = await nats.connectBus({ namespace, name: 'slice-manager' });
      const manager = new SliceManager({ bus, logger: silentLogger, clock: systemClock });
      await manager.start();
      return manager;
    };
    try {
      const first = await start();
      await client.jsPublish(
        client.subjects.sliceRequest('default', 'hall-1'),
        SliceRequest,
        sliceRequest('hall-1'),
        {
          msgId: 'hall-1',
        },
      );
      await waitFor(() => doubles.calls.place.get('hall-1') === 1, { what: 'the held placement' });
      await first.stop();

      release();
      const second = await start();
      expect(second.counters().resumed).toBe(1);
      await waitFor(() => second.records('active').length === 1, { what: 'hall-1 active' });
      expect(doubles.calls.infer.get('hall-1')).toBe(1);
      expect(doubles.calls.apply.get('hall-1')).toBe(1);
      await second.stop();
    } finally {
      release();
      await doubles.stop();
    }
  });
});
