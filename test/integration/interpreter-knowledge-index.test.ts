/**
 * The interpreter's in-process knowledge index against a real Chroma server:
 * for every evaluation request, generated request and knowledge-base text, it
 * returns the neighbours Chroma's query on the same collection returns — same
 * ids, same order, same documents and metadata, distances within 1e-5 — up
 * to the order of records Chroma finds equally distant (see
 * test/helpers/neighbours.ts). It follows the collection when another
 * instance bootstraps another knowledge base, and the interpreter answers
 * from it as it does through Chroma.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ChromaClient, type Metadata } from 'chromadb';
import { describe, expect, it } from 'vitest';
import {
  bootstrapKnowledge,
  createInterpreter,
  createOfflineReasoner,
  openKnowledgeIndex,
  parseKnowledge,
  type KnowledgeIndex,
} from '../../agents/interpreter/index.js';
import { createWinkEmbeddingProvider } from '../../shared/embeddings/index.js';
import { generateInstance } from '../../shared/model/index.js';
import { connectChromaStore, type RecordMetadata } from '../../shared/vectorstore/index.js';
import { useChromaServer } from '../helpers/chroma.js';
import { compareRankings, type Ranked } from '../helpers/neighbours.js';
import { waitFor } from '../helpers/wait.js';

const chroma = useChromaServer();
const provider = createWinkEmbeddingProvider({
  cacheDir: fileURLToPath(new URL('../../.data/embeddings', import.meta.url)),
});
const knowledgePath = fileURLToPath(
  new URL('../../scenarios/knowledge/intents.jsonl', import.meta.url),
);
const lines = parseKnowledge(readFileSync(knowledgePath, 'utf8'));
const evalTexts = readFileSync(
  fileURLToPath(new URL('../../scenarios/knowledge/intents-eval.jsonl', import.meta.url)),
  'utf8',
)
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => (JSON.parse(l) as { text: string }).text);
const generatedTexts = Array.from({ length: 10 }, (_, seed) =>
  generateInstance(seed, 20).requests.map((r) => r.description),
).flat();

/** Distances agree this closely (Chroma computes them in float32). */
const TOLERANCE = 1e-5;
/** Candidates the interpreter takes from the knowledge collection per request. */
const CANDIDATES = 16;
const now = () => Date.UTC(2026, 0, 1);

interface ChromaHit extends Ranked {
  readonly document: string;
  readonly metadata: RecordMetadata;
}

function rawClient(): ChromaClient {
  const url = new URL(chroma.url);
  return new ChromaClient({ host: url.hostname, port: Number(url.port), ssl: false });
}

function plain(meta: Metadata | null | undefined): RecordMetadata {
  const out: RecordMetadata = {};
  for (const [k, v] of Object.entries(meta ?? {}))
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  return out;
}

/** Chroma's own answer, straight from its client: the `n` nearest with their distances. */
async function chromaQuery(
  name: string,
  embeddings: readonly (readonly number[])[],
  n: number,
): Promise<ChromaHit[][]> {
  const collection = await rawClient().getCollection({ name });
  const out: ChromaHit[][] = [];
  for (let i = 0; i < embeddings.length; i += 50) {
    const r = await collection.query({
      queryEmbeddings: embeddings.slice(i, i + 50).map((e) => [...e]),
      nResults: n,
      include: ['distances', 'documents', 'metadatas'],
    });
    r.ids.forEach((ids, q) =>
      out.push(
        ids.map((id, j) => ({
          id,
          distance: r.distances[q]?.[j] ?? NaN,
          document: r.documents[q]?.[j] ?? '',
          metadata: plain(r.metadatas[q]?.[j]),
        })),
      ),
    );
  }
  return out;
}

async function indexQuery(index: KnowledgeIndex, embedding: readonly number[], k: number) {
  return (await index.query(embedding, k)).map((h) => ({
    id: h.id,
    distance: 1 - h.similarity,
    document: h.document,
    metadata: h.metadata,
  }));
}

