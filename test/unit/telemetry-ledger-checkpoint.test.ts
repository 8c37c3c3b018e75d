import { describe, expect, it } from 'vitest';
import { LedgerCheckpoint, StoredLedger } from '../../agents/telemetry/checkpoint.js';
import { RECENTLY_ENDED_LIMIT, TelemetryLedger } from '../../agents/telemetry/ledger.js';
import {
  KpiSample,
  SliceEvent,
  type SliceProfile,
  type SliceState,
} from '../../shared/contracts/index.js';

const PROFILE: SliceProfile = {
  serviceType: 'URLLC',
  latency: 'high',
  reliability: 'medium',
  cost: 'general',
};
const hysteresis = { enterSamples: 2, clearSamples: 2, cooldownMs: 0 };

function event(
  sliceId: string,
  to: SliceState,
  at: number,
  record: Record<string, unknown> = {},
): SliceEvent {
  return SliceEvent.parse({
    type: 'slice.event.v1',
    sliceId,
    at,
    from: null,
    to,
    cause: 'test',
    record: { sliceId, state: to, text: 'a robot cell', history: [], ...record },
  });
}

function placed(containerId: string, latencyMs: number) {
  return {
    profile: PROFILE,
    placement: { site: 'local', containerId, vnfNodeIds: [], appliedAt: 1 },
    observed: { latencyMs, cost: 30, reliabilityCost: 1 },
    served: true,
  };
}

function sample(sliceId: string, latencyMs: number): KpiSample {
  return KpiSample.parse({
    type: 'kpi.sample.v1',
    sliceId,
    at: 1_000,
    latencyMs,
    cost: 30,
    reliabilityCost: 1,
    sharing: 2,
    cpu: 3,
    mem: 2,
    load: 1,
  });
}

/** A ledger with a bit of everything: served, ended, rejected, failed, live with samples. */
function busyLedger(): TelemetryLedger {
  const ledger = new TelemetryLedger({ hysteresis });
  ledger.onSliceEvent(event('a', 'requested', 1));
  ledger.onSliceEvent(event('a', 'active', 2, placed('ct-a', 20)));
  ledger.onSliceEvent(event('b', 'active', 3, placed('ct-b', 10)));
  ledger.onSliceEvent(event('b', 'released', 4, placed('ct-b', 10)));
  ledger.onSliceEvent(event('c', 'rejected', 5));
  ledger.onSliceEvent(event('d', 'failed', 6));
  ledger.onSliceEvent(event('e', 'planning', 7, { profile: PROFILE }));
  ledger.onKpi(sample('a', 90), 10);
  ledger.noteViolation('a');
  return ledger;
}

describe('telemetry ledger checkpoint', () => {
  it('restores the same summary, as plain data its schema accepts', () => {
    const ledger = busyLedger();
    const checkpoint = JSON.parse(JSON.stringify(ledger.checkpoint())) as unknown;
    const restored = TelemetryLedger.restore(LedgerCheckpoint.parse(checkpoint), { hysteresis });
    expect(restored.summary(100)).toEqual(ledger.summary(100));
    expect(restored.summary(100)).toMatchObject({
      requests: 5,
      served: 2,
      rejected: 1,
      failed: 1,
      violations: 1,
      kpiSamples: 1,
      averages: { latencyMs: 15 },
    });
    expect(
      StoredLedger.safeParse({ type: 'telemetry.ledger.v1', lastSeq: 9, at: 1, ledger: checkpoint })
        .success,
    ).toBe(true);
  });

  it('goes on after a restore as the original does: same totals, same breach episodes', () => {
    const original = busyLedger();
    const restored = TelemetryLedger.restore(original.checkpoint(), { hysteresis });
    for (const ledger of [original, restored]) {
      ledger.onSliceEvent(event('a', 'active', 2, placed('ct-a', 20))); // a repeat: ignored
      ledger.onSliceEvent(event('b', 'active', 8, placed('ct-b', 10))); // ended: ignored
      ledger.onSliceEvent(event('e', 'failed', 9));
      ledger.onSliceEvent(event('f', 'requested', 10));
    }
    expect(restored.summary(100)).toEqual(original.summary(100));
    expect(restored.summary(100)).toMatchObject({ requests: 6, failed: 2, served: 2 });
    // Breach episodes start afresh after a restore (they are not checkpointed): two
    // breaching samples open the placement's first one, whose msgId JetStream deduplicates.
    const opened = (ledger: TelemetryLedger) => [
      ledger.onKpi(sample('a', 90), 20).opened?.msgId,
      ledger.onKpi(sample('a', 90), 21).opened?.msgId,
    ];
    expect(opened(restored)).toEqual([undefined, 'sla-a-ct-a-1-1']);
  });

  it('remembers a bounded number of ended slices', () => {
    const ledger = new TelemetryLedger({ hysteresis });
    for (let i = 0; i < RECENTLY_ENDED_LIMIT + 10; i++)
      ledger.onSliceEvent(event(`s${i}`, 'failed', i));
    const checkpoint = ledger.checkpoint();
    expect(checkpoint.recentlyEnded).toHaveLength(RECENTLY_ENDED_LIMIT);
    expect(checkpoint.recentlyEnded[0]).toBe('s10');
    expect(checkpoint.live).toEqual([]);
    expect(checkpoint.totals.failed).toBe(RECENTLY_ENDED_LIMIT + 10);
  });
});

describe('telemetry ledger: samples arriving out of order', () => {
  it('keeps judging the newest sample when an older one arrives after it', () => {
    const ledger = new TelemetryLedger({ hysteresis });
    ledger.onSliceEvent(event('s', 'active', 1, placed('c1', 1)));
    const newer = { ...sample('s', 1), at: 2_000 };
    const older = { ...sample('s', 999), at: 1_500 };
    expect(ledger.onKpi(newer, 2_000).verdict?.breaches).toEqual([]);
    expect(ledger.onKpi(older, 2_100)).toEqual({ known: true });
    // A newer breaching sample is judged again.
    const breach = ledger.onKpi({ ...sample('s', 999), at: 2_500 }, 2_500);
    expect(breach.verdict?.breaches.map((b) => b.dimension)).toEqual(['latency']);
  });
});
