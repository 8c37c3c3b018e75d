/**
 * Telemetry's totals survive a restart of the agent: after a restart it used to
 * report 0 failed while 28 slices had failed, because the ledger lived in memory
 * only. A restarted agent must report what it reported before, not count a
 * redelivered slice event twice, and keep counting from there.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelemetryAgent, type TelemetryAgent } from '../../agents/telemetry/index.js';
import type { Bus } from '../../shared/bus/index.js';
import {
  KpiSample,
  SliceEvent,
  type QoeFigures,
  type SliceRecord,
  type SliceState,
  type TelemetrySummary,
} from '../../shared/contracts/index.js';
import { useNatsServer } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';
import { HIGH_URLLC, agentDeps } from '../unit/infrastructure-fixtures.js';

const nats = useNatsServer();
const running: { stop(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop()));
});

async function startTelemetry(bus: Bus): Promise<TelemetryAgent> {
  const agent = createTelemetryAgent(agentDeps(bus, 'telemetry'), {
    prometheusPort: -1,
    hysteresis: { enterSamples: 2, clearSamples: 2, cooldownMs: 0 },
  });
  running.push(agent);
  await agent.start();
  return agent;
}

let published = 0;

/** Publishes one transition of `sliceId` as the slice-manager would (a distinct msgId each time). */
async function transition(
  bus: Bus,
  sliceId: string,
  from: SliceState | null,
  to: SliceState,
  at: number,
  record: Partial<SliceRecord> = {},
): Promise<void> {
  const event: SliceEvent = {
    type: 'slice.event.v1',
    sliceId,
    at,
    from,
    to,
    cause: 'test',
    record: { sliceId, state: to, text: 'a robot cell', history: [], ...record },
  };
  published++;
  await bus.jsPublish(bus.subjects.sliceEvent('default', sliceId), SliceEvent, event, {
    msgId: `${sliceId}:${published}`,
  });
}

function placed(containerId: string, observed: QoeFigures, served = true): Partial<SliceRecord> {
  return {
    profile: HIGH_URLLC,
    placement: { site: 'local', containerId, vnfNodeIds: [], appliedAt: 1 },
    observed,
    served,
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

/** The summary without its time stamp, for comparing two agents. */
function totals(summary: TelemetrySummary): Omit<TelemetrySummary, 'at'> {
  const { at: _at, ...rest } = summary;
  return rest;
}

describe('telemetry agent across a restart', () => {
  it('reports the same totals after a restart, counts a redelivered event once, and keeps counting', async () => {
    const client = await nats.connectBus({ name: 'client' });
    const ns = client.namespace;
    const first = await startTelemetry(await nats.connectBus({ name: 'telemetry', namespace: ns }));

    // Two served slices (one adapted), one rejected, three failed, one still planning.
    await transition(client, 'served-a', null, 'requested', 1);
    await transition(client, 'served-a', 'deploying', 'active', 2, {
      ...placed('ct-a', { latencyMs: 20, cost: 30, reliabilityCost: 0 }),
    });
    await transition(client, 'served-b', null, 'requested', 3);
    await transition(client, 'served-b', 'deploying', 'active', 4, {
      ...placed('ct-b', { latencyMs: 10, cost: 20, reliabilityCost: 1 }),
    });
    await transition(client, 'served-b', 'active', 'adapting', 5, {
      ...placed('ct-b', { latencyMs: 10, cost: 20, reliabilityCost: 1 }),
    });
    await transition(client, 'served-b', 'adapting', 'active', 6, {
      ...placed('ct-b2', { latencyMs: 12, cost: 24, reliabilityCost: 1 }),
    });
    await transition(client, 'served-b', 'active', 'released', 7, {
      ...placed('ct-b2', { latencyMs: 12, cost: 24, reliabilityCost: 1 }),
    });
    await transition(client, 'rejected-a', null, 'requested', 8);
    await transition(client, 'rejected-a', 'planning', 'rejected', 9, { reason: 'no capacity' });
    for (const id of ['failed-a', 'failed-b', 'failed-c']) {
      await transition(client, id, null, 'requested', 10);
      await transition(client, id, 'interpreting', 'failed', 11, { error: 'interpreter down' });
    }
    await transition(client, 'pending-a', null, 'requested', 12);
    await transition(client, 'pending-a', 'requested', 'planning', 13, { profile: HIGH_URLLC });
    // Two breaching samples of served-a: one violation.
    for (let i = 0; i < 2; i++)
      client.publish(client.subjects.kpi('served-a'), KpiSample, kpi('served-a', 90, 20 + i));
    await waitFor(
      () => {
        const s = first.snapshot();
        const pending = s.slices?.find((slice) => slice.sliceId === 'pending-a');
        return (
          s.requests === 7 &&
          s.failed === 3 &&
          s.violations === 1 &&
          s.kpiSamples === 2 &&
          pending?.state === 'planning'
        );
      },
      { what: 'the first agent to see every event and sample' },
    );
    const before = totals(first.snapshot());
    expect(before).toMatchObject({
      requests: 7,
      served: 2,
      rejected: 1,
      failed: 3,
      active: 1,
      violations: 1,
      adaptations: 1,
      kpiSamples: 2,
      averages: { latencyMs: 16, cost: 27, reliabilityCost: 0.5 },
    });

    // Restart: a new process would have a new connection and an empty memory.
    await first.stop();
    const second = await startTelemetry(
      await nats.connectBus({ name: 'telemetry', namespace: ns }),
    );
    expect(totals(second.snapshot())).toEqual(before);

    // Every slice event delivered again (the durable consumer lost, as after a crash before
    // the acknowledgements reached the server): nothing is counted twice.
    await second.stop();
    const jsm = await jetstreamManager(client.connection);
    const durables = (await jsm.consumers.list(client.subjects.eventStream).next()).map(
      (c) => c.name,
    );
    expect(durables).toContain('telemetry');
    await jsm.consumers.delete(client.subjects.eventStream, 'telemetry');
    const third = await startTelemetry(await nats.connectBus({ name: 'telemetry', namespace: ns }));
    await transition(client, 'marker', null, 'requested', 14);
    await waitFor(() => third.snapshot().requests === 8, { what: 'the marker event' });
    expect(totals(third.snapshot())).toMatchObject({
      ...before,
      requests: 8,
      availabilityRatio: 2 / 8,
      slices: expect.any(Array) as unknown,
    });

    // Counting goes on from the restored totals.
    await transition(client, 'failed-d', null, 'requested', 15);
    await transition(client, 'failed-d', 'planning', 'failed', 16, { error: 'orchestrator down' });
    await transition(client, 'rejected-a', 'planning', 'rejected', 9, { reason: 'no capacity' });
    client.publish(client.subjects.kpi('served-a'), KpiSample, kpi('served-a', 20, 30));
    await waitFor(() => third.snapshot().failed === 4 && third.snapshot().kpiSamples === 3, {
      what: 'the new failure and sample',
    });
    expect(third.snapshot()).toMatchObject({
      requests: 9,
      served: 2,
      rejected: 1,
      failed: 4,
      violations: 1,
      adaptations: 1,
      kpiSamples: 3,
    });
  });
});
