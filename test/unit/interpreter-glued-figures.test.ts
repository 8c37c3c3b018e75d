/**
 * A number glued to another token is no figure: "latency 1e308 ms" was read as
 * 308 ms, "1e308 mbps" as 308 Mbit/s and "1e308 sensors" as 308 devices. Not read
 * anywhere — durations, rates, volumes, device counts, availability — and named in
 * the rationale as ignored, through the whole interpretation.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readClassStatements } from '../../agents/interpreter/class-statements.js';
import { extractCues } from '../../agents/interpreter/cues.js';
import { createInterpreter, type Interpreter } from '../../agents/interpreter/interpreter.js';
import { loadKnowledgeFile } from '../../agents/interpreter/knowledge.js';
import { statedDurations } from '../../agents/interpreter/quantities.js';
import { createOfflineReasoner } from '../../agents/interpreter/reasoners/offline.js';
import type { Reasoner } from '../../agents/interpreter/types.js';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import { createMemoryVectorStore } from '../../shared/vectorstore/index.js';
import { testTracing } from '../helpers/tracing.js';

const tracing = testTracing('interpreter-glued-figures');
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

async function interpreter(reasoner: Reasoner = createOfflineReasoner()): Promise<Interpreter> {
  const knowledge = await loadKnowledgeFile('scenarios/knowledge/intents.jsonl');
  return createInterpreter(
    { provider: bagOfWords, store: createMemoryVectorStore(), reasoner, tracer, now: () => 1 },
    { namespace: 'glued', knowledge },
  );
}

/** A figure 308 read out of "1e308" (not "1e308" itself, whose 308 has no word boundary). */
const READ_308 = /\b308\b/;

describe('a number glued to another token', () => {
  it('is no duration, and the class reader notes it as an ignored figure', () => {
    expect(statedDurations('latency 1e308 ms')).toEqual([]);
    expect(readClassStatements('latency 1e308 ms')).toMatchObject({
      latency: undefined,
      ignored: ['1e308 ms'],
    });
    // Plain figures, glued to their unit or not, are still read and not noted.
    expect(readClassStatements('latency 5ms, jitter 20 µs')).toMatchObject({
      latency: { value: 'high', evidence: '20 µs' },
      ignored: [],
    });
    expect(readClassStatements('firmware v2.10 ms-dos').ignored).toEqual([]);
  });

  it('is no rate, volume, device count or availability in the cues', () => {
    const cues = extractCues(
      'uplink 1e308 mbps, 2e12 gb per shift, for 1e308 sensors at 1.99 % availability, build x500 devices',
    );
    expect(cues.figures).toEqual({});
    expect(cues.matched.join(' ')).not.toMatch(READ_308);
    // The same figures written plainly are read.
    expect(
      extractCues('uplink 700 mbps, 2 gb per shift, for 12,000 sensors at 99.99 % availability')
        .figures,
    ).toEqual({ rateMbps: 700, volumeGb: 2, devices: 12_000, availabilityPercent: 99.99 });
    expect(extractCues('12 000 sensors').figures.devices).toBe(12_000);
  });

  it('reads no 308 anywhere in the interpretation of "latency 1e308 ms", and the rationale says what it ignored', async () => {
    const interp = await interpreter();
    const r = await interp.interpret({ text: 'latency 1e308 ms' });
    expect(JSON.stringify(r)).not.toMatch(READ_308);
    expect(r.rationale).toContain('ignored implausible figure(s): 1e308 ms');
  });
});
