import { describe, expect, it } from 'vitest';
import { agreeWithClasses, type ClassesOfVector } from '../../agents/interpreter/agreement.js';
import {
  COST_CLASSES,
  PREFERENCE_DIMENSIONS,
  PRIORITY_CLASSES,
  SERVICE_TYPES,
  type PreferenceVector,
} from '../../shared/contracts/common.js';
import { createRng } from '../../shared/random.js';

/** The weight rules of docs/knowledge-base.md that a vector must meet for its classes. */
function broken(p: PreferenceVector, c: ClassesOfVector): string[] {
  const others = (d: keyof PreferenceVector) =>
    PREFERENCE_DIMENSIONS.filter((o) => o !== d).map((o) => p[o]);
  const dominant = (d: keyof PreferenceVector) => p[d] >= Math.max(...others(d));
  const rank = (d: keyof PreferenceVector) => others(d).filter((x) => x > p[d]).length;
  const out: string[] = [];
  if (c.latency === 'high' && !(p.latency >= 0.25 && rank('latency') <= 1))
    out.push('latency high');
  if (c.latency === 'best-effort' && !(p.latency <= 0.2 && !dominant('latency')))
    out.push('latency best-effort');
  if (c.reliability === 'high' && !(p.reliability >= 0.2)) out.push('reliability high');
  if (c.reliability === 'best-effort' && !(p.reliability <= 0.2 && !dominant('reliability')))
    out.push('reliability best-effort');
  if (c.cost === 'cost-sensitive' && !(p.economics >= 0.25)) out.push('cost-sensitive');
  if (c.cost === 'general' && !(p.economics <= 0.2)) out.push('general');
  if (c.serviceType !== 'eMBB' && dominant('throughput')) out.push('throughput dominant');
  return out;
}

describe('preference vector agreeing with the classes', () => {
  it('leaves a vector that already agrees unchanged', () => {
    const p = { latency: 0.5, reliability: 0.35, economics: 0.05, throughput: 0.1 };
    const c = {
      serviceType: 'URLLC',
      latency: 'high',
      reliability: 'high',
      cost: 'general',
    } as const;
    expect(agreeWithClasses(p, c)).toEqual(p);
  });

  it('moves a contradicting vector into the rules, keeping it on the simplex', () => {
    const p = { latency: 0.1, reliability: 0.5, economics: 0.3, throughput: 0.1 };
    const c = {
      serviceType: 'mMTC',
      latency: 'medium',
      reliability: 'best-effort',
      cost: 'general',
    } as const;
    const q = agreeWithClasses(p, c);
    expect(broken(q, c)).toEqual([]);
    expect(Object.values(q).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    // The weights the classes do not constrain keep their order.
    expect(q.throughput).toBeGreaterThan(0);
  });

  it('meets every weight rule for random vectors and every class combination', () => {
    const rng = createRng(7);
    let cases = 0;
    for (const serviceType of SERVICE_TYPES)
      for (const latency of PRIORITY_CLASSES)
        for (const reliability of PRIORITY_CLASSES)
          for (const cost of COST_CLASSES)
            for (let i = 0; i < 40; i++) {
              // No vector meets these: three weights ≤ 0.20 leave throughput dominant, which only eMBB may be.
              const infeasible =
                serviceType !== 'eMBB' &&
                latency === 'best-effort' &&
                reliability === 'best-effort' &&
                cost === 'general';
              if (infeasible) continue;
              const raw = PREFERENCE_DIMENSIONS.map(() => rng.next() + 0.01);
              const sum = raw.reduce((a, b) => a + b, 0);
              const [l = 0, r = 0, e = 0, t = 0] = raw.map((x) => x / sum);
              const c = { serviceType, latency, reliability, cost };
              const q = agreeWithClasses(
                { latency: l, reliability: r, economics: e, throughput: t },
                c,
              );
              expect(broken(q, c), JSON.stringify({ c, l, r, e, t, q })).toEqual([]);
              cases++;
            }
    expect(cases).toBe((3 * 3 * 3 * 2 - 2) * 40);
  });
});
