import { describe, expect, it } from 'vitest';
import { BreachTracker } from '../../agents/telemetry/breach.js';
import { TelemetryLedger } from '../../agents/telemetry/ledger.js';
import { judgeSample, slaLimits, type Breach } from '../../agents/telemetry/sla.js';
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
const LIMITS = slaLimits(PROFILE);

function sample(latencyMs: number, extra: Partial<KpiSample> = {}): KpiSample {
  return KpiSample.parse({
    type: 'kpi.sample.v1',
    sliceId: 's1',
    at: 1_000,
    latencyMs,
    cost: 30,
    reliabilityCost: 1,
    sharing: 2,
    cpu: 3,
    mem: 2,
    load: 1,
    ...extra,
  });
}

const LATENCY_BREACH: Breach[] = [{ dimension: 'latency', observed: 90, limit: 30, ratio: 3 }];

describe('SLA judgement', () => {
  it('takes its limits from the model parameter set', () => {
    expect(LIMITS).toEqual({ latencyMs: 30, sharing: 2, cost: 40 });
  });

  it('is within the SLA at the limits and has full QoE', () => {
    const verdict = judgeSample(LIMITS, sample(30));
    expect(verdict).toEqual({ withinSla: true, breaches: [], qoe: 1 });
  });

  it('never puts full QoE above 1, whatever the renormalised weights round to', () => {
    // 0.4/0.9 + 0.3/0.9 + 0.2/0.9 is 1.0000000000000002 in floating point.
    const preference = { latency: 0.4, reliability: 0.3, economics: 0.2, throughput: 0.1 };
    expect(judgeSample(LIMITS, sample(30), preference).qoe).toBe(1);
  });

  it('lists breaches worst first and lowers the preference-weighted QoE', () => {
    const verdict = judgeSample(LIMITS, sample(60, { sharing: 3 }), {
      latency: 0.5,
      reliability: 0.25,
      economics: 0.25,
      throughput: 0,
    });
    expect(verdict.withinSla).toBe(false);
    expect(verdict.breaches.map((b) => [b.dimension, b.observed, b.limit])).toEqual([
      ['latency', 60, 30],
      ['reliability', 3, 2],
    ]);
    expect(verdict.qoe).toBeCloseTo(0.5 * (30 / 60) + 0.25 * (2 / 3) + 0.25, 10);
  });

  it('without the sharing figure, a shared node breaks only a limit of one', () => {
    const strict = slaLimits({ ...PROFILE, reliability: 'high' });
    const bare = sample(10, { sharing: undefined });
    expect(judgeSample(strict, bare).breaches.map((b) => b.dimension)).toEqual(['reliability']);
    expect(judgeSample(LIMITS, bare).withinSla).toBe(true);
  });
});

describe('breach episodes', () => {
  const options = { enterSamples: 2, clearSamples: 3, cooldownMs: 1_000 };

  it('opens one episode after enough consecutive breaching samples, with a stable msgId', () => {
    const tracker = new BreachTracker('s1', 'ct-1-100', options);
    expect(tracker.observe(LATENCY_BREACH, 0)).toBeUndefined();
    const opened = tracker.observe(LATENCY_BREACH, 10);
    expect(opened).toMatchObject({ episode: 1, msgId: 'sla-s1-ct-1-100-1' });
    expect(opened?.breach.dimension).toBe('latency');
    for (let i = 0; i < 10; i++) expect(tracker.observe(LATENCY_BREACH, 20 + i)).toBeUndefined();
    expect(tracker.breached).toBe(true);
  });

  it('ignores a single noisy sample and needs consecutive ones', () => {
    const tracker = new BreachTracker('s1', 'p', options);
    for (let i = 0; i < 5; i++) {
      expect(tracker.observe(LATENCY_BREACH, i * 2)).toBeUndefined();
      expect(tracker.observe([], i * 2 + 1)).toBeUndefined();
    }
    expect(tracker.episodes).toBe(0);
  });

  it('re-arms after enough samples within the SLA, not before', () => {
    const tracker = new BreachTracker('s1', 'p', options);
    tracker.observe(LATENCY_BREACH, 0);
    tracker.observe(LATENCY_BREACH, 0);
    tracker.observe([], 10);
    tracker.observe([], 20);
    tracker.observe(LATENCY_BREACH, 30); // a relapse before clearing restarts the count
    tracker.observe([], 40);
    tracker.observe([], 50);
    expect(tracker.breached).toBe(true);
    tracker.observe([], 60);
    expect(tracker.breached).toBe(false);
    tracker.observe(LATENCY_BREACH, 5_000);
    expect(tracker.observe(LATENCY_BREACH, 5_001)?.msgId).toBe('sla-s1-p-2');
  });

  it('re-arms on a re-placement, but not faster than the cooldown', () => {
    const tracker = new BreachTracker('s1', 'old', options);
    tracker.observe(LATENCY_BREACH, 0);
    expect(tracker.observe(LATENCY_BREACH, 0)?.episode).toBe(1);
    tracker.replaced('old');
    expect(tracker.breached).toBe(true);
    tracker.replaced('new');
    expect(tracker.breached).toBe(false);
    tracker.observe(LATENCY_BREACH, 100);
    expect(tracker.observe(LATENCY_BREACH, 200)).toBeUndefined();
    expect(tracker.observe(LATENCY_BREACH, 1_000)?.msgId).toBe('sla-s1-new-2');
  });
});

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

