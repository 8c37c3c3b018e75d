/**
 * Quality regression of the shipped default: the offline reasoner with the
 * wink provider, on the held-out evaluation set it never retrieves from.
 * Deterministic, so the thresholds are exact expectations, not timing.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createOfflineInterpreter } from '../../agents/interpreter/offline.js';
import { evaluateInterpreter, loadEvalFile } from '../../agents/interpreter/evaluate.js';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

describe('offline interpreter accuracy on the evaluation set', () => {
  it('reaches ≥ 0.90 service-type and dominant-dimension accuracy', async () => {
    const interpreter = await createOfflineInterpreter({ index: 'memory', dataDir: root('.data') });
    try {
      const lines = await loadEvalFile(root('scenarios/knowledge/intents-eval.jsonl'));
      const report = await evaluateInterpreter(interpreter.interpreter, lines);
      expect(report.n).toBe(lines.length);
      expect(report.degraded).toBe(0);
      expect(report.serviceTypeAccuracy).toBeGreaterThanOrEqual(0.9);
      expect(report.dominantAccuracy).toBeGreaterThanOrEqual(0.9);
    } finally {
      await interpreter.close();
    }
  });
});
