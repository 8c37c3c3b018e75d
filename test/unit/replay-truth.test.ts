/**
 * How a replay judges a slice against its truth (what the requester needs)
 * beside the classes the mesh used, and what the summary makes of it: both
 * availabilities, what they were judged against, profile accuracy and the
 * mean QoE score.
 */
import { describe, expect, it } from 'vitest';
import type { KpiSample, SliceProfile, SliceRecord } from '../../shared/contracts/index.js';
import { parseScenario, sliceTruths } from '../../shared/scenario/index.js';
import { toMessage } from '../../cli/replay/messages.js';
import { sliceResult, type ReplaySliceResult } from '../../cli/replay/result.js';
import { summarise } from '../../cli/replay/summary.js';

const APPLIED_AT = 1_000;

/** What the interpreter inferred in these tests: a lenient profile (best-effort everything, general). */
const LENIENT: SliceProfile = {
  serviceType: 'eMBB',
  latency: 'best-effort',
  reliability: 'best-effort',
  cost: 'general',
};
const STRICT: SliceProfile = {
  serviceType: 'URLLC',
  latency: 'high',
  reliability: 'high',
  cost: 'cost-sensitive',
};

function record(overrides: Partial<SliceRecord> = {}): SliceRecord {
  return {
    sliceId: 's1',
    state: 'active',
    text: 'robot arms',
    profile: LENIENT,
    placement: { site: 'cloud', containerId: 'ct-1', vnfNodeIds: ['v-1'], appliedAt: APPLIED_AT },
    observed: { latencyMs: 60, cost: 30, reliabilityCost: 1 },
    served: true,
    violations: [],
    history: [],
    ...overrides,
  };
}

function sample(overrides: Partial<KpiSample> = {}): KpiSample {
  return {
    type: 'kpi.sample.v1',
    sliceId: 's1',
    at: APPLIED_AT + 5,
    latencyMs: 60,
    cost: 30,
    reliabilityCost: 1,
    sharing: 2,
    cpu: 1,
    mem: 1,
    load: 1,
    ...overrides,
  };
}

describe('replay: a placed slice judged on its final sample', () => {
  it('is not served against a stricter truth although the mesh judges it served', () => {
    // 60 ms > 30 ms, two slices on a node > 1, cost 30 > 25: every strict limit breaks.
    const result = sliceResult('s1', record(), sample(), STRICT);
    expect(result).toMatchObject({
      served: false,
      servedAsInferred: true,
      truth: STRICT,
      profileCorrect: false,
      qoeScore: null,
    });
  });

  it('is served against a looser truth although the mesh judges it not served', () => {
    const tight = { ...LENIENT, latency: 'high' } as const;
    const truth = { ...LENIENT, latency: 'medium' } as const;
    const result = sliceResult('s1', record({ profile: tight }), sample(), truth);
    expect(result.served).toBe(true);
    expect(result.servedAsInferred).toBe(false);
    // Weighted by the truth: medium 2, best-effort 1, general 1 → 2/4, 1/4, 1/4.
    expect(result.qoeScore).toBeCloseTo(1 - (0.5 * 0.6 + 0.25 * (30 / 40) + 0.25 * (1 / 3)), 6);
  });

  it('agrees with the mesh when the truth is the profile it used', () => {
    const result = sliceResult('s1', record(), sample({ sharing: 5 }), LENIENT);
    expect(result).toMatchObject({ served: false, servedAsInferred: false, profileCorrect: true });
    const fine = sliceResult('s1', record(), sample(), LENIENT);
    expect(fine).toMatchObject({ served: true, servedAsInferred: true, profileCorrect: true });
  });

  it('without a truth judges against the profile it used, with no profile verdict', () => {
    const result = sliceResult('s1', record({ profile: STRICT }), sample());
    expect(result).toMatchObject({
      served: false,
      servedAsInferred: false,
      truth: null,
      profileCorrect: null,
      qoeScore: null,
    });
    const lenient = sliceResult('s1', record(), sample());
    // Weighted by the profile when there is no truth: best-effort 1, best-effort 1, general 1.
    expect(lenient.qoeScore).toBeCloseTo(1 - (0.6 + 30 / 40 + 1 / 3) / 3, 6);
  });

  it('does not serve a slice deployed as another service type, whatever its figures', () => {
    const truth = { ...LENIENT, serviceType: 'mMTC' } as const;
    const result = sliceResult('s1', record(), sample(), truth);
    expect(result).toMatchObject({ served: false, servedAsInferred: true, profileCorrect: false });
  });
});

