/**
 * Interpreter benchmark (prints one JSON object):
 *  - coldStart: a fresh process loading the word-vector cache (building it
 *    first if missing) and creating the embedding provider;
 *  - warm inference with the offline reasoner through the whole graph against
 *    a real (embedded) Chroma: p50/p99 end to end (knowledge neighbours from
 *    the in-process index, the memory bank from Chroma), the same with the
 *    knowledge collection queried in Chroma per request (`viaChroma*`, measured
 *    interleaved in the same run, and the p50 ratio), plus embed, index-query
 *    and Chroma-query percentiles for the breakdown;
 *  - RSS of the interpreter process after the run (Chroma is a separate process).
 *
 *   npm run bench:interpreter [-- --requests 400]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  createInterpreter,
  createOfflineReasoner,
  DEFAULT_KNOWLEDGE_PATH,
  DEFAULT_MAX_TEXT_CHARS,
  estimateFromNeighbours,
  extractCues,
  normalizeRequestText,
  percentile,
  retrieveNeighbours,
  validateDraft,
} from '../agents/interpreter/index.js';
import { createWinkEmbeddingProvider } from '../shared/embeddings/index.js';
import { startChromaServer } from '../shared/runtime/embedded/chroma.js';
import { connectChromaStore } from '../shared/vectorstore/index.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '400' },
    warmup: { type: 'string', default: '50' },
    'data-dir': { type: 'string', default: '.data' },
    'cold-child': { type: 'boolean', default: false },
  },
});
const dataDir = resolve(values['data-dir']);
const cacheDir = join(dataDir, 'embeddings');
const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
const round = (x: number) => Math.round(x * 100) / 100;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

if (values['cold-child']) {
  // Runs in a fresh process: module loading is not part of the figure, cache loading is.
  const started = performance.now();
  const cpu = process.cpuUsage();
  const provider = createWinkEmbeddingProvider({ cacheDir });
  const loadMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const loadCpuMs = (used.user + used.system) / 1000;
  provider.embedOne('warm-up sentence for the first embedding');
  process.stdout.write(
    JSON.stringify({
      loadMs: round(loadMs),
      loadCpuMs: round(loadCpuMs),
      cacheBuilt: provider.load.built,
      words: provider.load.words,
      rssMb: mb(process.memoryUsage().rss),
    }),
  );
  process.exit(0);
}

/** User + system CPU of a process so far (ms), from /proc; `undefined` where there is none. */
function processCpuMs(pid: number): number | undefined {
  try {
    // Fields after the command name: state is the 3rd field, utime and stime the 14th and 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / clockTicksPerSecond() : undefined;
  } catch {
    return undefined;
  }
}

let ticksPerSecond: number | undefined;
function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout;
    ticksPerSecond = Number(out.trim()) || 100;
  }
  return ticksPerSecond;
}

function coldStart(): Record<string, unknown> {
  const self = fileURLToPath(import.meta.url);
  const run = () => {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', self, '--cold-child', '--data-dir', dataDir],
      {
        encoding: 'utf8',
      },
    );
    if (child.status !== 0) throw new Error(`cold-start child failed: ${child.stderr}`);
    return JSON.parse(child.stdout) as {
      loadMs: number;
      loadCpuMs: number;
      cacheBuilt: boolean;
      words: number;
      rssMb: number;
    };
  };
  const first = run();
  // Three fresh processes with the cache in place; report the median.
  const runs = [run(), run(), run()].sort((a, b) => a.loadMs - b.loadMs);
  const median = runs[1] ?? first;
  return {
    cacheLoadMs: median.loadMs,
    cacheLoadMsRuns: runs.map((r) => r.loadMs),
    // CPU time is what the load costs; wall time also includes waiting for a busy machine.
    cacheLoadCpuMs: median.loadCpuMs,
    ...(first.cacheBuilt ? { cacheBuildMs: first.loadMs } : {}),
    vocabulary: median.words,
    rssAfterLoadMb: median.rssMb,
  };
}

