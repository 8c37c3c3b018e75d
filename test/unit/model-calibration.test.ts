import { beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_POLICIES, evaluationSeeds } from '../../shared/model/index.js';
import { evaluate, type EvaluationRow } from '../../shared/model/report/index.js';

// The calibration targets of docs/case-study-model.md (the shape of the paper's Fig. 5),
// checked on the first 20 held-out evaluation seeds.
describe('calibration targets (20 held-out seeds)', () => {
  let rows: EvaluationRow[] = [];
  const row = (method: string, requests: number): EvaluationRow => {
    const found = rows.find((r) => r.method === method && r.requests === requests);
    if (found === undefined) throw new Error(`no row for ${method} at ${requests}`);
    return found;
  };
  const value = (
    method: string,
    requests: number,
    metric: 'avgLatencyMs' | 'avgCost' | 'availability',
  ): number => row(method, requests)[metric] ?? NaN;

  beforeAll(async () => {
    rows = (
      await evaluate({
        methods: BUILTIN_POLICIES,
        requestCounts: [4, 12, 20],
        seeds: evaluationSeeds(20),
      })
    ).results;
  }, 240_000);

  it('the exact optimum serves every request at 4 and between 75% and 95% at 20', () => {
    expect(value('oracle', 4, 'availability')).toBe(1);
    expect(value('oracle', 20, 'availability')).toBeGreaterThanOrEqual(0.75);
    expect(value('oracle', 20, 'availability')).toBeLessThanOrEqual(0.95);
  });

  it('Local-First has the lowest average latency per slice at every request count', () => {
    for (const requests of [4, 12, 20]) {
      for (const method of BUILTIN_POLICIES.filter((m) => m !== 'local-first')) {
        expect(
          value('local-first', requests, 'avgLatencyMs'),
          `${method} at ${requests}`,
        ).toBeLessThan(value(method, requests, 'avgLatencyMs'));
      }
    }
  });

  it('Cloud-Only has the lowest average cost per slice at 4 requests', () => {
    for (const method of BUILTIN_POLICIES.filter((m) => m !== 'cloud-only')) {
      expect(value('cloud-only', 4, 'avgCost'), method).toBeLessThan(value(method, 4, 'avgCost'));
    }
  });

  it('both QoE-unaware heuristics fall below 50% availability at 20 requests', () => {
    expect(value('local-first', 20, 'availability')).toBeLessThan(0.5);
    expect(value('cloud-only', 20, 'availability')).toBeLessThan(0.5);
  });

  it('no policy beats the optimum on availability', () => {
    for (const requests of [4, 12, 20]) {
      for (const method of BUILTIN_POLICIES) {
        expect(value(method, requests, 'availability')).toBeLessThanOrEqual(
          value('oracle', requests, 'availability'),
        );
      }
    }
  });
});
