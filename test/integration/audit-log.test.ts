/**
 * The audit-log extension role over a real nats-server: slice events from
 * the JetStream event stream become JSONL lines on disk, queryable over the
 * bus; a restarted agent continues the trail without writing an event twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createAuditLogAgent,
  readTrail,
  trailFiles,
  type AuditLogAgent,
} from '../../agents/audit-log/index.js';
import type { Bus } from '../../shared/bus/index.js';
import { AuditQueryReply, AuditQueryRequest, auditSubjects } from '../../shared/contracts/audit.js';
import { SliceEvent, type SliceState } from '../../shared/contracts/index.js';
import { newInstanceId } from '../../shared/runtime/agent.js';
import { ManualClock, systemClock, type Clock } from '../../shared/runtime/clock.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import { ATTR, SPAN, instrument } from '../../shared/telemetry/index.js';
import { useNatsServer } from '../helpers/nats.js';
import { testTracing } from '../helpers/tracing.js';
import { waitFor } from '../helpers/wait.js';

const nats = useNatsServer();
const tracing = testTracing('audit-integration');
const tracer = tracing.tracerProvider.getTracer('test');
const dir = mkdtempSync(join(tmpdir(), 'slicemesh-audit-'));
afterAll(async () => {
  await tracing.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

const running: AuditLogAgent[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop()));
});

async function startAudit(bus: Bus, clock: Clock = systemClock): Promise<AuditLogAgent> {
  const agent = createAuditLogAgent(
    {
      role: 'audit-log',
      instanceId: newInstanceId('audit-log'),
      bus,
      tracer,
      clock,
      logger: silentLogger,
      seed: 1,
      config: loadConfig({}),
    },
    { dir },
  );
  running.push(agent);
  await agent.start();
  return agent;
}

let index = 0;
/** Publishes a slice event into the event stream inside a span; returns its trace id. */
function publishEvent(
  bus: Bus,
  sliceId: string,
  from: SliceState | null,
  to: SliceState,
  cause: string,
) {
  index += 1;
  const event: SliceEvent = {
    type: 'slice.event.v1',
    sliceId,
    at: 1_000 + index,
    from,
    to,
    cause,
    record: {
      sliceId,
      state: to,
      text: 'robot arm control',
      history: [{ state: to, at: 1_000 + index }],
    },
  };
  return instrument(tracer, 'test.slice', { [ATTR.sliceId]: sliceId }, async (span) => {
    await bus.jsPublish(bus.subjects.sliceEvent('default', sliceId), SliceEvent, event, {
      msgId: `${sliceId}:${index}`,
    });
    return span.spanContext().traceId;
  });
}

describe('audit-log agent', () => {
  it('starts before any other role has created the event stream, and records events sent after', async () => {
    // A fresh namespace: no slice-manager or telemetry has created the stream yet.
    const bus = await nats.connectBus({ tracer });
    const agent = await startAudit(bus);
    await publishEvent(bus, 'early-1', null, 'requested', 'request');
    await waitFor(() => agent.entries().length === 1, { what: 'the first audit entry' });
  });

  it('appends each slice transition with who, what, when and the trace id, and answers queries', async () => {
    const bus = await nats.connectBus({ tracer });
    await bus.ensureStreams();
    const agent = await startAudit(bus);
    const traceId = await publishEvent(bus, 'a1', null, 'requested', 'request');
    await publishEvent(bus, 'b1', null, 'requested', 'request');
    await publishEvent(bus, 'a1', 'active', 'adapting', 'violation');
    await waitFor(() => agent.entries().length === 3, { what: 'three audit entries' });

    const lines = await readTrail(agent.file ?? '');
    expect(lines.map((l) => [l.seq, l.sliceId, l.who, l.what.to])).toEqual([
      [1, 'a1', 'requester', 'requested'],
      [2, 'b1', 'requester', 'requested'],
      [3, 'a1', 'telemetry', 'adapting'],
    ]);
    expect(lines[0]?.traceId).toBe(traceId);
    const span = tracing
      .spansNamed(SPAN.auditAppend)
      .find((s) => s.attributes[ATTR.sliceId] === 'a1');
    expect(span?.spanContext().traceId).toBe(traceId);

    const reply = await bus.request(
      auditSubjects(bus.subjects).query,
      AuditQueryRequest,
      { type: 'audit.query.request.v1', sliceId: 'a1', limit: 1 },
      AuditQueryReply,
    );
    expect(reply.matched).toBe(2);
    expect(reply.entries.map((e) => e.what.cause)).toEqual(['violation']);
    expect(reply.file).toBe(agent.file);
    // A bad query gets a typed error, not silence.
    await expect(
      bus.request(
        auditSubjects(bus.subjects).query,
        AuditQueryRequest,
        { type: 'audit.query.request.v1', limit: 5_000 } as unknown as AuditQueryRequest,
        AuditQueryReply,
      ),
    ).rejects.toMatchObject({ code: expect.stringMatching(/invalid/) });
  });

  it('continues the trail after a restart without writing an event twice', async () => {
    const bus = await nats.connectBus({ tracer });
    await bus.ensureStreams();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const first = await startAudit(bus, clock);
    await publishEvent(bus, 'r1', null, 'requested', 'request');
    await publishEvent(bus, 'r1', 'requested', 'interpreting', 'accepted');
    await waitFor(() => first.entries().length === 2, { what: 'the first run' });
    await first.stop();

    // Losing the consumer's position (as after a crash between writing and acknowledging)
    // makes JetStream deliver every event again; the trail must still hold each once.
    const jsm = await jetstreamManager(bus.connection);
    await jsm.consumers.delete(bus.subjects.eventStream, 'audit-log');
    await publishEvent(bus, 'r1', 'interpreting', 'planning', 'planning');
    clock.advance(60_000);
    const second = await startAudit(bus, clock);
    await waitFor(() => second.entries().some((e) => e.seq === 3), { what: 'the new event' });
    expect(second.entries().map((e) => e.seq)).toEqual([3]);

    const files = await trailFiles(dir, bus.namespace);
    expect(files).toHaveLength(2);
    const all = (await Promise.all(files.map(readTrail))).flat();
    expect(all.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(all.map((e) => e.what.to)).toEqual(['requested', 'interpreting', 'planning']);
  });
});
