import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createInfrastructureAgent,
  type InfrastructureAgent,
} from '../../agents/infrastructure/index.js';
import { createTelemetryAgent, type TelemetryAgent } from '../../agents/telemetry/index.js';
import type { Bus } from '../../shared/bus/index.js';
import {
  ApplyReply,
  ApplyRequest,
  KpiSample,
  SliceEvent,
  SlaViolation,
  TelemetrySummary,
  SUMMARY_SLICES_LIMIT,
  TelemetrySummaryRequest,
  TrafficLoad,
  type SliceProfile,
  type SliceState,
} from '../../shared/contracts/index.js';
import { NetworkState } from '../../shared/model/index.js';
import { useNatsServer } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';
import {
  DEMAND,
  HIGH_URLLC,
  agentDeps,
  planFor,
  type Where,
} from '../unit/infrastructure-fixtures.js';

const nats = useNatsServer();
const running: { stop(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop()));
});

const PROFILE: SliceProfile = HIGH_URLLC;
const HYSTERESIS = { enterSamples: 2, clearSamples: 2, cooldownMs: 0 };

async function startTelemetry(bus: Bus): Promise<TelemetryAgent> {
  const agent = createTelemetryAgent(agentDeps(bus, 'telemetry'), {
    prometheusPort: 0,
    prometheusHost: '127.0.0.1',
    hysteresis: HYSTERESIS,
  });
  running.push(agent);
  await agent.start();
  return agent;
}

function sliceEvent(sliceId: string, to: SliceState, at: number, appliedAt = 1): SliceEvent {
  return {
    type: 'slice.event.v1',
    sliceId,
    at,
    from: null,
    to,
    cause: 'test',
    record: {
      sliceId,
      state: to,
      text: 'closed-loop control of a robot arm',
      profile: PROFILE,
      placement: { site: 'local', containerId: 'ct-local-0', vnfNodeIds: [], appliedAt },
      observed: { latencyMs: 30, cost: 30, reliabilityCost: 0 },
      served: true,
      history: [],
    },
  };
}

function kpi(sliceId: string, latencyMs: number, at: number): KpiSample {
  return {
    type: 'kpi.sample.v1',
    sliceId,
    at,
    latencyMs,
    cost: 30,
    reliabilityCost: 1,
    sharing: 2,
    cpu: 6,
    mem: 4,
    load: 2,
  };
}

/** Violations stored in the intake stream for `sliceId`. */
async function storedViolations(bus: Bus, sliceId: string): Promise<number> {
  const jsm = await jetstreamManager(bus.connection);
  const info = await jsm.streams.info(bus.subjects.intakeStream, {
    subjects_filter: bus.subjects.slaViolation(sliceId),
  });
  return info.state.subjects?.[bus.subjects.slaViolation(sliceId)] ?? 0;
}

async function publishEvent(bus: Bus, event: SliceEvent): Promise<void> {
  await bus.jsPublish(bus.subjects.sliceEvent('default', event.sliceId), SliceEvent, event, {
    msgId: `${event.sliceId}-${event.at}`,
  });
}