async function warm(): Promise<Record<string, unknown>> {
  const chromaDir = mkdtempSync(join(tmpdir(), 'slicemesh-bench-chroma-'));
  const chroma = await startChromaServer({ dataDir: chromaDir });
  try {
    const provider = createWinkEmbeddingProvider({ cacheDir });
    const store = await connectChromaStore({ url: chroma.url });
    const interpreter = await createInterpreter(
      { provider, store, reasoner: createOfflineReasoner() },
      { namespace: 'bench', knowledge: DEFAULT_KNOWLEDGE_PATH },
    );
    const viaChroma = await createInterpreter(
      { provider, store, reasoner: createOfflineReasoner() },
      { namespace: 'bench', knowledge: DEFAULT_KNOWLEDGE_PATH, knowledgeFrom: 'store' },
    );
    const index = interpreter.knowledgeIndex;
    const texts = readFileSync(resolve('scenarios/knowledge/intents-eval.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => (JSON.parse(l) as { text: string }).text);
    const knowledge = await store.collection('bench-knowledge', { provider });
    const memory = await store.collection('bench-memory', { provider });
    const reasoner = createOfflineReasoner();
    // The same steps without the graph runtime, to show what the framework itself costs.
    const direct = async (raw: string) => {
      const { text } = normalizeRequestText(raw, DEFAULT_MAX_TEXT_CHARS);
      const cues = extractCues(text);
      const [vector] = await provider.embed([text]);
      const neighbours = await retrieveNeighbours(
        { knowledge: index, memory },
        vector ?? [],
        Date.now(),
      );
      const estimate = estimateFromNeighbours(neighbours, cues);
      return validateDraft(
        await reasoner.reason({ text, cues, neighbours, estimate }),
        undefined,
        estimate,
        undefined,
      );
    };
    const warmup = Number(values.warmup);
    const requests = Number(values.requests);
    const total: number[] = [];
    const totalViaChroma: number[] = [];
    const withoutGraph: number[] = [];
    let graphCpuMicros = 0;
    const embed: number[] = [];
    const query: number[] = [];
    const indexQuery: number[] = [];
    for (let i = 0; i < warmup + requests; i++) {
      const text = texts[i % texts.length] ?? 'slice request';
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      await interpreter.interpret({ text });
      const t1 = performance.now();
      const used = process.cpuUsage(cpu);
      if (i >= warmup) graphCpuMicros += used.user + used.system;
      const vector = Array.from(provider.embedOne(text));
      const t2 = performance.now();
      await knowledge.query(vector, 16);
      const t3 = performance.now();
      await direct(text);
      const t4 = performance.now();
      await index.query(vector, 16);
      const t5 = performance.now();
      await viaChroma.interpret({ text });
      const t6 = performance.now();
      if (i >= warmup) {
        total.push(t1 - t0);
        embed.push(t2 - t1);
        query.push(t3 - t2);
        withoutGraph.push(t4 - t3);
        indexQuery.push(t5 - t4);
        totalViaChroma.push(t6 - t5);
      }
    }
    // Chroma's own CPU per request in each mode, one mode after the other (it serves both alike).
    const chromaCpu = async (run: (text: string) => Promise<unknown>) => {
      const n = Math.max(1, Math.floor(requests / 2));
      const before = processCpuMs(chroma.process.pid);
      for (let i = 0; i < n; i++) await run(texts[i % texts.length] ?? 'slice request');
      const after = processCpuMs(chroma.process.pid);
      return before === undefined || after === undefined ? undefined : round((after - before) / n);
    };
    const chromaCpuMsPerRequest = await chromaCpu((text) => interpreter.interpret({ text }));
    const chromaCpuMsPerRequestViaChroma = await chromaCpu((text) => viaChroma.interpret({ text }));
    for (const a of [total, totalViaChroma, embed, query, indexQuery, withoutGraph])
      a.sort((x, y) => x - y);
    return {
      requests,
      p50Ms: round(percentile(total, 50)),
      p99Ms: round(percentile(total, 99)),
      viaChromaP50Ms: round(percentile(totalViaChroma, 50)),
      viaChromaP99Ms: round(percentile(totalViaChroma, 99)),
      // Both measured interleaved in this run, so a busy machine weighs on both alike.
      p50RatioIndexToChroma: round(percentile(total, 50) / percentile(totalViaChroma, 50)),
      withoutGraphP50Ms: round(percentile(withoutGraph, 50)),
      withoutGraphP99Ms: round(percentile(withoutGraph, 99)),
      embedP50Ms: round(percentile(embed, 50)),
      chromaQueryP50Ms: round(percentile(query, 50)),
      chromaQueryP99Ms: round(percentile(query, 99)),
      indexQueryP50Ms: round3(percentile(indexQuery, 50)),
      indexQueryP99Ms: round3(percentile(indexQuery, 99)),
      // Interpreter-process CPU per request (Chroma runs in its own process).
      cpuMsPerRequest: round(graphCpuMicros / 1000 / requests),
      // The Chroma server's CPU per request (Linux /proc; absent elsewhere).
      ...(chromaCpuMsPerRequest !== undefined ? { chromaCpuMsPerRequest } : {}),
      ...(chromaCpuMsPerRequestViaChroma !== undefined ? { chromaCpuMsPerRequestViaChroma } : {}),
      rssMb: mb(process.memoryUsage().rss),
      heapUsedMb: mb(process.memoryUsage().heapUsed),
      loadAverage: os.loadavg().map((x) => round(x)),
    };
  } finally {
    await chroma.stop();
    rmSync(chromaDir, { recursive: true, force: true });
  }
}

const cold = coldStart();
const warmFigures = await warm();
process.stdout.write(
  `${JSON.stringify({ bench: 'interpreter', reasoner: 'offline-knn', coldStart: cold, warm: warmFigures, goals: { cacheLoadMs: 300, rssMb: 250, p50Ms: 10, p99Ms: 30 } }, null, 2)}\n`,
);
