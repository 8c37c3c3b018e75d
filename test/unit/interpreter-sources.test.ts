/**
 * The interpreter when its store cannot answer: the knowledge base comes from
 * the in-process index (on every request by default, or in place of a failed
 * or slow Chroma query with `knowledgeFrom: 'store'`), the answer is marked
 * degraded and says the memory bank was unavailable, and the store is tried
 * again once it may be back.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import { ATTR, SPAN } from '../../shared/telemetry/names.js';
import {
  createMemoryVectorStore,
  encodeIntentMetadata,
  type VectorCollection,
  type VectorStore,
} from '../../shared/vectorstore/index.js';
import { createInterpreter } from '../../agents/interpreter/interpreter.js';
import type { KnowledgeLine } from '../../agents/interpreter/knowledge.js';
import { createOfflineReasoner } from '../../agents/interpreter/reasoners/offline.js';
import { guardSource } from '../../agents/interpreter/sources.js';
import { testTracing } from '../helpers/tracing.js';

const tracing = testTracing('interpreter-sources');
afterAll(() => tracing.shutdown());
const tracer = tracing.tracerProvider.getTracer('test');

/** Bag of words hashed into 32 buckets: similar wording → similar vectors. */
const provider: EmbeddingProvider = {
  id: 'fake-bow',
  dimensions: 32,
  embed: (texts) =>
    Promise.resolve(
      texts.map((t) => {
        const v = new Array<number>(32).fill(0);
        for (const w of t.toLowerCase().match(/[a-z]+/g) ?? []) {
          let h = 0;
          for (const ch of w) h = (h * 31 + ch.charCodeAt(0)) % 32;
          v[h] = (v[h] ?? 0) + 1;
        }
        return v;
      }),
    ),
  close: () => Promise.resolve(),
};

const line = (
  id: string,
  text: string,
  serviceType: 'URLLC' | 'eMBB' | 'mMTC',
  p: [number, number, number, number],
): KnowledgeLine => ({
  id,
  text,
  serviceType,
  latency: serviceType === 'URLLC' ? 'high' : 'medium',
  reliability: serviceType === 'URLLC' ? 'high' : 'medium',
  cost: serviceType === 'mMTC' ? 'cost-sensitive' : 'general',
  preference: { latency: p[0], reliability: p[1], economics: p[2], throughput: p[3] },
});
const knowledge = [
  line('kb-1', 'robot arm motion control on the welding line', 'URLLC', [0.5, 0.35, 0.05, 0.1]),
  line('kb-2', 'robot motion control for the packaging line', 'URLLC', [0.55, 0.3, 0.05, 0.1]),
  line('kb-3', 'video cameras streaming to the security office', 'eMBB', [0.1, 0.15, 0.15, 0.6]),
  line('kb-4', 'cheap sensors reporting temperature every hour', 'mMTC', [0.05, 0.15, 0.7, 0.1]),
];

type Mode = 'up' | 'down' | 'hang';

/** An in-process store standing in for Chroma, whose queries can fail or hang. */
function flakyStore(now: () => number) {
  const base = createMemoryVectorStore({ now });
  // `only`: fail just the collection whose name ends with it.
  const state = { mode: 'up' as Mode, queries: 0, only: undefined as string | undefined };
  const store: VectorStore = {
    location: 'http://127.0.0.1:1',
    dropCollection: (name) => base.dropCollection(name),
    close: () => base.close(),
    collection: async (name, options) => {
      const c = await base.collection(name, options);
      return Object.assign(Object.create(c) as VectorCollection, {
        queryMany: (...args: Parameters<VectorCollection['queryMany']>) => {
          state.queries += 1;
          if (state.only !== undefined && !name.endsWith(state.only)) return c.queryMany(...args);
          if (state.mode === 'down')
            return Promise.reject(
              new SliceMeshError('unavailable', `Chroma query of ${name} failed: fetch failed`),
            );
          if (state.mode === 'hang') return new Promise<never>(() => undefined);
          return c.queryMany(...args);
        },
      });
    },
  };
  return { store, state, base };
}

