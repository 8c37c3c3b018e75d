import { describe, expect, it } from 'vitest';
import { PreferenceVector, SliceProfile } from '../../shared/contracts/common.js';
import type { ReasonerDraft } from '../../agents/interpreter/types.js';
import { validateDraft } from '../../agents/interpreter/validate.js';

const estimate: ReasonerDraft = {
  preference: { latency: 0.1, reliability: 0.2, economics: 0.6, throughput: 0.1 },
  serviceType: 'mMTC',
  latencyClass: 'best-effort',
  reliabilityClass: 'medium',
  costClass: 'cost-sensitive',
  confidence: 0.8,
  rationale: 'estimate',
};
const llm: ReasonerDraft = {
  preference: { latency: 0.7, reliability: 0.2, economics: 0.05, throughput: 0.05 },
  serviceType: 'URLLC',
  latencyClass: 'high',
  reliabilityClass: 'high',
  costClass: 'general',
  confidence: 0.9,
  rationale: 'llm',
};

function expectValid(answer: ReturnType<typeof validateDraft>) {
  expect(PreferenceVector.safeParse(answer.preference).success).toBe(true);
  expect(SliceProfile.safeParse(answer.profile).success).toBe(true);
  expect(answer.confidence).toBeGreaterThanOrEqual(0);
  expect(answer.confidence).toBeLessThanOrEqual(1);
}

describe('validate', () => {
  it('accepts a valid draft as it is', () => {
    const a = validateDraft(llm, undefined, estimate, undefined);
    expectValid(a);
    expect(a.degraded).toBe(false);
    expect(a.preference).toEqual(llm.preference);
    expect(a.profile.serviceType).toBe('URLLC');
    expect(a.notes).toEqual([]);
  });

  it('falls back to the estimate, degraded, when the reasoner failed', () => {
    const a = validateDraft(undefined, 'timeout', estimate, undefined);
    expectValid(a);
    expect(a.degraded).toBe(true);
    expect(a.preference).toEqual(estimate.preference);
    expect(a.profile.serviceType).toBe('mMTC');
    expect(a.confidence).toBeLessThanOrEqual(0.5);
  });

  it.each([
    ['garbage', 'not json at all'],
    ['wrong schema', { weights: [0.25, 0.25, 0.25, 0.25] }],
    ['unknown service type', { ...llm, serviceType: 'LTE' }],
    ['confidence out of range', { ...llm, confidence: 7 }],
    [
      'all-zero vector',
      { ...llm, preference: { latency: 0, reliability: 0, economics: 0, throughput: 0 } },
    ],
    [
      'negative-only vector',
      { ...llm, preference: { latency: -1, reliability: -2, economics: -1, throughput: -3 } },
    ],
  ])('falls back on %s', (_name, draft) => {
    const a = validateDraft(draft, undefined, estimate, undefined);
    expectValid(a);
    expect(a.degraded).toBe(true);
    expect(a.preference).toEqual(estimate.preference);
  });

  it('projects a vector that does not sum to 1 and says so, without degrading', () => {
    const a = validateDraft(
      { ...llm, preference: { latency: 0.9, reliability: 0.5, economics: 0.1, throughput: 0.1 } },
      undefined,
      estimate,
      undefined,
    );
    expectValid(a);
    expect(a.degraded).toBe(false);
    expect(a.preference.latency).toBeGreaterThan(a.preference.reliability);
    expect(a.notes.join(' ')).toMatch(/projected/);
  });

  it('lets explicit SLA classes override inferred ones', () => {
    const a = validateDraft(llm, undefined, estimate, {
      serviceType: 'eMBB',
      latency: 'best-effort',
      cost: 'cost-sensitive',
    });
    expect(a.profile).toEqual({
      serviceType: 'eMBB',
      latency: 'best-effort',
      reliability: 'high',
      cost: 'cost-sensitive',
    });
    expect(a.notes.join(' ')).toMatch(/latency=best-effort/);
    const degraded = validateDraft(undefined, 'boom', estimate, { reliability: 'high' });
    expect(degraded.profile.reliability).toBe('high');
  });
});
