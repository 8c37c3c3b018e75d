/**
 * The vector store and the interpreter against a real Chroma server.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSliceMeshError } from '../../shared/contracts/errors.js';
import { InferenceReply } from '../../shared/contracts/messages.js';
import {
  createWinkEmbeddingProvider,
  type EmbeddingProvider,
} from '../../shared/embeddings/index.js';
import { connectChromaStore, encodeIntentMetadata, META } from '../../shared/vectorstore/index.js';
import {
  createInterpreter,
  createOfflineReasoner,
  parseKnowledge,
} from '../../agents/interpreter/index.js';
import { useChromaServer } from '../helpers/chroma.js';
import { expectProviderSwitch } from '../helpers/vectorstore.js';

const chroma = useChromaServer();
const cacheDir = fileURLToPath(new URL('../../.data/embeddings', import.meta.url));
const knowledgePath = fileURLToPath(
  new URL('../../scenarios/knowledge/intents.jsonl', import.meta.url),
);

function tinyProvider(id: string, dims: number): EmbeddingProvider {
  return {
    id,
    dimensions: dims,
    embed: (texts) =>
      Promise.resolve(
        texts.map((t) =>
          Array.from({ length: dims }, (_, i) => (t.charCodeAt(i % t.length) % 7) + i),
        ),
      ),
    close: () => Promise.resolve(),
  };
}

describe('chroma vector store', () => {
  it('stores explicit embeddings with provider and timestamps, and queries by cosine similarity', async () => {
    let now = 1_000;
    const store = await connectChromaStore({ url: chroma.url, now: () => now });
    const c = await store.collection('vs-basic', { provider: tinyProvider('p1', 3) });
    await c.upsert([
      { id: 'x', document: 'x doc', embedding: [1, 0, 0], metadata: { kind: 'a' } },
      { id: 'y', document: 'y doc', embedding: [0, 1, 0], metadata: { kind: 'b', createdAt: 5 } },
    ]);
    now = 2_000;
    await c.upsert([
      {
        id: 'x',
        document: 'x doc 2',
        embedding: [1, 0.1, 0],
        metadata: { kind: 'a', createdAt: 1_000 },
      },
    ]);
    const hits = await c.query([1, 0, 0], 5);
    expect(hits.map((h) => h.id)).toEqual(['x', 'y']);
    expect(hits[0]?.similarity).toBeCloseTo(1 / Math.hypot(1, 0.1), 4);
    expect(hits[0]).toMatchObject({
      document: 'x doc 2',
      metadata: { kind: 'a', provider: 'p1', createdAt: 1_000, updatedAt: 2_000 },
    });
    expect((await c.query([1, 0, 0], 5, { kind: 'b' })).map((h) => h.id)).toEqual(['y']);
    expect(await c.count()).toBe(2);
    await c.delete(['x']);
    expect((await c.get()).map((r) => r.id)).toEqual(['y']);
  });

  it('refuses to mix providers and re-embeds stored documents when asked', async () => {
    const store = await connectChromaStore({ url: chroma.url });
    await expectProviderSwitch(store, 'vs-switch', tinyProvider('p1', 3), tinyProvider('p2', 5), {
      id: 'a',
      document: 'alpha',
      embedding: [1, 2, 3],
      metadata: { createdAt: 77 },
    });
    // Reopening with the same provider keeps the data.
    expect(
      await (await store.collection('vs-switch', { provider: tinyProvider('p2', 5) })).count(),
    ).toBe(1);
  });

  it('answers several query embeddings in one round trip exactly as one by one', async () => {
    const store = await connectChromaStore({ url: chroma.url, now: () => 1_000 });
    const c = await store.collection('vs-query-many', { provider: tinyProvider('p1', 4) });
    await c.upsert(
      Array.from({ length: 60 }, (_, i) => ({
        id: `r${i}`,
        document: `record ${i}`,
        embedding: [Math.cos(i / 9), Math.sin(i / 9), (i % 7) / 7, (i % 3) / 3],
        metadata: { kind: i % 2 === 0 ? 'even' : 'odd' },
      })),
    );
    const queries = Array.from({ length: 9 }, (_, i) => [Math.cos(i), Math.sin(i), i / 9, 0.5]);
    const together = await c.queryMany(queries, 7);
    const alone = await Promise.all(queries.map((q) => c.query(q, 7)));
    expect(together).toEqual(alone);
    expect(together.every((hits) => hits.length === 7)).toBe(true);
    const filtered = await c.queryMany(queries.slice(0, 3), 4, { kind: 'odd' });
    expect(filtered).toEqual(
      await Promise.all(queries.slice(0, 3).map((q) => c.query(q, 4, { kind: 'odd' }))),
    );
    expect(filtered.flat().every((h) => h.metadata.kind === 'odd')).toBe(true);
    expect(await c.queryMany([], 4)).toEqual([]);
  });

  it('reports an unreachable server as unavailable', async () => {
    try {
      await connectChromaStore({ url: 'http://127.0.0.1:9' });
      expect.unreachable();
    } catch (error) {
      expect(isSliceMeshError(error) && error.code).toBe('unavailable');
    }
  });
});

describe('interpreter on Chroma', () => {
  it('bootstraps the knowledge base once, answers from it and lets fresh memories steer', async () => {
    const provider = createWinkEmbeddingProvider({ cacheDir });
    const store = await connectChromaStore({ url: chroma.url });
    const lines = parseKnowledge((await import('node:fs')).readFileSync(knowledgePath, 'utf8'));
    let now = Date.UTC(2026, 0, 1);
    const deps = { provider, store, reasoner: createOfflineReasoner(), now: () => now };

    const first = await createInterpreter(deps, { namespace: 'itest', knowledge: knowledgePath });
    expect(first.bootstrap).toEqual({ total: lines.length, written: lines.length, removed: 0 });
    const second = await createInterpreter(deps, { namespace: 'itest', knowledge: knowledgePath });
    expect(second.bootstrap).toEqual({ total: lines.length, written: 0, removed: 0 });
    expect(await (await store.collection('itest-knowledge', { provider })).count()).toBe(
      lines.length,
    );

    const text = 'Closed-loop control of the palletising robots, 5 ms cycle, no lost commands';
    const r = await second.interpret({ text });
    expect(
      InferenceReply.safeParse({ type: 'interpreter.infer.reply.v1', sliceId: 's-1', ...r })
        .success,
    ).toBe(true);
    expect(r.profile.serviceType).toBe('URLLC');
    expect(r.neighbours).toHaveLength(10);
    expect(
      r.neighbours.every((n) => n.source === 'knowledge' && lines.some((l) => l.id === n.id)),
    ).toBe(true);

    // Two memories of the same request: the one written an hour ago outranks the one from last year.
    const memory = await store.collection('itest-memory', { provider });
    const [vector] = await provider.embed([text]);
    const entry = (createdAt: number) =>
      encodeIntentMetadata({
        source: 'memory',
        createdAt,
        preference: { latency: 0.7, reliability: 0.2, economics: 0.05, throughput: 0.05 },
        profile: { serviceType: 'URLLC', latency: 'high', reliability: 'high', cost: 'general' },
      });
    await memory.upsert([
      {
        id: 'mem-old',
        document: text,
        embedding: vector ?? [],
        metadata: entry(now - 365 * 86_400_000),
      },
      { id: 'mem-new', document: text, embedding: vector ?? [], metadata: entry(now - 3_600_000) },
    ]);
    now += 1_000;
    const withMemory = await second.interpret({ text });
    const ids = withMemory.neighbours.map((n) => n.id);
    expect(ids.slice(0, 2)).toEqual(['mem-new', 'mem-old']);
    expect(withMemory.neighbours[0]?.weight).toBeGreaterThan(withMemory.neighbours[1]?.weight ?? 1);
    expect((await memory.get(['mem-old']))[0]?.metadata[META.provider]).toBe(provider.id);
  });

  it('answers concurrent requests exactly as it answers them one at a time', async () => {
    const provider = createWinkEmbeddingProvider({ cacheDir });
    const store = await connectChromaStore({ url: chroma.url });
    const now = Date.UTC(2026, 0, 1);
    const interpreter = await createInterpreter(
      { provider, store, reasoner: createOfflineReasoner(), now: () => now },
      { namespace: 'itest-batch', knowledge: knowledgePath },
    );
    const texts = [
      'Closed-loop control of the palletising robots, 5 ms cycle, no lost commands',
      'HD video from the inspection cameras to the quality office',
      'Thousands of cheap humidity sensors reporting twice an hour',
      'AR headsets guiding maintenance technicians on the shop floor',
      'Emergency stop signals for the press line, must never be lost',
      'Bulk upload of machine logs overnight, cost matters most',
      'AGV fleet coordination in the warehouse with tight latency',
      'Energy meters reading consumption every fifteen minutes',
    ];
    const alone = [];
    for (const text of texts) alone.push(await interpreter.interpret({ text }));
    const together = await Promise.all(texts.map((text) => interpreter.interpret({ text })));
    expect(together).toEqual(alone);
  });
});
