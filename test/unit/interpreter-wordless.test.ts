/**
 * A text with no words at all (emoji, digits, punctuation) used to get a confident,
 * non-degraded answer (URLLC/high/high, `degraded: false`). Whatever the reasoner makes
 * of it — the offline one or a confident one — the answer is degraded, its confidence
 * at most 0.2 and its rationale says the text has no words to read.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createInterpreter, type Interpreter } from '../../agents/interpreter/interpreter.js';
import { loadKnowledgeFile } from '../../agents/interpreter/knowledge.js';
import { createOfflineReasoner } from '../../agents/interpreter/reasoners/offline.js';
import type { Reasoner } from '../../agents/interpreter/types.js';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import { createMemoryVectorStore } from '../../shared/vectorstore/index.js';
import { testTracing } from '../helpers/tracing.js';

const tracing = testTracing('interpreter-wordless');
afterAll(() => tracing.shutdown());
const tracer = tracing.tracerProvider.getTracer('test');

/** Bag of words hashed into 64 buckets: similar wording → similar vectors. */
const bagOfWords: EmbeddingProvider = {
  id: 'fake-bow',
  dimensions: 64,
  embed: (texts) =>
    Promise.resolve(
      texts.map((t) => {
        const v = new Array<number>(64).fill(0);
        for (const w of t.toLowerCase().match(/[a-z]+/g) ?? []) {
          let h = 0;
          for (const ch of w) h = (h * 31 + ch.charCodeAt(0)) % 64;
          v[h] = (v[h] ?? 0) + 1;
        }
        return v;
      }),
    ),
  close: () => Promise.resolve(),
};

/** A reasoner that is sure of itself whatever it is asked. */
const overconfident: Reasoner = {
  name: 'overconfident',
  reason: () =>
    Promise.resolve({
      preference: { latency: 0.7, reliability: 0.2, economics: 0.05, throughput: 0.05 },
      serviceType: 'URLLC',
      latencyClass: 'high',
      reliabilityClass: 'high',
      costClass: 'general',
      confidence: 0.95,
      rationale: 'URLLC: clearly a control loop',
    }),
};

async function interpreter(reasoner: Reasoner = createOfflineReasoner()): Promise<Interpreter> {
  const knowledge = await loadKnowledgeFile('scenarios/knowledge/intents.jsonl');
  return createInterpreter(
    { provider: bagOfWords, store: createMemoryVectorStore(), reasoner, tracer, now: () => 1 },
    { namespace: 'wordless', knowledge },
  );
}

describe('a text with no words', () => {
  it.each(['🤖🔥🚀', '🤖', '12345 67', '!!! ??? …', '🏭 ⚙️ 📶 100 %'])(
    '%s is answered, degraded, with a low confidence and a rationale saying why',
    async (text) => {
      for (const reasoner of [createOfflineReasoner(), overconfident]) {
        const r = await (await interpreter(reasoner)).interpret({ text });
        expect(r.degraded, reasoner.name).toBe(true);
        expect(r.confidence, reasoner.name).toBeLessThanOrEqual(0.2);
        expect(r.rationale, reasoner.name).toContain('the text has no words to read');
      }
    },
  );

  it('a text with words, in any script, is not flagged for it', async () => {
    const interp = await interpreter();
    for (const text of ['robot arm control 🤖', '工厂机器人控制需要低时延']) {
      const r = await interp.interpret({ text });
      expect(r.rationale).not.toContain('no words');
    }
  });
});
