/**
 * The arithmetic of `intents eval`: each measure counts only the lines
 * labelled for it, and a measure no line covers is null rather than 0.
 */
import { describe, expect, it } from 'vitest';
import type { SliceProfile } from '../../shared/contracts/common.js';
import {
  scoreEvaluation,
  type EvalLine,
  type EvalPrediction,
} from '../../agents/interpreter/evaluate.js';

const urllc: SliceProfile = {
  serviceType: 'URLLC',
  latency: 'high',
  reliability: 'medium',
  cost: 'general',
};

function answer(profile: Partial<SliceProfile>, ms = 1): EvalPrediction {
  return { profile: { ...urllc, ...profile }, dominant: 'latency', degraded: false, ms };
}

const full: EvalLine = {
  text: 'servo loop',
  serviceType: 'URLLC',
  dominant: 'latency',
  latency: 'high',
  reliability: 'medium',
  cost: 'general',
};

describe('scoreEvaluation', () => {
  it('scores each class on the lines labelled with it, and the profile on fully labelled lines', () => {
    const lines: EvalLine[] = [
      full,
      { ...full, reliability: 'high' },
      { text: 'only latency', serviceType: 'URLLC', dominant: 'latency', latency: 'medium' },
      { text: 'no classes', serviceType: 'eMBB', dominant: 'throughput' },
    ];
    const report = scoreEvaluation(lines, [
      answer({}),
      answer({}),
      answer({}),
      answer({ serviceType: 'eMBB' }),
    ]);
    expect(report.n).toBe(4);
    expect(report.coverage).toEqual({
      serviceType: 4,
      dominant: 4,
      latency: 3,
      reliability: 2,
      cost: 2,
      profile: 2,
    });
    expect(report.serviceTypeAccuracy).toBe(1);
    expect(report.dominantAccuracy).toBe(0.75);
    // latency: right on the two full lines, wrong on "only latency"
    expect(report.latencyAccuracy).toBe(0.6667);
    expect(report.reliabilityAccuracy).toBe(0.5);
    expect(report.costAccuracy).toBe(1);
    // line 2 has every class but reliability wrong
    expect(report.profileAccuracy).toBe(0.5);
    expect(report.confusion.latency.medium.high).toBe(1);
    expect(report.confusion.latency.high.high).toBe(2);
    expect(report.confusion.reliability.high.medium).toBe(1);
    expect(report.confusion.cost.general.general).toBe(2);
    expect(report.confusion.serviceType.eMBB.eMBB).toBe(1);
    expect(report.confusion.dominant.throughput.latency).toBe(1);
  });

  it('counts a wrong service type against the profile even when every class is right', () => {
    const report = scoreEvaluation([full], [answer({ serviceType: 'eMBB' })]);
    expect(report.latencyAccuracy).toBe(1);
    expect(report.reliabilityAccuracy).toBe(1);
    expect(report.costAccuracy).toBe(1);
    expect(report.profileAccuracy).toBe(0);
  });

  it('reports a measure without any labelled line as null, not 0', () => {
    const report = scoreEvaluation(
      [{ text: 'no classes', serviceType: 'URLLC', dominant: 'latency' }],
      [answer({})],
    );
    expect(report.serviceTypeAccuracy).toBe(1);
    expect(report.latencyAccuracy).toBeNull();
    expect(report.reliabilityAccuracy).toBeNull();
    expect(report.costAccuracy).toBeNull();
    expect(report.profileAccuracy).toBeNull();
    expect(report.coverage.latency).toBe(0);
    expect(report.coverage.profile).toBe(0);
  });

  it('leaves dominant unmeasured on lines without a dominant label (generated requests)', () => {
    const { dominant: _unlabelled, ...profileOnly } = full;
    const report = scoreEvaluation(
      [profileOnly, { ...profileOnly, latency: 'medium' }, full],
      [answer({}), answer({}), answer({})],
    );
    expect(report.coverage.dominant).toBe(1);
    expect(report.dominantAccuracy).toBe(1);
    expect(report.coverage.profile).toBe(3);
    expect(report.latencyAccuracy).toBe(0.6667);
    const noDominant = scoreEvaluation([profileOnly], [answer({})]);
    expect(noDominant.dominantAccuracy).toBeNull();
    expect(noDominant.coverage.dominant).toBe(0);
    expect(Object.values(noDominant.confusion.dominant).flatMap(Object.values)).toEqual(
      Array(16).fill(0),
    );
    expect(noDominant.profileAccuracy).toBe(1);
  });

  it('counts degraded answers and takes latency percentiles over every line', () => {
    const report = scoreEvaluation(
      [full, full, full, full],
      [answer({}, 4), { ...answer({}, 1), degraded: true }, answer({}, 3), answer({}, 2)],
    );
    expect(report.degraded).toBe(1);
    expect(report.p50Ms).toBe(2);
    expect(report.p99Ms).toBe(4);
  });

  it('refuses answers that do not match the lines one to one', () => {
    expect(() => scoreEvaluation([full, full], [answer({})])).toThrow(RangeError);
  });
});
