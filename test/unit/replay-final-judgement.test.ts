/**
 * How a replay judges its slices: a placed slice on the last KPI sample of
 * its current placement (the final network, as the model's evaluation does),
 * anything else on its record; and how a scenario's adaptation setting
 * reaches the requests it publishes.
 */
import { describe, expect, it } from 'vitest';
import type { KpiSample, SliceRecord } from '../../shared/contracts/index.js';
import { parseScenario, checkScenario } from '../../shared/scenario/index.js';
import { sliceResult } from '../../cli/replay/result.js';
import { toMessage } from '../../cli/replay/messages.js';

const APPLIED_AT = 1_000;

function activeRecord(overrides: Partial<SliceRecord> = {}): SliceRecord {
  return {
    sliceId: 's1',
    state: 'active',
    text: 'robot arms',
    profile: { serviceType: 'URLLC', latency: 'high', reliability: 'medium', cost: 'general' },
    placement: { site: 'local', containerId: 'ct-1', vnfNodeIds: [], appliedAt: APPLIED_AT },
    observed: { latencyMs: 20, cost: 30, reliabilityCost: 0 },
    served: true,
    history: [],
    ...overrides,
  };
}

function sample(overrides: Partial<KpiSample> = {}): KpiSample {
  return {
    type: 'kpi.sample.v1',
    sliceId: 's1',
    at: APPLIED_AT + 5,
    latencyMs: 20,
    cost: 30,
    reliabilityCost: 1,
    sharing: 2,
    cpu: 1,
    mem: 1,
    load: 1,
    ...overrides,
  };
}

describe('replay: final judgement of a slice', () => {
  it('takes a placed slice’s figures from its last sample, still served within the SLA', () => {
    const result = sliceResult('s1', activeRecord(), sample());
    expect(result).toMatchObject({ served: true, latencyMs: 20, cost: 30, reliabilityCost: 1 });
  });

  it('counts a placed slice that a later placement pushed over a limit as not served', () => {
    // Reliability class medium tolerates 2 slices per node; a third joined.
    const result = sliceResult('s1', activeRecord(), sample({ sharing: 3, reliabilityCost: 2 }));
    expect(result.served).toBe(false);
    expect(result.reliabilityCost).toBe(2);
  });

  it('ignores a sample from before the current placement and keeps what the placement observed', () => {
    const result = sliceResult('s1', activeRecord(), sample({ at: APPLIED_AT - 1, sharing: 9 }));
    expect(result).toMatchObject({ served: true, reliabilityCost: 0 });
  });

  it('judges a released or rejected slice on its record, whatever was sampled', () => {
    const released = activeRecord({ state: 'released' });
    expect(sliceResult('s1', released, sample({ sharing: 9 })).served).toBe(true);
    const rejected = activeRecord({ state: 'rejected', served: true });
    expect(sliceResult('s1', rejected, sample()).served).toBe(false);
    expect(sliceResult('s1', undefined, sample()).finalState).toBe('unseen');
  });
});

const STATIC = `name: static
seed: 3
adaptation: off
events:
  - at: 0ms
    request: { id: a, text: "collect vibration data from pumps" }
`;

describe('scenario adaptation setting', () => {
  it('is on unless the file says off, and off makes every request non-adaptive', () => {
    const off = parseScenario(STATIC);
    expect(off.adaptation).toBe('off');
    const on = parseScenario(STATIC.replace('adaptation: off\n', ''));
    expect(on.adaptation).toBe('on');
    const [request] = off.events;
    if (!request) throw new Error('no event');
    const quiet = toMessage(request, 'max', 0, off.adaptation);
    expect(quiet.kind === 'request' && quiet.message.adaptive).toBe(false);
    const adaptive = toMessage(request, 'max', 0, on.adaptation);
    expect(adaptive.kind === 'request' && 'adaptive' in adaptive.message).toBe(false);
  });

  it('reports a value other than on/off with its line', () => {
    const result = checkScenario(STATIC.replace('adaptation: off', 'adaptation: sometimes'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]).toMatchObject({ line: 3, path: 'adaptation' });
  });
});
