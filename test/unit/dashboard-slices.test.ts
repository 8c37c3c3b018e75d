import { describe, expect, it } from 'vitest';
import {
  ROW_TEXT_LIMIT,
  jaegerTraceUrl,
  sliceDetail,
  sliceRow,
  timeline,
} from '../../agents/api/dashboard/slices.js';
import type { SliceRecord, TelemetrySummary } from '../../shared/contracts/index.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

function record(patch: Partial<SliceRecord> = {}): SliceRecord {
  return {
    sliceId: 's-1',
    tenant: 'default',
    state: 'active',
    text: 'closed-loop control of a robot arm',
    profile: {
      serviceType: 'URLLC',
      latency: 'high',
      reliability: 'medium',
      cost: 'cost-sensitive',
    },
    preference: { latency: 0.5, reliability: 0.3, economics: 0.1, throughput: 0.1 },
    placement: { site: 'local', containerId: 'ct-1', vnfNodeIds: ['v-1'], appliedAt: 1_045 },
    observed: { latencyMs: 34, cost: 20, reliabilityCost: 1 },
    served: false,
    violations: ['latency'],
    traceId: TRACE,
    history: [
      { state: 'requested', at: 1_000 },
      { state: 'interpreting', at: 1_005 },
      { state: 'planning', at: 1_020 },
      { state: 'deploying', at: 1_030 },
      { state: 'active', at: 1_045, note: 'applied on local' },
      { state: 'adapting', at: 2_000, note: 'sla violation: latency' },
      { state: 'active', at: 2_100 },
    ],
    ...patch,
  };
}

const summary = (qoe: number): TelemetrySummary => ({
  type: 'telemetry.summary.v1',
  at: 3_000,
  requests: 1,
  served: 0,
  rejected: 0,
  failed: 0,
  availabilityRatio: 0,
  active: 1,
  averages: { latencyMs: null, cost: null, reliabilityCost: null },
  violations: 1,
  adaptations: 1,
  kpiSamples: 4,
  slices: [
    { sliceId: 'other', state: 'active', served: true, violations: 0 },
    {
      sliceId: 's-1',
      state: 'active',
      served: false,
      withinSla: false,
      qoe,
      latencyMs: 34,
      violations: 1,
    },
  ],
});

describe('the dashboard slice views', () => {
  it('keeps a row small: the request text cut to a limit, the last change time', () => {
    const row = sliceRow(record({ text: 'y'.repeat(1_000) }));
    expect(row.text).toHaveLength(ROW_TEXT_LIMIT);
    expect(row.text.endsWith('…')).toBe(true);
    expect(row).toMatchObject({
      sliceId: 's-1',
      state: 'active',
      updatedAt: 2_100,
      site: 'local',
      served: false,
    });
  });

  it('gives each lifecycle step its duration; the current one of a live slice has none yet', () => {
    const steps = timeline(record());
    expect(steps.map((s) => s.durationMs)).toEqual([5, 15, 10, 15, 955, 100, null]);
    expect(steps[4]?.note).toBe('applied on local');
    // An ended slice's last state lasts no time.
    const ended = timeline(record({ state: 'released', history: [{ state: 'released', at: 5 }] }));
    expect(ended.map((s) => s.durationMs)).toEqual([0]);
  });

  it("checks the observed QoE against the slice's classes, with the live figures and adaptations", () => {
    const detail = sliceDetail(record(), summary(0.8), 'http://jaeger:16686/');
    expect(detail.qoe.checks).toEqual([
      expect.objectContaining({ dimension: 'latency', observed: 34, limit: 30, met: false }),
      expect.objectContaining({ dimension: 'cost', observed: 20, limit: 25, met: true }),
      expect.objectContaining({ dimension: 'reliability', observed: 1, limit: 2, met: true }),
    ]);
    expect(detail.qoe.live).toMatchObject({ sliceId: 's-1', qoe: 0.8 });
    expect(detail.violationCount).toBe(1);
    expect(detail.violations).toEqual(['latency']);
    expect(detail.adaptations).toEqual([{ at: 2_000, note: 'sla violation: latency' }]);
    expect(detail.traceUrl).toBe(`http://jaeger:16686/trace/${TRACE}`);
  });

  it('says when telemetry did not answer and when nothing was observed yet', () => {
    const fresh = record({
      observed: undefined,
      profile: undefined,
      violations: undefined,
      served: undefined,
    });
    const detail = sliceDetail(fresh, null, undefined);
    expect(detail.qoe.telemetry).toBe('unavailable');
    expect(detail.qoe.checks.every((c) => c.met === null && c.limit === null)).toBe(true);
    expect(detail.traceUrl).toBeNull();
  });

  it('links a trace only with both a Jaeger URL and a trace id', () => {
    expect(jaegerTraceUrl('http://j:16686', TRACE)).toBe(`http://j:16686/trace/${TRACE}`);
    expect(jaegerTraceUrl('http://j:16686///', TRACE)).toBe(`http://j:16686/trace/${TRACE}`);
    expect(jaegerTraceUrl(undefined, TRACE)).toBeNull();
    expect(jaegerTraceUrl('http://j:16686', undefined)).toBeNull();
  });
});