interface Agreement {
  readonly queries: number;
  /** Where the index disagrees with Chroma's exhaustive ranking or its top-k answer. */
  readonly problems: string[];
  /**
   * Queries whose Chroma top-k answer (HNSW, approximate) left out a record
   * Chroma's own exhaustive ranking puts in the top k. The index is exact: it
   * returns that record there, and Chroma's top-k answer does not.
   */
  readonly chromaMisses: string[];
  /** Tie groups of two or more records met within the index's top-k answers. */
  readonly tieGroups: number;
  readonly maxDistanceDiff: number;
}

/**
 * Compares the index with Chroma for each embedding: its top-`CANDIDATES` and
 * its full ranking against Chroma's full ranking (n = collection size, which
 * makes Chroma's HNSW search exhaustive), and its top-k with Chroma's top-k
 * answer id for id where no tie is involved and Chroma's search missed
 * nothing.
 */
async function compareWithChroma(
  index: KnowledgeIndex,
  embeddings: readonly (readonly number[])[],
): Promise<Agreement> {
  const size = index.size;
  const [full, topK] = await Promise.all([
    chromaQuery(index.name, embeddings, size),
    chromaQuery(index.name, embeddings, CANDIDATES),
  ]);
  const problems: string[] = [];
  const chromaMisses: string[] = [];
  let tieGroups = 0;
  let maxDistanceDiff = 0;
  for (const [q, embedding] of embeddings.entries()) {
    const chromaFull = full[q] ?? [];
    const chromaTop = topK[q] ?? [];
    const top = await indexQuery(index, embedding, CANDIDATES);
    const all = await indexQuery(index, embedding, size);
    if (chromaFull.length !== size) problems.push(`query ${q}: Chroma ranked ${chromaFull.length}`);
    const ofTop = compareRankings(chromaFull, top, TOLERANCE);
    const ofAll = compareRankings(chromaFull, all, TOLERANCE);
    const chromaOwn = compareRankings(chromaFull, chromaTop, TOLERANCE);
    for (const [what, c] of [
      ['index top-k', ofTop],
      ['index full ranking', ofAll],
    ] as const)
      problems.push(...c.problems.map((p) => `query ${q}, ${what}: ${p}`));
    if (chromaOwn.problems.length > 0)
      chromaMisses.push(`query ${q}: ${chromaOwn.problems.join('; ')}`);
    if (ofTop.tieGroups === 0 && chromaOwn.tieGroups === 0 && chromaOwn.problems.length === 0) {
      const a = top.map((h) => h.id).join(',');
      const b = chromaTop.map((h) => h.id).join(',');
      if (a !== b) problems.push(`query ${q}: index ${a}, Chroma ${b}`);
    }
    // The hits carry what Chroma stores for them.
    const stored = new Map(chromaFull.map((h) => [h.id, h]));
    for (const h of top) {
      const s = stored.get(h.id);
      if (
        s?.document !== h.document ||
        JSON.stringify(sortKeys(s.metadata)) !== JSON.stringify(sortKeys(h.metadata))
      )
        problems.push(`query ${q}: ${h.id} differs in document or metadata`);
    }
    tieGroups += ofTop.tieGroups;
    maxDistanceDiff = Math.max(maxDistanceDiff, ofAll.maxDistanceDiff);
  }
  return { queries: embeddings.length, problems, chromaMisses, tieGroups, maxDistanceDiff };
}

function sortKeys(m: RecordMetadata): [string, unknown][] {
  return Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1));
}