describe('telemetry agent', () => {
  it('publishes exactly one durable violation per breach episode, deduplicated across a restart', async () => {
    const bus = await nats.connectBus({ name: 'telemetry' });
    const client = await nats.connectBus({ name: 'client', namespace: bus.namespace });
    const telemetry = await startTelemetry(bus);
    const violations: SlaViolation[] = [];
    await client.consume(
      client.subjects.intakeStream,
      'test-violations',
      client.subjects.slaViolation('s1'),
      SlaViolation,
      (v) => void violations.push(v),
    );

    await publishEvent(client, sliceEvent('s1', 'active', 10));
    await waitFor(() => telemetry.snapshot().active === 1, { what: 'the slice event' });
    for (let i = 0; i < 6; i++)
      client.publish(client.subjects.kpi('s1'), KpiSample, kpi('s1', 90, 20 + i));
    await waitFor(
      () => telemetry.snapshot().kpiSamples === 6 && telemetry.snapshot().violations === 1,
    );
    await waitFor(() => violations.length === 1, { what: 'the violation in the intake' });
    expect(violations[0]).toMatchObject({
      type: 'sla.violation.v1',
      sliceId: 's1',
      dimension: 'latency',
      observed: 90,
      limit: 30,
    });
    expect(await storedViolations(client, 's1')).toBe(1);

    // A restarted telemetry re-detects the same episode: JetStream keeps one copy.
    await telemetry.stop();
    const restarted = await startTelemetry(bus);
    await publishEvent(client, sliceEvent('s1', 'active', 11));
    await waitFor(() => restarted.snapshot().active === 1);
    for (let i = 0; i < 3; i++)
      client.publish(client.subjects.kpi('s1'), KpiSample, kpi('s1', 90, 40 + i));
    // The totals carry on from before the restart (6 samples), and the duplicate is not counted.
    await waitFor(() => restarted.snapshot().kpiSamples === 9);
    await client.flush();
    expect(await storedViolations(client, 's1')).toBe(1);
    expect(restarted.snapshot().violations).toBe(1);

    // Back within the SLA, then a new breach: a new episode, a new violation.
    for (let i = 0; i < 2; i++)
      client.publish(client.subjects.kpi('s1'), KpiSample, kpi('s1', 20, 50 + i));
    for (let i = 0; i < 2; i++)
      client.publish(client.subjects.kpi('s1'), KpiSample, kpi('s1', 95, 60 + i));
    await waitFor(() => violations.length === 2, { what: 'the second episode' });
    expect(await storedViolations(client, 's1')).toBe(2);
  });

  it('applies a burst of slice events with far fewer ledger writes than events (they share writes)', async () => {
    const bus = await nats.connectBus({ name: 'telemetry' });
    const client = await nats.connectBus({ name: 'client', namespace: bus.namespace });
    // The events are in the stream before the agent starts: it reads them as one backlog.
    const count = 300;
    await client.ensureStreams();
    for (let i = 0; i < count; i++)
      await publishEvent(client, sliceEvent(`burst-${i}`, 'active', 10 + i));
    let headWrites = 0;
    const heads = client.connection.subscribe(
      `$KV.${client.subjects.telemetryBucket}.ledger.head`,
      { callback: () => void (headWrites += 1) },
    );
    await client.flush();
    const telemetry = await startTelemetry(bus);
    await waitFor(() => telemetry.snapshot().requests === count, { what: 'every event applied' });
    const jsm = await jetstreamManager(client.connection);
    await waitFor(
      async () =>
        (await jsm.consumers.info(client.subjects.eventStream, 'telemetry')).num_ack_pending === 0,
      { what: 'every event acknowledged' },
    );
    heads.unsubscribe();
    expect(headWrites).toBeGreaterThan(0);
    expect(headWrites).toBeLessThan(count / 4);
  });

  it('pages the live slices of a summary, or lists the ones named, so no reply grows with the plant', async () => {
    const bus = await nats.connectBus({ name: 'telemetry' });
    const client = await nats.connectBus({ name: 'client', namespace: bus.namespace });
    const telemetry = await startTelemetry(bus);
    const ids = ['p1', 'p2', 'p3', 'p4', 'p5'];
    for (const [i, id] of ids.entries())
      await publishEvent(client, sliceEvent(id, 'active', 10 + i));
    await waitFor(() => telemetry.snapshot().active === ids.length, { what: 'the slice events' });
    const ask = (query: Partial<TelemetrySummaryRequest>) =>
      client.request(
        client.subjects.telemetrySummary(),
        TelemetrySummaryRequest,
        { type: 'telemetry.summary.request.v1', ...query },
        TelemetrySummary,
      );
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await ask({ limit: 2, ...(after === undefined ? {} : { after }) });
      expect(page.slices.length).toBeLessThanOrEqual(2);
      expect(page.active).toBe(ids.length);
      seen.push(...page.slices.map((x) => x.sliceId));
      after = page.nextAfter;
      pages += 1;
    } while (after !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);
    const named = await ask({ sliceIds: ['p4', 'unknown', 'p2'] });
    expect(named.slices.map((x) => x.sliceId)).toEqual(['p2', 'p4']);
    expect(named.nextAfter).toBeUndefined();
    expect((await ask({ limit: 0 })).slices).toEqual([]);
    // Beyond the largest page: a typed error, not a reply that would outgrow the bus.
    await expect(ask({ limit: SUMMARY_SLICES_LIMIT + 1 })).rejects.toMatchObject({
      code: 'invalid-message',
    });
  });

  it('answers summary queries and serves Prometheus metrics', async () => {
    const bus = await nats.connectBus({ name: 'telemetry' });
    const client = await nats.connectBus({ name: 'client', namespace: bus.namespace });
    const telemetry = await startTelemetry(bus);
    await publishEvent(client, sliceEvent('m1', 'active', 10));
    await publishEvent(client, {
      ...sliceEvent('m2', 'rejected', 11),
      record: { ...sliceEvent('m2', 'rejected', 11).record, served: false },
    });
    await waitFor(() => telemetry.snapshot().requests === 2);
    for (let i = 0; i < 2; i++)
      client.publish(client.subjects.kpi('m1'), KpiSample, kpi('m1', 90, 20 + i));
    await waitFor(() => telemetry.snapshot().violations === 1);

    const summary = await client.request(
      client.subjects.telemetrySummary(),
      TelemetrySummaryRequest,
      { type: 'telemetry.summary.request.v1' },
      TelemetrySummary,
    );
    expect(summary).toMatchObject({
      requests: 2,
      served: 1,
      rejected: 1,
      availabilityRatio: 0.5,
      active: 1,
      violations: 1,
      kpiSamples: 2,
      averages: { latencyMs: 30, cost: 30, reliabilityCost: 0 },
    });
    expect(summary.slices).toEqual([
      expect.objectContaining({ sliceId: 'm1', withinSla: false, latencyMs: 90, violations: 1 }),
    ]);

    const url = telemetry.prometheusUrl;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const response = await fetch(url ?? '');
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/^slicemesh_slices_active(\{[^}]*\})? 1$/m);
    expect(text).toMatch(/^slicemesh_availability_ratio(\{[^}]*\})? 0\.5$/m);
    expect(text).toMatch(/^slicemesh_sla_violations_total\{[^}]*dimension="latency"[^}]*\} 1$/m);
    expect(text).toMatch(/^slicemesh_slice_latency_ms_count\{[^}]*\} 2$/m);
    expect(text).toMatch(/^slicemesh_slice_requests_total(\{[^}]*\})? 2$/m);
    expect((await fetch((url ?? '').replace('/metrics', '/other'))).status).toBe(404);
  });

  it('exports metrics over OTLP/HTTP when an endpoint is configured', async () => {
    const received: { path: string; body: string }[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const bus = await nats.connectBus({ name: 'telemetry' });
      const { port } = collector.address() as AddressInfo;
      const telemetry = createTelemetryAgent(agentDeps(bus, 'telemetry'), {
        prometheusPort: -1,
        otlpEndpoint: `http://127.0.0.1:${port}`,
        otlpIntervalMs: 60_000,
      });
      running.push(telemetry);
      await telemetry.start();
      expect(telemetry.prometheusUrl).toBeUndefined();
      await telemetry.stop(); // shutting down exports what was collected
      const metrics = received.find((r) => r.path === '/v1/metrics');
      expect(metrics?.body).toContain('slicemesh_slices_active');
      expect(metrics?.body).toContain('slicemesh_availability_ratio');
    } finally {
      collector.closeAllConnections();
      await new Promise<void>((resolve) => collector.close(() => resolve()));
    }
  });

  it('turns an infrastructure surge on a shared container into one violation', async () => {
    const infraBus = await nats.connectBus({ name: 'infrastructure' });
    const bus = await nats.connectBus({ name: 'telemetry', namespace: infraBus.namespace });
    const client = await nats.connectBus({ name: 'client', namespace: infraBus.namespace });
    const infra: InfrastructureAgent = createInfrastructureAgent(
      agentDeps(infraBus, 'infrastructure'),
      { seed: 3, kpiIntervalMs: 0 },
    );
    running.push(infra);
    await infra.start();
    const telemetry = await startTelemetry(bus);

    const apply = async (sliceId: string, where: Where) => {
      // Planned on the agent's own state, as the orchestrator's replica holds it.
      const plan = planFor(NetworkState.fromView(infra.view()), sliceId, PROFILE, where);
      const reply = await client.request(
        client.subjects.infraApply(),
        ApplyRequest,
        { type: 'infra.apply.request.v1', sliceId, profile: PROFILE, demand: DEMAND, plan },
        ApplyReply,
      );
      if (reply.outcome !== 'applied') throw new Error(reply.message);
      // What the slice-manager would announce.
      await publishEvent(client, {
        ...sliceEvent(sliceId, 'active', reply.placement.appliedAt),
        record: {
          ...sliceEvent(sliceId, 'active', 0).record,
          placement: reply.placement,
          observed: reply.observed,
        },
      });
      return reply;
    };
    const a = await apply('a', { site: 'local' });
    await apply('b', { site: 'local', join: a.placement.containerId });
    await waitFor(() => telemetry.snapshot().active === 2);

    client.publish(client.subjects.trafficLoad('b'), TrafficLoad, {
      type: 'infra.load.v1',
      sliceId: 'b',
      at: Date.now(),
      factor: 2,
    });
    await waitFor(() => telemetry.snapshot().slices.every((s) => s.withinSla === false));
    infra.tick(); // the second breaching sample of each slice opens the episode
    infra.tick();
    await waitFor(() => telemetry.snapshot().violations === 2);
    expect(await storedViolations(client, 'a')).toBe(1);
    expect(await storedViolations(client, 'b')).toBe(1);
  });
});