describe('guarded store queries', () => {
  it('answers from the copy while the store fails, skips it for a while, then probes it once at a time', async () => {
    let clock = 0;
    const state = { mode: 'up' as Mode, calls: 0 };
    const copyStore = createMemoryVectorStore();
    const copy = await copyStore.collection('k', { provider });
    const stored = await createMemoryVectorStore().collection('k', { provider });
    for (const c of [copy, stored])
      await c.upsert([
        { id: 'a', document: 'a', embedding: [1, ...new Array<number>(31).fill(0)] },
        { id: 'b', document: 'b', embedding: [0, 1, ...new Array<number>(30).fill(0)] },
      ]);
    const store: VectorCollection = Object.assign(Object.create(stored) as VectorCollection, {
      query: (embedding: readonly number[], k: number) => {
        state.calls += 1;
        if (state.mode === 'down')
          return Promise.reject(new SliceMeshError('unavailable', 'Chroma query failed: refused'));
        if (state.mode === 'hang') return new Promise<never>(() => undefined);
        return stored.query(embedding, k);
      },
    });
    const changes: string[] = [];
    const source = guardSource(
      'knowledge',
      store,
      copy,
      { timeoutMs: 30, retryAfterMs: 1_000 },
      { clock: () => clock, onChange: (c) => changes.push(`${c.state} ${c.reason ?? ''}`.trim()) },
    );
    const q = [1, ...new Array<number>(31).fill(0)];

    expect(await source.query(q, 1)).toEqual({ hits: [expect.objectContaining({ id: 'a' })] });
    state.mode = 'down';
    expect(await source.query(q, 1)).toMatchObject({
      hits: [{ id: 'a' }],
      unavailable: 'unavailable: refused',
      fromCopy: true,
    });
    expect(source.down).toBe(true);
    // Within retryAfterMs the store is not asked at all.
    const calls = state.calls;
    clock += 999;
    expect((await source.query(q, 1)).fromCopy).toBe(true);
    expect(state.calls).toBe(calls);

    // Due again, and the store hangs: one request probes (and gives up after timeoutMs),
    // a request meanwhile is answered from the copy without asking the store.
    clock += 1;
    state.mode = 'hang';
    const probe = source.query(q, 1);
    const meanwhile = await source.query(q, 1);
    expect(meanwhile.fromCopy).toBe(true);
    expect(state.calls).toBe(calls + 1);
    expect(await probe).toMatchObject({ unavailable: 'timeout: no answer within 30 ms' });

    clock += 1_000;
    state.mode = 'up';
    expect(await source.query(q, 1)).toEqual({ hits: [expect.objectContaining({ id: 'a' })] });
    expect(source.down).toBe(false);
    expect(changes).toEqual(['down unavailable: refused', 'up']);
  });
});