describe('in-process knowledge index against Chroma', () => {
  it('returns the neighbours Chroma returns, in its order, for every evaluation, generated and knowledge text', async () => {
    const store = await connectChromaStore({ url: chroma.url, now });
    const interpreter = await createInterpreter(
      { provider, store, reasoner: createOfflineReasoner(), now },
      { namespace: 'kidx', knowledge: knowledgePath },
    );
    const index = interpreter.knowledgeIndex;
    expect(index.size).toBe(lines.length);
    // The index searches the space the collection was created in.
    const raw = await rawClient().getCollection({ name: index.name });
    expect(raw.configuration.hnsw?.space).toBe('cosine');
    // ... with the vectors Chroma holds: the provider's for each stored document.
    const held = await raw.get({ include: ['documents', 'embeddings'], limit: lines.length + 1 });
    expect(held.ids).toHaveLength(lines.length);
    const again = await provider.embed(held.documents.map((d) => d ?? ''));
    let vectorDiff = 0;
    held.embeddings.forEach((e, i) =>
      e.forEach(
        (x, j) => (vectorDiff = Math.max(vectorDiff, Math.abs(x - (again[i]?.[j] ?? NaN)))),
      ),
    );
    expect(vectorDiff).toBeLessThan(1e-6);

    const texts = [...evalTexts, ...generatedTexts, ...lines.map((l) => l.text)];
    const embeddings = [
      ...(await provider.embed(texts)),
      new Array<number>(provider.dimensions).fill(0),
    ];
    const agreement = await compareWithChroma(index, embeddings);
    expect(agreement.problems).toEqual([]);
    // Chroma's top-16 search skips a neighbour now and then (about one query in a few thousand
    // here); the index then returns the neighbours Chroma's exhaustive ranking has. Many misses
    // would mean the two top-k answers were hardly compared at all.
    expect(agreement.chromaMisses.length).toBeLessThanOrEqual(Math.ceil(agreement.queries / 50));
    expect(agreement.queries).toBe(evalTexts.length + generatedTexts.length + lines.length + 1);
    expect(agreement.maxDistanceDiff).toBeLessThan(TOLERANCE);
    // A knowledge text finds itself first.
    for (const l of lines.slice(0, 20)) {
      const [vector] = await provider.embed([l.text]);
      expect((await index.query(vector ?? [], 1))[0]?.id).toBe(l.id);
    }
  });

  it('agrees with Chroma on exact ties, which it orders by id', async () => {
    const store = await connectChromaStore({ url: chroma.url, now });
    const ties = await store.collection('kidx-ties', { provider });
    // A small collection (HNSW stays exhaustive on it even with duplicates; on a large one
    // with many, Chroma's search skips some records now and then): 60 entries, and every
    // sixth twice more under ids sorting before and after it, three equal vectors each.
    const some = lines.slice(0, 60);
    await bootstrapKnowledge(ties, provider, some, now());
    const records = await ties.get();
    const vectors = await provider.embed(records.map((r) => r.document));
    const tripled = records.filter((_, i) => i % 6 === 0);
    await ties.upsert(
      tripled.flatMap((r) => {
        const embedding = vectors[records.indexOf(r)] ?? [];
        return [
          { ...r, embedding, id: `0-${r.id}` },
          { ...r, embedding, id: `${r.id}-dup` },
        ];
      }),
    );
    const index = await openKnowledgeIndex(ties, provider);
    expect(index.size).toBe(some.length + 2 * tripled.length);
    const embeddings = await provider.embed([...evalTexts, ...some.map((l) => l.text)]);
    const agreement = await compareWithChroma(index, embeddings);
    expect(agreement.problems).toEqual([]);
    expect(agreement.chromaMisses.length).toBeLessThanOrEqual(Math.ceil(agreement.queries / 50));
    expect(agreement.tieGroups).toBeGreaterThanOrEqual(tripled.length);
    // Its own text finds a tripled entry first, the three in id order (Chroma's order is its own).
    for (const r of tripled) {
      const [vector] = await provider.embed([r.document]);
      const top = await index.query(vector ?? [], 3);
      expect(top.map((h) => h.id)).toEqual([`0-${r.id}`, r.id, `${r.id}-dup`]);
      const [chromaTop] = await chromaQuery(index.name, [vector ?? []], 3);
      expect(new Set(chromaTop?.map((h) => h.id))).toEqual(new Set(top.map((h) => h.id)));
    }
  });

  it('follows the collection when another instance bootstraps another knowledge base', async () => {
    const store = await connectChromaStore({ url: chroma.url, now });
    let clock = 0;
    const deps = {
      provider,
      store,
      reasoner: createOfflineReasoner(),
      now,
      guardClock: () => clock,
    };
    const first = await createInterpreter(deps, {
      namespace: 'kidx-follow',
      knowledge: lines,
      knowledgeRefreshMs: 1_000,
    });
    const before = first.knowledgeIndex.fingerprint;
    const [dropped, changed, ...rest] = lines;
    if (dropped === undefined || changed === undefined) throw new Error('knowledge base too small');
    const other = [
      { ...changed, text: `${changed.text} across three halls` },
      ...rest,
      { ...changed, id: 'kb-extra', text: 'Extra line: camera uplink from the paint shop robots' },
    ];
    const second = await createInterpreter(deps, { namespace: 'kidx-follow', knowledge: other });
    expect(second.bootstrap).toMatchObject({ written: 2, removed: 1 });

    // Not due: the first instance still answers from what it indexed.
    await first.interpret({ text: 'camera uplink from the paint shop robots' });
    expect(first.knowledgeIndex.fingerprint).toBe(before);
    clock += 1_000;
    await first.interpret({ text: 'camera uplink from the paint shop robots' });
    await waitFor(() => first.knowledgeIndex.fingerprint !== before, {
      what: 'the index to follow the collection',
    });
    expect(first.knowledgeIndex.fingerprint).toBe(second.knowledgeIndex.fingerprint);
    expect(first.knowledgeIndex.size).toBe(other.length);
    const agreement = await compareWithChroma(
      first.knowledgeIndex,
      await provider.embed(evalTexts),
    );
    expect(agreement.problems).toEqual([]);
    const answer = await first.interpret({ text: 'camera uplink from the paint shop robots' });
    expect(answer.neighbours[0]?.id).toBe('kb-extra');
  });

  it('answers every request as the interpreter querying Chroma for its knowledge does', async () => {
    const store = await connectChromaStore({ url: chroma.url, now });
    const deps = { provider, store, reasoner: createOfflineReasoner(), now };
    const fromIndex = await createInterpreter(deps, {
      namespace: 'kidx',
      knowledge: knowledgePath,
    });
    const fromChroma = await createInterpreter(deps, {
      namespace: 'kidx',
      knowledge: knowledgePath,
      knowledgeFrom: 'store',
    });
    const texts = [...evalTexts, ...generatedTexts];
    const chromaMissed: string[] = [];
    for (const text of texts) {
      const a = await fromIndex.interpret({ text });
      const b = await fromChroma.interpret({ text });
      expect(a.degraded || b.degraded).toBe(false);
      const same =
        JSON.stringify(a.neighbours.map((n) => n.id)) ===
          JSON.stringify(b.neighbours.map((n) => n.id)) &&
        JSON.stringify(a.profile) === JSON.stringify(b.profile) &&
        (['latency', 'reliability', 'economics', 'throughput'] as const).every(
          (d) => Math.abs(a.preference[d] - b.preference[d]) < 1e-4,
        );
      if (same) continue;
      // Only where Chroma's top-16 search skipped a neighbour its exhaustive ranking has.
      const [vector] = await provider.embed([text]);
      const name = fromIndex.knowledgeIndex.name;
      const [full] = await chromaQuery(name, [vector ?? []], fromIndex.knowledgeIndex.size);
      const [top] = await chromaQuery(name, [vector ?? []], CANDIDATES);
      expect(compareRankings(full ?? [], top ?? [], TOLERANCE).problems).not.toEqual([]);
      chromaMissed.push(text);
    }
    expect(chromaMissed.length).toBeLessThanOrEqual(Math.ceil(texts.length / 50));
  });
});