describe('replay: a slice that no longer holds its placement, judged on its record', () => {
  const released = (overrides: Partial<SliceRecord> = {}) =>
    record({ state: 'released', ...overrides });

  it('keeps the mesh’s verdict where the truth’s limits are the ones it judged by', () => {
    const truth = LENIENT;
    const broken = released({ served: false, violations: ['reliability'] });
    expect(sliceResult('s1', broken, undefined, truth).served).toBe(false);
    expect(sliceResult('s1', released(), undefined, truth).served).toBe(true);
    // Deployed as another service type: not served even where its figures met the limits.
    const otherType = { ...LENIENT, serviceType: 'URLLC' } as const;
    expect(sliceResult('s1', released(), undefined, otherType).served).toBe(false);
  });

  it('judges the observed figures against a stricter limit the slice kept', () => {
    // cost-sensitive caps cost at 25; the slice cost 30 and kept general's 40.
    const truth = { ...LENIENT, cost: 'cost-sensitive' } as const;
    const result = sliceResult('s1', released(), undefined, truth);
    expect(result).toMatchObject({ served: false, servedAsInferred: true });
  });

  it('takes the sharing from the placement’s last sample, else the least its reliability cost implies', () => {
    const truth = { ...LENIENT, reliability: 'medium' } as const;
    // Medium allows two slices per node.
    expect(sliceResult('s1', released(), sample({ sharing: 3 }), truth).served).toBe(false);
    expect(sliceResult('s1', released(), sample({ sharing: 2 }), truth).served).toBe(true);
    expect(sliceResult('s1', released(), undefined, truth).served).toBe(true);
    // A sample of an earlier placement says nothing about this one.
    const earlier = sample({ at: APPLIED_AT - 1, sharing: 3 });
    expect(sliceResult('s1', released(), earlier, truth).served).toBe(true);
    // High allows none: a shared node (reliability cost 1) breaks it even without a sample.
    const high = { ...LENIENT, reliability: 'high' } as const;
    expect(sliceResult('s1', released(), undefined, high).served).toBe(false);
  });

  it('serves a looser truth than a limit the slice broke when the figures meet it', () => {
    const tight = { ...LENIENT, latency: 'high' } as const;
    const broken = released({ profile: tight, served: false, violations: ['latency'] });
    expect(sliceResult('s1', broken, undefined, LENIENT)).toMatchObject({
      served: true,
      servedAsInferred: false,
    });
  });

  it('keeps a breach seen after the placement for a stricter truth', () => {
    // Telemetry saw the latency over best-effort's 150 ms later on; the record's figures are older.
    const broken = released({ served: false, violations: ['latency'] });
    const truth = { ...LENIENT, latency: 'medium' } as const;
    expect(sliceResult('s1', broken, undefined, truth).served).toBe(false);
  });

  it('is not served, whatever the truth, when the mesh names no constraint it broke (capacity)', () => {
    const capacity = released({ served: false, violations: [] });
    expect(sliceResult('s1', capacity, undefined, LENIENT).served).toBe(false);
  });

  it('never serves a rejected, failed or unseen slice', () => {
    for (const state of ['rejected', 'failed'] as const) {
      expect(sliceResult('s1', record({ state }), sample(), LENIENT)).toMatchObject({
        served: false,
        servedAsInferred: false,
        qoeScore: null,
      });
    }
    const unseen = sliceResult('s1', undefined, undefined, STRICT);
    expect(unseen).toMatchObject({
      finalState: 'unseen',
      served: false,
      truth: STRICT,
      profileCorrect: null,
    });
  });
});

