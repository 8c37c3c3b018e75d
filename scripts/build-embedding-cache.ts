/**
 * Builds the binary word-vector cache ahead of time (e.g. in a Docker image
 * or a CI cache step), and, with --measure, reproduces the measurements that
 * chose its vocabulary size and precision (docs/interpreter.md).
 *
 *   npx tsx scripts/build-embedding-cache.ts [--data-dir .data] [--vocabulary 200000] [--precision int8]
 *   npx tsx scripts/build-embedding-cache.ts --measure      # vocabulary × precision table (JSON lines)
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DEFAULT_PRECISION,
  DEFAULT_VOCABULARY,
  loadWordVectors,
  VECTOR_PRECISIONS,
  type VectorPrecision,
} from '../shared/embeddings/index.js';
import { DEFAULT_SIF_OPTIONS, SifComposer } from '../shared/embeddings/sif-composer.js';
import { tokenize } from '../shared/embeddings/tokenize.js';
import { decodeWordVectorFile } from '../shared/embeddings/word-vector-file.js';
import { encodeIntentMetadata } from '../shared/vectorstore/intent-entry.js';
import {
  DEFAULT_ESTIMATE_OPTIONS,
  DEFAULT_RETRIEVAL_OPTIONS,
  dominantDimension,
  estimateFromNeighbours,
  extractCues,
  parseKnowledge,
  rerank,
} from '../agents/interpreter/index.js';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: '.data' },
    vocabulary: { type: 'string', default: String(DEFAULT_VOCABULARY) },
    precision: { type: 'string', default: DEFAULT_PRECISION },
    measure: { type: 'boolean', default: false },
    'load-child': { type: 'string' },
  },
});
const cacheDir = resolve(values['data-dir'], 'embeddings');

if (values['load-child'] !== undefined) {
  // Fresh process: time reading + decoding one cache file, nothing else.
  const rss = process.memoryUsage().rss;
  const started = performance.now();
  decodeWordVectorFile(readFileSync(values['load-child']));
  process.stdout.write(
    JSON.stringify({
      loadMs: performance.now() - started,
      rssDeltaMb: (process.memoryUsage().rss - rss) / 1e6,
    }),
  );
  process.exit(0);
}

function precisionOf(raw: string): VectorPrecision {
  const found = VECTOR_PRECISIONS.find((p) => p === raw);
  if (!found) throw new Error(`--precision must be one of ${VECTOR_PRECISIONS.join(', ')}`);
  return found;
}

if (!values.measure) {
  const loaded = loadWordVectors({
    cacheDir,
    vocabulary: Number(values.vocabulary),
    precision: precisionOf(values.precision),
    onProgress: (m) => process.stderr.write(`${m}\n`),
  });
  process.stdout.write(
    `${JSON.stringify({ path: loaded.path, built: loaded.built, words: loaded.table.count, ms: Math.round(loaded.loadMs) })}\n`,
  );
  process.exit(0);
}

// ---- --measure: the grid behind the defaults.
const root = fileURLToPath(new URL('../', import.meta.url));
const kb = parseKnowledge(readFileSync(join(root, 'scenarios/knowledge/intents.jsonl'), 'utf8'));
const evalSet = readFileSync(join(root, 'scenarios/knowledge/intents-eval.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as { text: string; serviceType: string; dominant: string });
const tokens = [...kb, ...evalSet].flatMap((e) => tokenize(e.text));
const meta = kb.map((e) =>
  encodeIntentMetadata({
    source: 'knowledge',
    createdAt: 0,
    preference: e.preference,
    profile: {
      serviceType: e.serviceType,
      latency: e.latency,
      reliability: e.reliability,
      cost: e.cost,
    },
  }),
);

function accuracy(composer: SifComposer): { loo: [number, number]; eval: [number, number] } {
  const K = kb.map((e) => composer.compose(e.text));
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);
  const predict = (q: Float32Array, skip: number, text: string) => {
    const hits = K.map((v, i) => ({ i, s: dot(q, v) }))
      .filter((h) => h.i !== skip)
      .sort((a, b) => b.s - a.s)
      .slice(0, DEFAULT_RETRIEVAL_OPTIONS.candidates)
      .map((h) => ({
        source: 'knowledge' as const,
        hit: { id: kb[h.i]?.id ?? '', document: '', metadata: meta[h.i] ?? {}, similarity: h.s },
      }));
    return estimateFromNeighbours(
      rerank(hits, 0, DEFAULT_RETRIEVAL_OPTIONS),
      extractCues(text),
      DEFAULT_ESTIMATE_OPTIONS,
    );
  };
  let looType = 0;
  let looDominant = 0;
  kb.forEach((e, i) => {
    const r = predict(K[i] ?? new Float32Array(), i, e.text);
    if (r.serviceType === e.serviceType) looType++;
    if (dominantDimension(r.preference as never) === dominantDimension(e.preference)) looDominant++;
  });
  let evType = 0;
  let evDominant = 0;
  for (const e of evalSet) {
    const r = predict(composer.compose(e.text), -1, e.text);
    if (r.serviceType === e.serviceType) evType++;
    if (dominantDimension(r.preference as never) === e.dominant) evDominant++;
  }
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    loo: [round(looType / kb.length), round(looDominant / kb.length)],
    eval: [round(evType / evalSet.length), round(evDominant / evalSet.length)],
  };
}

const grid: [number, VectorPrecision][] = [
  [25_000, 'int8'],
  [50_000, 'int8'],
  [100_000, 'int8'],
  [200_000, 'int8'],
  [200_000, 'f16'],
  [200_000, 'f32'],
  [400_000, 'int8'],
];
for (const [vocabulary, precision] of grid) {
  const started = performance.now();
  const loaded = loadWordVectors({ cacheDir, vocabulary, precision });
  const buildMs = loaded.built ? Math.round(performance.now() - started) : undefined;
  const loads = [0, 1, 2].map(() => {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--load-child', loaded.path],
      {
        encoding: 'utf8',
      },
    );
    return JSON.parse(child.stdout) as { loadMs: number; rssDeltaMb: number };
  });
  loads.sort((a, b) => a.loadMs - b.loadMs);
  const oov = tokens.filter((t) => loaded.table.indexOf(t) < 0).length / tokens.length;
  process.stdout.write(
    `${JSON.stringify({
      vocabulary: loaded.table.count,
      precision,
      fileMb: Math.round(statSync(loaded.path).size / 1e5) / 10,
      ...(buildMs !== undefined ? { buildMs } : {}),
      loadMsMedian: Math.round((loads[1]?.loadMs ?? 0) * 10) / 10,
      rssDeltaMb: Math.round(loads[1]?.rssDeltaMb ?? 0),
      oovTokenRate: Math.round(oov * 1000) / 1000,
      ...accuracy(new SifComposer(loaded.table, DEFAULT_SIF_OPTIONS)),
    })}\n`,
  );
  // Keep only the default variant on disk.
  if (vocabulary !== DEFAULT_VOCABULARY || precision !== DEFAULT_PRECISION)
    rmSync(loaded.path, { force: true });
}
