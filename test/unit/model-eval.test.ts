import { describe, expect, it } from 'vitest';
import {
  evaluationSeeds,
  isEvaluationSeed,
  isTrainingSeed,
  SEED_RANGES,
} from '../../shared/model/index.js';
import {
  evaluate,
  formatReportTable,
  meanCi95,
  renderFigure5,
  tQuantile975,
} from '../../shared/model/report/index.js';

describe('evaluation harness', () => {
  it('computes means and Student-t 95% intervals', () => {
    expect(tQuantile975(1)).toBeCloseTo(12.706, 3);
    expect(tQuantile975(19)).toBeCloseTo(2.093, 3);
    expect(tQuantile975(60)).toBeCloseTo(2.0003, 3);
    const ci = meanCi95([1, 2, 3, 4]);
    // mean 2.5, sd 1.2910, half-width 3.1824 × 1.2910 / 2 = 2.0542
    expect(ci.mean).toBe(2.5);
    expect(ci.high - ci.mean).toBeCloseTo(2.0542, 3);
    expect(meanCi95([NaN, 5])).toEqual({ mean: 5, low: 5, high: 5, n: 1 });
    expect(meanCi95([]).n).toBe(0);
  });

  it('keeps evaluation seeds disjoint from training seeds', () => {
    const seeds = evaluationSeeds(50);
    expect(seeds[0]).toBe(SEED_RANGES.evaluation.min);
    expect(seeds.every((s) => isEvaluationSeed(s) && !isTrainingSeed(s))).toBe(true);
    expect(isTrainingSeed(SEED_RANGES.training.max)).toBe(true);
    expect(SEED_RANGES.training.max).toBeLessThan(SEED_RANGES.evaluation.min);
  });

  it('refuses training seeds and unknown methods', async () => {
    await expect(
      evaluate({ methods: ['random'], requestCounts: [4], seeds: [12] }),
    ).rejects.toThrow(/training seed/);
    await expect(
      evaluate({ methods: ['no-such'], requestCounts: [4], seeds: evaluationSeeds(1) }),
    ).rejects.toThrow(/unknown method "no-such"/);
  });

  it('produces byte-identical JSON for the same seeds, and a row per method and request count', async () => {
    const run = async () =>
      JSON.stringify(
        await evaluate({
          methods: ['local-first', 'random', 'first-fit'],
          requestCounts: [4, 10],
          seeds: evaluationSeeds(6),
        }),
      );
    const first = await run();
    expect(await run()).toBe(first);
    const report = JSON.parse(first) as Awaited<ReturnType<typeof evaluate>>;
    expect(report.results.map((r) => `${r.method}@${r.requests}`)).toEqual([
      'local-first@4',
      'local-first@10',
      'random@4',
      'random@10',
      'first-fit@4',
      'first-fit@10',
    ]);
    for (const r of report.results) {
      expect(r.seeds).toBe(6);
      expect(r.availability).toBeGreaterThanOrEqual(0);
      const [low, high] = r.ci95.availability ?? [NaN, NaN];
      expect(low).toBeLessThanOrEqual(r.availability as number);
      expect(high).toBeGreaterThanOrEqual(r.availability as number);
    }
    expect(report.intent).toBe('stated');
    const table = formatReportTable(report);
    expect(table).toMatch(
      /^intent: stated .*\nmethod\s+requests\s+seeds\s+latency ms.*QoE score\n/,
    );
    expect(table.split('\n').filter((l) => l.startsWith('random'))).toHaveLength(2);
  });

  it('renders the four panels of Fig. 5 and the QoE score panel as SVG', async () => {
    const report = await evaluate({
      methods: ['local-first', 'cloud-only'],
      requestCounts: [4, 8],
      seeds: evaluationSeeds(3),
    });
    const panels = await renderFigure5(report);
    expect(panels.map((p) => p.name)).toEqual([
      'fig5a-latency',
      'fig5b-cost',
      'fig5c-reliability',
      'fig5d-availability',
      'fig5e-qoe-score',
    ]);
    for (const panel of panels) {
      expect(panel.svg.startsWith('<svg')).toBe(true);
      expect(panel.svg).toContain('local-first');
      expect(panel.svg).toContain('Number of slice requests');
    }
  });
});
