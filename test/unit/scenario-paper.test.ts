import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateInstance, isEvaluationSeed } from '../../shared/model/index.js';
import { parseScenario } from '../../shared/scenario/index.js';
import {
  PAPER_REQUEST_COUNTS,
  PAPER_SEED,
  formatPaperScenario,
  paperScenarioPath,
  renderPaperScenario,
} from '../../scripts/generate-paper-scenarios.js';

describe('paper case-study scenarios', () => {
  it('are up to date with the model (else run scripts/generate-paper-scenarios.ts)', async () => {
    for (const count of PAPER_REQUEST_COUNTS) {
      const path = paperScenarioPath(count);
      expect(readFileSync(path, 'utf8'), path).toBe(await formatPaperScenario(count));
    }
  });

  it('carry exactly the instance eval sees: text, profile and demand, in order, on an evaluation seed', () => {
    expect(isEvaluationSeed(PAPER_SEED)).toBe(true);
    for (const count of PAPER_REQUEST_COUNTS) {
      const scenario = parseScenario(renderPaperScenario(count));
      const instance = generateInstance(PAPER_SEED, count);
      expect(scenario.seed).toBe(PAPER_SEED);
      expect(scenario.speed).toBe('max');
      const requests = scenario.events.map((e) => {
        if (e.kind !== 'request') throw new Error(`unexpected ${e.kind}`);
        return { id: e.sliceId, profile: e.sla, demand: e.demand, description: e.text };
      });
      expect(requests).toEqual(instance.requests);
      const times = scenario.events.map((e) => e.atMs);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
  });
});
