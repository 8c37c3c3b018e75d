import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateInstance, isEvaluationSeed } from '../../shared/model/index.js';
import { parseScenario, sliceTruths } from '../../shared/scenario/index.js';
import { toMessage } from '../../cli/replay/messages.js';
import {
  PAPER_REQUEST_COUNTS,
  PAPER_SEED,
  PAPER_VARIANTS,
  formatPaperScenario,
  paperDir,
  paperScenarioPath,
  renderPaperScenario,
} from '../../scripts/generate-paper-scenarios.js';

describe('paper case-study scenarios', () => {
  it('are up to date with the model, both variants (else run scripts/generate-paper-scenarios.ts)', async () => {
    expect(PAPER_VARIANTS).toEqual(['sla', 'text']);
    for (const variant of PAPER_VARIANTS) {
      for (const count of PAPER_REQUEST_COUNTS) {
        const path = paperScenarioPath(count, paperDir(variant));
        expect(readFileSync(path, 'utf8'), path).toBe(
          await formatPaperScenario(count, PAPER_SEED, variant),
        );
      }
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

  it('in the text variant, keep the same requests but give the mesh only the text: the profile is the truth', () => {
    for (const count of PAPER_REQUEST_COUNTS) {
      const stated = parseScenario(renderPaperScenario(count, PAPER_SEED, 'sla'));
      const text = parseScenario(renderPaperScenario(count, PAPER_SEED, 'text'));
      const instance = generateInstance(PAPER_SEED, count);
      expect(text.name).toBe(`case-study-text-${count}`);
      expect(text).toMatchObject({
        seed: stated.seed,
        speed: stated.speed,
        adaptation: 'off',
        method: stated.method,
      });
      const requests = text.events.map((e) => {
        if (e.kind !== 'request') throw new Error(`unexpected ${e.kind}`);
        expect(e.sla).toBeUndefined();
        return { id: e.sliceId, profile: e.truth, demand: e.demand, description: e.text };
      });
      expect(requests).toEqual(instance.requests);
      expect(text.events.map((e) => e.atMs)).toEqual(stated.events.map((e) => e.atMs));
      // The judge sees the same truth in both variants; the mesh sees no classes in this one.
      expect(sliceTruths(text)).toEqual(sliceTruths(stated));
      for (const event of text.events) {
        const message = toMessage(event, 'max', 0).message;
        expect('sla' in message || 'truth' in message).toBe(false);
      }
    }
  });
});
