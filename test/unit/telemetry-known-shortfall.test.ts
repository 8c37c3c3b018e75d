import { describe, expect, it } from 'vitest';
import { TelemetryLedger } from '../../agents/telemetry/ledger.js';
import { KpiSample, SliceEvent, type SliceRecord } from '../../shared/contracts/index.js';

/** A slice deployed on the local server although it is cost-sensitive (cost 30 > 25). */
function activeEvent(violations: SliceRecord['violations']): SliceEvent {
  return SliceEvent.parse({
    type: 'slice.event.v1',
    sliceId: 'm1',
    at: 100,
    from: 'deploying',
    to: 'active',
    cause: 'applied',
    record: {
      sliceId: 'm1',
      state: 'active',
      text: 'meters',
      profile: {
        serviceType: 'mMTC',
        latency: 'medium',
        reliability: 'best-effort',
        cost: 'cost-sensitive',
      },
      placement: { site: 'local', containerId: 'ct-local-3', vnfNodeIds: [], appliedAt: 100 },
      served: violations?.length === 0,
      ...(violations ? { violations } : {}),
      history: [{ state: 'active', at: 100 }],
    },
  });
}

function sample(latencyMs: number, at: number): KpiSample {
  return KpiSample.parse({
    type: 'kpi.sample.v1',
    sliceId: 'm1',
    at,
    latencyMs,
    cost: 30,
    reliabilityCost: 0,
    sharing: 1,
    cpu: 3,
    mem: 4,
    load: 1,
  });
}

describe('telemetry: shortfalls a placement was deployed with', () => {
  it('are judged but open no breach episode: re-planning would give the same answer', () => {
    const ledger = new TelemetryLedger();
    ledger.onSliceEvent(activeEvent(['cost']));
    for (let i = 0; i < 5; i++) {
      const outcome = ledger.onKpi(sample(30, 200 + i), 200 + i);
      expect(outcome.verdict?.breaches.map((b) => b.dimension)).toEqual(['cost']);
      expect(outcome.opened).toBeUndefined();
    }
  });

  it('still let a new breach of another constraint open one', () => {
    const ledger = new TelemetryLedger();
    ledger.onSliceEvent(activeEvent(['cost']));
    expect(ledger.onKpi(sample(160, 200), 200).opened).toBeUndefined();
    const opened = ledger.onKpi(sample(160, 201), 201).opened;
    expect(opened?.breach).toMatchObject({ dimension: 'latency', observed: 160, limit: 100 });
  });

  it('without known shortfalls the same samples open an episode (cost)', () => {
    const ledger = new TelemetryLedger();
    ledger.onSliceEvent(activeEvent(undefined));
    expect(ledger.onKpi(sample(30, 200), 200).opened).toBeUndefined();
    expect(ledger.onKpi(sample(30, 201), 201).opened?.breach.dimension).toBe('cost');
  });
});
