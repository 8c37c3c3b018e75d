/**
 * The curator core over the in-process vector store, with an embedding
 * provider whose vectors the test chooses, so every similarity is known.
 */
import { context as otelContext, trace, type Span } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createMemoryCurator,
  decodeMemoryEntry,
  type CurateResult,
  type MemoryCuratorOptions,
} from '../../agents/memory-curator/index.js';
import type { SliceOutcome } from '../../shared/contracts/messages.js';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import { createLogger } from '../../shared/runtime/logger.js';
import { ATTR, SPAN } from '../../shared/telemetry/names.js';
import { createMemoryVectorStore } from '../../shared/vectorstore/memory-store.js';
import { testTracing } from '../helpers/tracing.js';

const tracing = testTracing('memory-curator');
afterAll(() => tracing.shutdown());
const tracer = tracing.tracerProvider.getTracer('test');

const DAY = 86_400_000;

/** Texts map to fixed unit-ish vectors; cosine(A, A') ≈ 0.995, cosine(A, B) = 0. */
const VECTORS: Record<string, number[]> = {
  'robot arm control': [1, 0, 0, 0],
  'robotic arm control loop': [1, 0.1, 0, 0],
  'camera video upload': [0, 1, 0, 0],
  'sensor fleet telemetry': [0, 0, 1, 0],
  'alarm sensors': [0, 0, 0.95, 0.31],
  'pump vibration': [0, 0, 0, 1],
};
const provider: EmbeddingProvider = {
  id: 'fixed-test-vectors',
  dimensions: 4,
  embed: (texts) =>
    Promise.resolve(
      texts.map((t) => {
        const v = VECTORS[t];
        if (!v) throw new Error(`no test vector for ${t}`);
        return v;
      }),
    ),
  close: () => Promise.resolve(),
};

const urllc = {
  serviceType: 'URLLC',
  latency: 'high',
  reliability: 'high',
  cost: 'general',
} as const;
const mmtc = {
  serviceType: 'mMTC',
  latency: 'best-effort',
  reliability: 'medium',
  cost: 'cost-sensitive',
} as const;

function outcome(overrides: Partial<SliceOutcome> = {}): SliceOutcome {
  return {
    type: 'slice.outcome.v1',
    sliceId: 's1',
    at: 10 * DAY,
    text: 'robot arm control',
    preference: { latency: 0.6, reliability: 0.3, economics: 0.05, throughput: 0.05 },
    profile: urllc,
    served: true,
    observed: { latencyMs: 12, cost: 20, reliabilityCost: 0 },
    ...overrides,
  };
}

async function setup(options: Partial<MemoryCuratorOptions> = {}, now = 20 * DAY) {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', sink: { write: (l) => lines.push(l) } });
  const store = createMemoryVectorStore({ now: () => now });
  const collection = await store.collection('t-memory', { provider });
  const curator = createMemoryCurator(
    { collection, provider, now: () => now, tracer, logger },
    { mergeSimilarity: 0.93, maxEntries: 100, minBatchIntervalMs: 0, ...options },
  );
  const entries = async () =>
    (await collection.get())
      .flatMap((r) => decodeMemoryEntry(r) ?? [])
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  return { curator, collection, entries, lines };
}