describe('replay summary: judged against the truth, mixed or inferred', () => {
  const served = (truth?: SliceProfile) => sliceResult('a', record(), sample(), truth);
  const strictlyJudged = (truth?: SliceProfile) =>
    sliceResult('b', record({ sliceId: 'b' }), sample({ sliceId: 'b' }), truth);

  it('with every truth known, judges against it and reports both availabilities', () => {
    const slices = [served(LENIENT), strictlyJudged(STRICT)];
    const summary = summarise(slices);
    expect(summary).toMatchObject({
      requests: 2,
      served: 1,
      availability: 0.5,
      servedAsInferred: 2,
      availabilityAsInferred: 1,
      judgedAgainst: 'truth',
      profileAccuracy: 0.5,
    });
    expect(summary.avgQoeScore).toBe(slices[0]?.qoeScore);
  });

  it('is mixed when only some slices have a truth', () => {
    const summary = summarise([served(), strictlyJudged(STRICT)]);
    expect(summary).toMatchObject({
      served: 1,
      servedAsInferred: 2,
      judgedAgainst: 'mixed',
      profileAccuracy: 0,
    });
  });

  it('is inferred when none has, with no profile accuracy', () => {
    const summary = summarise([served(), strictlyJudged()]);
    expect(summary).toMatchObject({
      served: 2,
      availability: 1,
      availabilityAsInferred: 1,
      judgedAgainst: 'inferred',
      profileAccuracy: null,
    });
    expect(summarise([]).judgedAgainst).toBe('inferred');
  });

  it('counts profile accuracy only over slices with a truth and a profile, the QoE score over served ones', () => {
    const unseen: ReplaySliceResult = sliceResult('c', undefined, undefined, STRICT);
    const slices = [served(LENIENT), strictlyJudged(STRICT), unseen];
    const summary = summarise(slices);
    expect(summary.profileAccuracy).toBe(0.5);
    expect(summary.avgQoeScore).toBe(slices[0]?.qoeScore);
    expect(summarise([strictlyJudged(STRICT)]).avgQoeScore).toBeNull();
  });
});

const WITH_TRUTH = `name: judged
seed: 3
events:
  - at: 0ms
    request:
      id: told
      text: "robot arm control"
      sla: { serviceType: URLLC, latency: high, reliability: high, cost: general }
      truth: { serviceType: URLLC, latency: high, reliability: medium, cost: general }
  - at: 10ms
    request:
      id: silent
      text: "robot arm control"
      truth: { serviceType: URLLC, latency: high, reliability: high, cost: general }
  - at: 20ms
    request: { id: plain, text: "robot arm control" }
`;

describe('scenario truth never reaches the mesh', () => {
  it('is left out of every request message; the stated sla is sent as it is', () => {
    const scenario = parseScenario(WITH_TRUTH);
    const messages = scenario.events.map((e) => toMessage(e, 'max', 0));
    for (const m of messages) expect(JSON.stringify(m)).not.toContain('truth');
    const [told, silent] = messages.map((m) => m.message);
    expect(told && 'sla' in told ? told.sla : undefined).toEqual({
      serviceType: 'URLLC',
      latency: 'high',
      reliability: 'high',
      cost: 'general',
    });
    expect(silent && 'sla' in silent).toBe(false);
    // A truth changes nothing the mesh is sent, not even a demand drawn from the seed.
    const without = parseScenario(WITH_TRUTH.replace(/\n {6}truth: .*$/gm, ''));
    expect(without.events.some((e) => e.kind === 'request' && e.truth !== undefined)).toBe(false);
    expect(without.events.map((e) => toMessage(e, 'max', 0))).toEqual(messages);
  });

  it('is what the replay judges by, with the sla as truth only where no truth is given', () => {
    const truths = sliceTruths(parseScenario(WITH_TRUTH));
    expect(truths.get('told')?.reliability).toBe('medium');
    expect(truths.get('silent')?.reliability).toBe('high');
    expect(truths.has('plain')).toBe(false);
  });
});