function placed(containerId: string, appliedAt: number, served = true) {
  return {
    profile: PROFILE,
    placement: { site: 'local', containerId, vnfNodeIds: [], appliedAt },
    observed: { latencyMs: 30, cost: 30, reliabilityCost: 1 },
    served,
  };
}

describe('telemetry ledger', () => {
  const hysteresis = { enterSamples: 2, clearSamples: 2, cooldownMs: 0 };

  it('ignores KPIs of slices whose SLA it has not learned', () => {
    const ledger = new TelemetryLedger({ hysteresis });
    expect(ledger.onKpi(sample(500), 0)).toEqual({ known: false });
    expect(ledger.summary(0).kpiSamples).toBe(1);
  });

  it('opens a breach episode only while the slice is active and re-arms on re-placement', () => {
    const ledger = new TelemetryLedger({ hysteresis });
    ledger.onSliceEvent(event('s1', 'deploying', 1, { profile: PROFILE }));
    expect(ledger.onKpi(sample(90), 2).opened).toBeUndefined();
    expect(ledger.onKpi(sample(90), 3).opened).toBeUndefined();
    ledger.onSliceEvent(event('s1', 'active', 4, placed('ct-a', 4)));
    expect(ledger.onKpi(sample(90), 5).opened).toBeUndefined();
    const first = ledger.onKpi(sample(90), 6).opened;
    expect(first?.breach).toMatchObject({ dimension: 'latency', observed: 90, limit: 30 });
    expect(ledger.onKpi(sample(90), 7).opened).toBeUndefined();
    ledger.onSliceEvent(event('s1', 'adapting', 8, placed('ct-a', 4)));
    ledger.onSliceEvent(event('s1', 'active', 9, placed('ct-b', 9)));
    ledger.onKpi(sample(90), 10);
    const second = ledger.onKpi(sample(90), 11).opened;
    expect(second?.msgId).not.toBe(first?.msgId);
    expect(second?.msgId).toContain('ct-b-9');
  });

  it('keeps running totals: requests, served, availability, averages, violations, adaptations', () => {
    const ledger = new TelemetryLedger({ hysteresis });
    ledger.onSliceEvent(event('a', 'requested', 1));
    ledger.onSliceEvent(event('a', 'active', 2, placed('ct-a', 2)));
    ledger.onSliceEvent(event('b', 'requested', 3));
    ledger.onSliceEvent(
      event('b', 'active', 4, {
        ...placed('ct-b', 4, true),
        observed: { latencyMs: 10, cost: 20, reliabilityCost: 0 },
      }),
    );
    ledger.onSliceEvent(event('c', 'requested', 5));
    ledger.onSliceEvent(event('c', 'rejected', 6));
    ledger.onSliceEvent(event('d', 'active', 7, placed('ct-d', 7, false)));
    ledger.onSliceEvent(event('a', 'adapting', 8, placed('ct-a', 2)));
    ledger.onSliceEvent(event('a', 'adapting', 8, placed('ct-a', 2))); // a repeated event
    ledger.onSliceEvent(event('b', 'released', 9, placed('ct-b', 4)));
    ledger.noteViolation('a');
    const summary = ledger.summary(100);
    expect(summary).toMatchObject({
      requests: 4,
      served: 2,
      rejected: 1,
      failed: 0,
      availabilityRatio: 0.5,
      active: 2,
      averages: { latencyMs: 20, cost: 25, reliabilityCost: 0.5 },
      violations: 1,
      adaptations: 1,
    });
    expect(summary.slices.map((s) => [s.sliceId, s.state, s.served, s.violations])).toEqual([
      ['a', 'adapting', true, 1],
      ['d', 'active', false, 0],
    ]);
    // An ended slice does not come back from a late event.
    ledger.onSliceEvent(event('b', 'active', 10, placed('ct-b', 4)));
    expect(ledger.summary(101).active).toBe(2);
  });
});