describe('memory curator', () => {
  it('stores a served outcome as a new entry with its vector, QoE and time', async () => {
    const { curator, collection, entries } = await setup();
    const result = await curator.curate(outcome());
    expect(result).toMatchObject({ action: 'inserted', entryId: 'mem-s1-864000000', evicted: [] });
    const [entry] = await entries();
    expect(entry).toMatchObject({
      text: 'robot arm control',
      observations: 1,
      lastSeenAt: 10 * DAY,
      qoe: { latencyMs: 12, cost: 20, reliabilityCost: 0 },
    });
    const [hit] = await collection.query([1, 0, 0, 0], 1);
    expect(hit?.similarity).toBeCloseTo(1, 6);
    expect(curator.stats()).toMatchObject({ outcomes: 1, inserted: 1 });
  });

  it('stores the text cleaned as the interpreter cleans a request: no hidden characters', async () => {
    const { curator, collection, entries } = await setup();
    await curator.curate(outcome({ text: ' robot\u202e arm\u200b\ncontrol\u0007 ' }));
    const [entry] = await entries();
    expect(entry?.text).toBe('robot arm control');
    expect((await collection.get()).map((r) => r.document)).toEqual(['robot arm control']);
  });

  it('merges a similar outcome of the same service type instead of storing it again', async () => {
    const { curator, entries } = await setup();
    await curator.curate(outcome());
    const result = await curator.curate(
      outcome({
        sliceId: 's2',
        at: 11 * DAY,
        text: 'robotic arm control loop',
        preference: { latency: 0.2, reliability: 0.6, economics: 0.1, throughput: 0.1 },
      }),
    );
    expect(result.action).toBe('merged');
    expect(result.similarity).toBeGreaterThan(0.99);
    const all = await entries();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      observations: 2,
      lastSeenAt: 11 * DAY,
      text: 'robot arm control',
    });
    // Equal qualities (same figures, similar weights) → close to the plain mean of 0.6 and 0.2.
    expect(all[0]?.preference.latency).toBeGreaterThan(0.35);
    expect(all[0]?.preference.latency).toBeLessThan(0.45);
  });

  it('keeps different intents and different service types apart', async () => {
    const { curator, entries } = await setup();
    await curator.curate(outcome());
    expect(
      (await curator.curate(outcome({ sliceId: 's2', text: 'camera video upload' }))).action,
    ).toBe('inserted');
    // Same wording, other service type: a different intent.
    expect(
      (await curator.curate(outcome({ sliceId: 's3', text: 'robot arm control', profile: mmtc })))
        .action,
    ).toBe('inserted');
    // Similar but below the threshold (cosine 0.95 < 0.96).
    const { curator: strict, entries: strictEntries } = await setup({ mergeSimilarity: 0.96 });
    await strict.curate(outcome({ text: 'sensor fleet telemetry', profile: mmtc }));
    expect(
      (await strict.curate(outcome({ sliceId: 's2', text: 'alarm sensors', profile: mmtc })))
        .action,
    ).toBe('inserted');
    expect(await entries()).toHaveLength(3);
    expect(await strictEntries()).toHaveLength(2);
  });

  it('is idempotent on redelivery and lets a slice’s later outcome replace its earlier one', async () => {
    const { curator, entries } = await setup();
    await curator.curate(outcome());
    expect((await curator.curate(outcome())).action).toBe('duplicate');
    const released = await curator.curate(
      outcome({ at: 12 * DAY, observed: { latencyMs: 25, cost: 20, reliabilityCost: 1 } }),
    );
    expect(released.action).toBe('superseded');
    expect((await curator.curate(outcome({ at: 11 * DAY }))).action).toBe('stale');
    const [entry] = await entries();
    expect(entry).toMatchObject({
      observations: 1,
      lastSeenAt: 12 * DAY,
      qoe: { latencyMs: 25, cost: 20, reliabilityCost: 1 },
    });
    expect(entry?.contributions).toHaveLength(1);
    expect(curator.stats()).toMatchObject({ inserted: 1, duplicates: 1, superseded: 1, stale: 1 });
  });

  it('never stores unserved outcomes', async () => {
    const { curator, entries } = await setup();
    const result = await curator.curate(outcome({ served: false }));
    expect(result).toMatchObject({ action: 'skipped-unserved', quality: 0 });
    await curator.curate(outcome({ sliceId: 's2' }));
    // An unserved outcome similar to an existing entry does not move it either.
    const before = (await entries())[0]?.preference;
    await curator.curate(
      outcome({
        sliceId: 's3',
        served: false,
        preference: { latency: 0, reliability: 0, economics: 1, throughput: 0 },
      }),
    );
    expect((await entries())[0]?.preference).toEqual(before);
    expect(await entries()).toHaveLength(1);
    expect(curator.stats().skippedUnserved).toBe(2);
  });

  it('evicts the least retained entry when the bank is full, logging and counting it', async () => {
    const now = 60 * DAY;
    const { curator, entries, lines } = await setup({ maxEntries: 2 }, now);
    await curator.curate(outcome({ sliceId: 'old', at: 5 * DAY, text: 'robot arm control' }));
    await curator.curate(outcome({ sliceId: 'recent', at: 59 * DAY, text: 'camera video upload' }));
    const result = await curator.curate(
      outcome({ sliceId: 'newest', at: 60 * DAY, text: 'pump vibration', profile: mmtc }),
    );
    expect(result.evicted).toEqual(['mem-old-432000000']);
    expect((await entries()).map((e) => e.id)).toEqual([
      'mem-newest-5184000000',
      'mem-recent-5097600000',
    ]);
    expect(curator.stats().evicted).toBe(1);
    const logged = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['entryId'] === 'mem-old-432000000');
    expect(logged).toMatchObject({ level: 'info', bound: 2 });
    expect(tracing.spansNamed(SPAN.memoryEvict).length).toBeGreaterThan(0);
  });

  it('traces every update as a child of the caller’s context, with what it did', async () => {
    const { curator } = await setup();
    const parent = tracer.startSpan('publisher');
    const ctx = trace.setSpan(otelContext.active(), parent);
    await curator.curate(outcome({ sliceId: 'traced' }), ctx);
    parent.end();
    const span = tracing
      .spansNamed(SPAN.memoryCurate)
      .find((s) => s.attributes[ATTR.sliceId] === 'traced');
    expect(span?.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(span?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(span?.attributes[ATTR.memoryAction]).toBe('inserted');
    expect(span?.attributes[ATTR.memoryEntryId]).toBe('mem-traced-864000000');
  });

  it('curates outcomes that arrive together in one batch, deciding each as if alone', async () => {
    const outcomes = [
      outcome(),
      outcome({ sliceId: 's2', at: 11 * DAY, text: 'robotic arm control loop' }),
      outcome(), // redelivery
      outcome({ at: 12 * DAY, observed: { latencyMs: 25, cost: 20, reliabilityCost: 1 } }),
      outcome({ at: 11 * DAY }), // older than what s1 already gave
      outcome({ sliceId: 's3', text: 'camera video upload' }),
      outcome({ sliceId: 's4', profile: mmtc }),
      outcome({ sliceId: 's5', served: false }),
      outcome({ sliceId: 's6', text: 'alarm sensors', profile: mmtc }),
      outcome({ sliceId: 's7', text: 'sensor fleet telemetry', profile: mmtc }),
      outcome({ sliceId: 's4', at: 13 * DAY, profile: mmtc }),
    ];
    const one = await setup();
    const alone: CurateResult[] = [];
    for (const o of outcomes) alone.push(await one.curator.curate(o));

    const batched = await setup();
    const roundTrips = { queries: 0, upserts: 0 };
    const { queryMany, upsert } = batched.collection;
    batched.collection.queryMany = (...args) => {
      roundTrips.queries += 1;
      return queryMany.apply(batched.collection, args);
    };
    batched.collection.upsert = (...args) => {
      roundTrips.upserts += 1;
      return upsert.apply(batched.collection, args);
    };
    const parents = outcomes.map((o, i) => tracer.startSpan(`outcome-${i}-${o.sliceId}`));
    const together = await Promise.all(
      outcomes.map((o, i) =>
        batched.curator.curate(o, trace.setSpan(otelContext.active(), parents[i] as Span)),
      ),
    );
    for (const p of parents) p.end();

    const summary = (r: CurateResult) => [r.action, r.entryId, r.quality, r.evicted];
    expect(together.map(summary)).toEqual(alone.map(summary));
    expect(together.map((r) => r.action)).toEqual([
      'inserted',
      'merged',
      'duplicate',
      'superseded',
      'stale',
      'inserted',
      'inserted',
      'skipped-unserved',
      'inserted',
      'merged',
      'superseded',
    ]);
    together.forEach((r, i) =>
      expect(r.similarity ?? -1).toBeCloseTo(alone[i]?.similarity ?? -1, 5),
    );
    expect(await batched.entries()).toEqual(await one.entries());
    expect(batched.curator.stats()).toEqual(one.curator.stats());
    // The first outcome went alone; the ten behind it shared one query and one upsert.
    expect(roundTrips).toEqual({ queries: 2, upserts: 2 });
    // Every outcome keeps its own span, under its own parent.
    const spans = tracing.spansNamed(SPAN.memoryCurate);
    for (const parent of parents) {
      const own = spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
      expect(own).toHaveLength(1);
      expect(own[0]?.spanContext().traceId).toBe(parent.spanContext().traceId);
    }
  });

  it('lets outcomes gather for the minimum batch interval while they keep coming', async () => {
    const { curator, collection, entries } = await setup({ minBatchIntervalMs: 300 });
    let upserts = 0;
    const { upsert } = collection;
    collection.upsert = (...args) => {
      upserts += 1;
      return upsert.apply(collection, args);
    };
    await curator.curate(outcome()); // after a quiet spell: at once
    const second = curator.curate(outcome({ sliceId: 's2', text: 'camera video upload' }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const third = curator.curate(outcome({ sliceId: 's3', text: 'pump vibration', profile: mmtc }));
    expect((await Promise.all([second, third])).map((r) => r.action)).toEqual([
      'inserted',
      'inserted',
    ]);
    expect(upserts).toBe(2);
    expect(await entries()).toHaveLength(3);
  });

  it('evicts once per batch, never an entry the batch founded', async () => {
    const now = 60 * DAY;
    const { curator, entries } = await setup({ maxEntries: 2 }, now);
    const results = await Promise.all([
      curator.curate(outcome({ sliceId: 'old', at: 5 * DAY, text: 'robot arm control' })),
      curator.curate(outcome({ sliceId: 'recent', at: 59 * DAY, text: 'camera video upload' })),
      curator.curate(
        outcome({ sliceId: 'newest', at: 60 * DAY, text: 'pump vibration', profile: mmtc }),
      ),
    ]);
    expect(results.map((r) => r.evicted)).toEqual([[], [], ['mem-old-432000000']]);
    expect((await entries()).map((e) => e.id)).toEqual([
      'mem-newest-5184000000',
      'mem-recent-5097600000',
    ]);
  });

  it('rejects every outcome of a batch whose write failed, and curates the next batch', async () => {
    const { curator, collection, entries } = await setup();
    const { upsert } = collection;
    let failures = 1;
    collection.upsert = (...args) =>
      failures-- > 0 ? Promise.reject(new Error('store down')) : upsert.apply(collection, args);
    const first = await Promise.allSettled([curator.curate(outcome())]);
    expect(first[0]?.status).toBe('rejected');
    expect((await curator.curate(outcome())).action).toBe('inserted');
    expect(await entries()).toHaveLength(1);
  });

  it('applies concurrent outcomes one at a time', async () => {
    const { curator, entries } = await setup();
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((id, i) =>
        curator.curate(outcome({ sliceId: id, at: (10 + i) * DAY })),
      ),
    );
    expect(results.map((r) => r.action)).toEqual(['inserted', 'merged', 'merged', 'merged']);
    expect((await entries())[0]?.observations).toBe(4);
  });
});