describe('interpreter without its store', () => {
  async function setup(withKnowledge = true, knowledgeFrom: 'index' | 'store' = 'index') {
    let clock = 0;
    const now = () => 1_000_000;
    const flaky = flakyStore(now);
    const deps = {
      provider,
      store: flaky.store,
      reasoner: createOfflineReasoner(),
      tracer,
      now,
      guardClock: () => clock,
    };
    // Bootstrap once, so an interpreter without the knowledge lines finds them stored.
    const first = await createInterpreter(deps, { namespace: 'unit', knowledge, knowledgeFrom });
    const interpreter = withKnowledge
      ? first
      : await createInterpreter(deps, {
          namespace: 'unit',
          guard: { retryAfterMs: 500 },
          knowledgeFrom,
        });
    return { interpreter, state: flaky.state, advance: (ms: number) => (clock += ms), base: flaky };
  }

  it.each([
    ['bootstrapped from the knowledge lines', true],
    ['indexing the records the store holds', false],
  ])(
    'answers the knowledge base from its index on every request, %s, and only the memory bank from the store',
    async (_name, withKnowledge) => {
      const { interpreter, state, advance } = await setup(withKnowledge);
      expect(interpreter.knowledgeIndex.size).toBe(knowledge.length);
      const text = 'motion control of the robot arm';
      const queries = state.queries;
      const normal = await interpreter.interpret({ text });
      expect(normal.degraded).toBe(false);
      expect(normal.neighbours.length).toBeGreaterThan(0);
      // One store query: the memory bank's.
      expect(state.queries).toBe(queries + 1);

      state.mode = 'down';
      tracing.exporter.reset();
      const degraded = await interpreter.interpret({ text });
      expect(degraded.degraded).toBe(true);
      expect(degraded.rationale).toMatch(
        /memory bank unavailable, answered without memories \(Chroma: unavailable: fetch failed\)/,
      );
      expect(degraded.rationale).not.toMatch(/knowledge base/);
      expect(degraded.preference).toEqual(normal.preference);
      expect(degraded.profile).toEqual(normal.profile);
      expect(degraded.neighbours).toEqual(normal.neighbours);
      const [retrieve] = tracing.spansNamed(SPAN.interpreterRetrieve);
      expect(retrieve?.attributes[ATTR.interpreterUnavailable]).toBe('memory');

      state.mode = 'up';
      expect((await interpreter.interpret({ text })).degraded).toBe(true); // not retried yet
      advance(1_000);
      const back = await interpreter.interpret({ text });
      expect(back).toEqual(normal);
    },
  );

  it.each([
    ['bootstrapped from the knowledge lines', true],
    ['indexing the records the store holds', false],
  ])(
    "with knowledgeFrom 'store', answers degraded from the index, %s, and normally once the store is back",
    async (_name, withKnowledge) => {
      const { interpreter, state, advance } = await setup(withKnowledge, 'store');
      expect(interpreter.knowledgeIndex.size).toBe(knowledge.length);
      const text = 'motion control of the robot arm';
      const normal = await interpreter.interpret({ text });
      expect(normal.degraded).toBe(false);

      state.mode = 'down';
      tracing.exporter.reset();
      const degraded = await interpreter.interpret({ text });
      expect(degraded.degraded).toBe(true);
      expect(degraded.rationale).toMatch(
        /memory bank unavailable, answered without memories; knowledge base answered from the in-process index \(Chroma: unavailable: fetch failed\)/,
      );
      expect(degraded.preference).toEqual(normal.preference);
      expect(degraded.profile).toEqual(normal.profile);
      expect(degraded.neighbours).toEqual(normal.neighbours);
      const [retrieve] = tracing.spansNamed(SPAN.interpreterRetrieve);
      expect(retrieve?.attributes[ATTR.interpreterUnavailable]).toBe('memory,knowledge');

      state.mode = 'up';
      expect((await interpreter.interpret({ text })).degraded).toBe(true); // not retried yet
      advance(1_000);
      const back = await interpreter.interpret({ text });
      expect(back).toEqual(normal);
    },
  );

  it('says the memory bank was unavailable even when only the memory query fails', async () => {
    const { interpreter, state, base } = await setup();
    const memory = await base.base.collection('unit-memory', { provider });
    const [vector] = await provider.embed(['robot arm motion control']);
    await memory.upsert([
      {
        id: 'mem-1',
        document: 'robot arm motion control',
        embedding: vector ?? [],
        metadata: encodeIntentMetadata({
          source: 'memory',
          createdAt: 1_000_000,
          preference: { latency: 0.1, reliability: 0.7, economics: 0.1, throughput: 0.1 },
          profile: { serviceType: 'URLLC', latency: 'high', reliability: 'high', cost: 'general' },
        }),
      },
    ]);
    const text = 'robot arm motion control';
    expect((await interpreter.interpret({ text })).neighbours[0]?.id).toBe('mem-1');
    state.mode = 'down';
    state.only = '-memory';
    const degraded = await interpreter.interpret({ text });
    expect(degraded.degraded).toBe(true);
    expect(degraded.neighbours.map((n) => n.source)).not.toContain('memory');
    expect(degraded.neighbours.length).toBeGreaterThan(0);
    expect(degraded.rationale).toMatch(
      /memory bank unavailable, answered without memories \(Chroma: unavailable: fetch failed\)/,
    );
    expect(degraded.rationale).not.toMatch(/knowledge base answered/);
  });
});
