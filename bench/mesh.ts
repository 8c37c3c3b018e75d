/**
 * Mesh benchmark (prints one JSON object): slice requests through the whole
 * live mesh — every role in this process, on an embedded nats-server and
 * Chroma, the offline reasoner — measured from the moment the request is
 * published on the intake until its `active` event arrives.
 *
 *  - latency: one request at a time (each released before the next), p50/p99,
 *    plus the median time spent in each lifecycle phase;
 *  - throughput: a closed loop keeping `--concurrency` requests in flight,
 *    each slice terminated as soon as it is active (so capacity never runs
 *    out), in slices activated per second;
 *  - both with one orchestrator instance and with two (the second one a
 *    `slicemesh agent orchestrator` process in the same queue group);
 *  - the span breakdown of the median request's trace: what its latency is
 *    made of;
 *  - a yardstick of the machine (bare NATS round trips, see probe.ts), since
 *    the figures differ several-fold between machines of the same size.
 *
 * Method: qappo when its checkpoint exists under SLICEMESH_MODEL_DIR, else
 * first-fit (`--method` overrides). Goals: p50 ≤ 25 ms, p99 ≤ 80 ms,
 * ≥ 200 slice requests per second on 2 cores.
 *
 * With `--active-levels` (default 0,1000,10000), the one-orchestrator run
 * measures both again with that many slices held active in the background
 * (requested first, never released), and reports each process's resident
 * memory at every level: whether a request's cost stays flat as the plant fills. At each
 * level it first measures the CPU the held slices cost with nothing sent (KPI ticks and
 * their judging, heartbeats, paced state writes), which every request there shares the
 * machine with.
 *
 *   npm run bench:mesh [-- --requests 100 --throughput-requests 200 --concurrency 32 --method first-fit --active-levels 0,1000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { readCheckpointMetadata } from '../agents/orchestrator/index.js';
import { roles } from '../cli/roles.js';
import { localMesh } from '../cli/replay/local-mesh.js';
import type { ReplayMesh } from '../cli/replay/runner.js';
import { connectBus, type Bus } from '../shared/bus/index.js';
import {
  DEFAULT_TENANT,
  Heartbeat,
  TERMINAL_SLICE_STATES,
  type SliceEvent,
  type SliceState,
} from '../shared/contracts/index.js';
import { generateInstance, type ModelRequest } from '../shared/model/index.js';
import { loadConfig } from '../shared/runtime/config.js';
import { startChromaServer, startNatsServer } from '../shared/runtime/embedded/index.js';
import { createLogger } from '../shared/runtime/logger.js';
import { probeNatsRoundTrip } from './probe.js';
import { percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '100' },
    'throughput-requests': { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '10' },
    method: { type: 'string' },
    'active-levels': { type: 'string', default: '0,1000,10000' },
  },
});
/** Slices held active in the background while latency and throughput are measured again. */
const ACTIVE_LEVELS = values['active-levels']
  .split(',')
  .map((x) => Number(x.trim()))
  .filter((x) => Number.isInteger(x) && x >= 0)
  .sort((a, b) => a - b);
const LATENCY_REQUESTS = Number(values.requests);
const THROUGHPUT_REQUESTS = Number(values['throughput-requests']);
const CONCURRENCY = Number(values.concurrency);
const WARMUP = Number(values.warmup);
const SEED = 1_000_000;

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const progress = (line: string) => process.stderr.write(`bench:mesh ${line}\n`);

/** Processes whose CPU time the throughput run accounts per request (besides this one). */
const helperPids = new Map<string, number>();

/** CPU ms used so far by a process (Linux /proc; undefined elsewhere). */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/** Resident memory of a process in MB (Linux /proc; undefined elsewhere). */
function processRssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? undefined : round(Number(kb) / 1024, 1);
  } catch {
    return undefined;
  }
}

/** RSS per process: this one (every embedded role) and the helpers. */
function rssSnapshot(): Record<string, number | undefined> {
  const out: Record<string, number | undefined> = {
    mesh: round(process.memoryUsage().rss / 2 ** 20, 1),
  };
  for (const [name, pid] of helperPids) out[name] = processRssMb(pid);
  return out;
}

/** CPU ms per process: this one (all embedded roles), and the helpers. */
function cpuSnapshot(): Record<string, number | undefined> {
  const own = process.cpuUsage();
  const out: Record<string, number | undefined> = { mesh: (own.user + own.system) / 1000 };
  for (const [name, pid] of helperPids) out[name] = processCpuMs(pid);
  return out;
}

const IDLE_SECONDS = 5;

/** A subject with its ids left out: the kind of message it carries. */
function subjectKind(subject: string, namespace: string): string {
  const tokens = subject.split('.');
  if (tokens[0] === namespace) {
    // <ns>.slice.intake.<partition>.<verb>…: the verb says what it is.
    if (tokens[1] === 'slice' && tokens[2] === 'intake')
      return `${namespace}.slice.intake.${tokens[4]}`;
    return tokens.slice(0, tokens[1] === 'svc' || tokens[1] === 'slice' ? 3 : 2).join('.');
  }
  if (tokens[0] === '$KV' || tokens[0] === '_INBOX') return tokens.slice(0, 2).join('.');
  return tokens.slice(0, 3).join('.');
}

/**
 * Over IDLE_SECONDS with nothing sent: CPU ms per second per process, and the messages per
 * second on the server by kind (the busiest), which say what that CPU goes to.
 */
async function measureIdle(observer: Bus): Promise<{
  drainSeconds: number;
  cpuMsPerSecond: Record<string, number | null>;
  messagesPerSecond: Record<string, number>;
  consumerBacklog: Record<string, { before: number; after: number }>;
}> {
  const counts = new Map<string, number>();
  const all = observer.connection.subscribe('>', {
    callback: (_error, message) => {
      const kind = subjectKind(message.subject, observer.namespace);
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    },
  });
  await observer.flush();
  const jsm = await jetstreamManager(observer.connection);
  const consumersOf = async () => {
    const out = new Map<string, { pending: number; delivered: number }>();
    for (const stream of [observer.subjects.eventStream, observer.subjects.intakeStream])
      for (const info of await jsm.consumers.list(stream).next())
        out.set(`${stream}/${info.name}`, {
          pending: info.num_pending + info.num_ack_pending,
          delivered: info.delivered.stream_seq,
        });
    return out;
  };
  // First let the durables work off what the fill sent (up to a minute), so the window
  // measures the held slices, not a backlog; how long that took is reported.
  const drainStart = performance.now();
  const backlogOf = async () =>
    [...(await consumersOf()).values()].reduce((sum, c) => sum + c.pending, 0);
  while (performance.now() - drainStart < 60_000 && (await backlogOf()) > 0)
    await new Promise((resolve) => setTimeout(resolve, 500));
  const drainSeconds = round((performance.now() - drainStart) / 1000, 1);
  const consumersBefore = await consumersOf();
  const before = cpuSnapshot();
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
  const cpuMsPerSecond = cpuPerRequest(before, cpuSnapshot(), IDLE_SECONDS);
  all.unsubscribe();
  const consumersAfter = await consumersOf();
  const busiest = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 12);
  return {
    drainSeconds,
    cpuMsPerSecond,
    messagesPerSecond: Object.fromEntries(busiest.map(([k, n]) => [k, round(n / IDLE_SECONDS)])),
    // A durable still working off what the fill sent: its backlog at the start and the end.
    consumerBacklog: Object.fromEntries(
      [...consumersAfter]
        .filter(
          ([name, after]) => after.pending > 0 || (consumersBefore.get(name)?.pending ?? 0) > 0,
        )
        .map(([name, after]) => [
          name,
          { before: consumersBefore.get(name)?.pending ?? 0, after: after.pending },
        ]),
    ),
  };
}

/** CPU ms per activated request, per process, between two snapshots. */
function cpuPerRequest(
  before: Record<string, number | undefined>,
  after: Record<string, number | undefined>,
  requests: number,
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [name, end] of Object.entries(after)) {
    const start = before[name];
    out[name] =
      end === undefined || start === undefined || requests === 0
        ? null
        : round((end - start) / requests, 2);
  }
  return out;
}

const workDir = mkdtempSync(join(tmpdir(), 'slicemesh-bench-mesh-'));
const baseConfig = loadConfig();

async function chooseMethod(): Promise<{ method: string; why: string }> {
  if (values.method) return { method: values.method, why: '--method' };
  try {
    const meta = await readCheckpointMetadata(join(baseConfig.model.dir, 'qappo'));
    return { method: 'qappo', why: `qappo checkpoint (${meta.steps} steps)` };
  } catch {
    return { method: 'first-fit', why: 'no qappo checkpoint' };
  }
}

/** Waits for the terminal or `active` event of each slice the bench sent. */
class SliceWaiter {
  readonly #waiting = new Map<
    string,
    { states: readonly SliceState[]; resolve: (e: SliceEvent) => void }
  >();

  wait(sliceId: string, states: readonly SliceState[]): Promise<SliceEvent> {
    return new Promise((resolve) => this.#waiting.set(sliceId, { states, resolve }));
  }

  observe(event: SliceEvent): void {
    const w = this.#waiting.get(event.sliceId);
    if (!w || !w.states.includes(event.to)) return;
    this.#waiting.delete(event.sliceId);
    w.resolve(event);
  }
}

const SETTLED: readonly SliceState[] = ['active', ...TERMINAL_SLICE_STATES];

interface Sent {
  readonly id: string;
  readonly request: ModelRequest;
}

let nextIndex = 0;
const pool = generateInstance(SEED, 1_000).requests;
function nextRequest(phase: string): Sent {
  const request = pool[nextIndex % pool.length] as ModelRequest;
  nextIndex += 1;
  return { id: `bench-${phase}-${nextIndex}`, request };
}

async function publishRequest(mesh: ReplayMesh, sent: Sent): Promise<void> {
  await mesh.publish({
    kind: 'request',
    message: {
      type: 'slice.request.v2',
      sliceId: sent.id,
      tenant: DEFAULT_TENANT,
      text: sent.request.description,
      sla: sent.request.profile,
      demand: sent.request.demand,
      submittedAt: Date.now(),
    },
  });
}

async function publishTermination(mesh: ReplayMesh, id: string): Promise<void> {
  await mesh.publish({
    kind: 'terminate',
    message: {
      type: 'slice.terminate.v2',
      sliceId: id,
      tenant: DEFAULT_TENANT,
      submittedAt: Date.now(),
      reason: 'bench',
    },
  });
}

/** Phases of one slice's way to active, from its history (ms). */
function phases(event: SliceEvent): Record<string, number> {
  const h = event.record.history;
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < h.length; i++) {
    const entry = h[i];
    const next = h[i + 1];
    if (entry && next) out[entry.state] = (out[entry.state] ?? 0) + (next.at - entry.at);
  }
  return out;
}

interface LatencyFigures {
  readonly latencies: number[];
  readonly phases: Record<string, number>[];
  readonly traces: { traceId: string; ms: number }[];
  notActive: number;
}

/** One request at a time: publish → active, then release it before the next. */
async function measureLatency(mesh: ReplayMesh, waiter: SliceWaiter): Promise<LatencyFigures> {
  const figures: LatencyFigures = { latencies: [], phases: [], traces: [], notActive: 0 };
  for (let i = 0; i < WARMUP + LATENCY_REQUESTS; i++) {
    const sent = nextRequest('latency');
    const settled = waiter.wait(sent.id, SETTLED);
    const start = performance.now();
    await publishRequest(mesh, sent);
    const event = await settled;
    const ms = performance.now() - start;
    if (event.to !== 'active') {
      if (i >= WARMUP) figures.notActive += 1;
      continue;
    }
    if (i >= WARMUP) {
      figures.latencies.push(ms);
      figures.phases.push(phases(event));
      if (event.record.traceId) figures.traces.push({ traceId: event.record.traceId, ms });
    }
    const gone = waiter.wait(sent.id, TERMINAL_SLICE_STATES);
    await publishTermination(mesh, sent.id);
    await gone;
  }
  return figures;
}

/** A closed loop: `CONCURRENCY` requests in flight, each slice released as soon as it is active. */
async function measureThroughput(
  mesh: ReplayMesh,
  waiter: SliceWaiter,
): Promise<{
  perSecond: number;
  active: number;
  notActive: number;
  seconds: number;
  latencies: number[];
  phases: Record<string, number>[];
  cpuMsPerRequest: Record<string, number | null>;
}> {
  let launched = 0;
  const cpuBefore = cpuSnapshot();
  const latencies: number[] = [];
  const phaseList: Record<string, number>[] = [];
  let active = 0;
  let notActive = 0;
  const releases: Promise<unknown>[] = [];
  const start = performance.now();
  let lastActive = start;
  const worker = async () => {
    while (launched < THROUGHPUT_REQUESTS) {
      launched += 1;
      const sent = nextRequest('throughput');
      const settled = waiter.wait(sent.id, SETTLED);
      const sentAt = performance.now();
      await publishRequest(mesh, sent);
      const event = await settled;
      if (event.to !== 'active') {
        notActive += 1;
        continue;
      }
      active += 1;
      lastActive = performance.now();
      latencies.push(lastActive - sentAt);
      phaseList.push(phases(event));
      const gone = waiter.wait(sent.id, TERMINAL_SLICE_STATES);
      releases.push(publishTermination(mesh, sent.id).then(() => gone));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (lastActive - start) / 1000;
  await Promise.all(releases);
  const cpuMsPerRequest = cpuPerRequest(cpuBefore, cpuSnapshot(), active);
  return {
    cpuMsPerRequest,
    perSecond: round(active / seconds),
    active,
    notActive,
    seconds: round(seconds, 2),
    latencies,
    phases: phaseList,
  };
}

/**
 * Brings the slices held active in the background up to `target`: requests in
 * a closed loop (`CONCURRENCY` in flight), none released. Requests the mesh
 * rejects do not count; the loop stops after 3 × target attempts.
 */
async function fillTo(
  mesh: ReplayMesh,
  waiter: SliceWaiter,
  held: { count: number },
  target: number,
): Promise<{ seconds: number; rejected: number }> {
  const start = performance.now();
  let attempts = 0;
  let rejected = 0;
  const limit = 3 * (target - held.count);
  let lastReport = start;
  const worker = async () => {
    while (held.count < target && attempts < limit) {
      attempts += 1;
      const sent = nextRequest('background');
      const settled = waiter.wait(sent.id, SETTLED);
      await publishRequest(mesh, sent);
      const event = await settled;
      if (event.to === 'active') held.count += 1;
      else rejected += 1;
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        progress(`  ${held.count}/${target} background slices active`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { seconds: round((performance.now() - start) / 1000, 1), rejected };
}

interface OtlpSpan {
  traceId: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
}

/** The run's OTLP JSON trace file, as the file exporter writes it. */
interface TraceFile {
  resourceSpans: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: { spans?: OtlpSpan[] }[];
  }[];
}

function readTraceFile(path: string): TraceFile {
  return JSON.parse(readFileSync(path, 'utf8')) as TraceFile;
}

/**
 * How long each placement of the throughput run held the slice-manager's
 * placement lock — from its placement request until its apply (or decline)
 * reply came back — and the request/reply hops inside. Placements run one at
 * a time, so the run cannot place faster than 1000 / mean hold (ms) per second.
 */
function placementHold(file: TraceFile): Record<string, number> | undefined {
  const byTrace = new Map<string, OtlpSpan[]>();
  for (const rs of file.resourceSpans) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const list = byTrace.get(s.traceId);
        if (list) list.push(s);
        else byTrace.set(s.traceId, [s]);
      }
    }
  }
  const ms = (ns: string) => Number(BigInt(ns) / 1000n) / 1000;
  const holds: number[] = [];
  const hops: Record<'place' | 'apply', number[]> = { place: [], apply: [] };
  let slices = 0;
  for (const spans of byTrace.values()) {
    if (!spans.some((s) => s.name.includes('bench-throughput'))) continue;
    const requests = (...services: string[]) =>
      spans
        .filter((s) => s.name.startsWith('bus.request') && services.some((x) => s.name.endsWith(x)))
        .sort((a, b) => ms(a.startTimeUnixNano) - ms(b.startTimeUnixNano));
    const places = requests('.svc.orchestrator.place');
    const ends = requests('.svc.infrastructure.apply', '.svc.infrastructure.decline');
    if (places.length === 0) continue;
    slices += 1;
    for (const place of places) {
      const start = ms(place.startTimeUnixNano);
      const end = ends.find((e) => ms(e.startTimeUnixNano) >= start);
      if (end) holds.push(ms(end.endTimeUnixNano) - start);
    }
    for (const [hop, list] of [
      ['place', places],
      ['apply', requests('.svc.infrastructure.apply')],
    ] as const) {
      for (const s of list) hops[hop].push(ms(s.endTimeUnixNano) - ms(s.startTimeUnixNano));
    }
  }
  if (holds.length === 0) return undefined;
  return {
    holdMsP50: round(percentile(holds, 50), 1),
    holdMsMean: round(holds.reduce((a, b) => a + b, 0) / holds.length, 1),
    placeRequestMsP50: round(percentile(hops.place, 50), 1),
    applyRequestMsP50: round(percentile(hops.apply, 50), 1),
    placementsPerSlice: round(holds.length / slices, 2),
  };
}

/**
 * The spans of one trace: those that ended before the slice became active
 * (its critical path), in start order, and the longest of the work that
 * follows activation (memory, audit, telemetry), which competes for the CPU.
 */
function traceBreakdown(
  file: TraceFile,
  traceId: string,
  namespace: string,
): Record<string, unknown> {
  const spans: { name: string; service: string; startNs: bigint; endNs: bigint }[] = [];
  for (const rs of file.resourceSpans) {
    const service =
      rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        if (s.traceId !== traceId) continue;
        spans.push({
          name: s.name,
          service: service.replace(/^slicemesh-/, ''),
          startNs: BigInt(s.startTimeUnixNano),
          endNs: BigInt(s.endTimeUnixNano),
        });
      }
    }
  }
  if (spans.length === 0) return {};
  const t0 = spans.reduce((min, s) => (s.startNs < min ? s.startNs : min), spans[0]?.startNs ?? 0n);
  const activeAt = spans.find((s) => s.name === 'slice.transition active')?.startNs;
  const show = (s: (typeof spans)[number]) => ({
    span: s.name.replace(` ${namespace}.`, ' '),
    service: s.service,
    atMs: round(Number(s.startNs - t0) / 1e6, 1),
    ms: round(Number(s.endNs - s.startNs) / 1e6, 1),
  });
  const byStart = [...spans].sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
  return {
    activeAtMs: activeAt === undefined ? null : round(Number(activeAt - t0) / 1e6, 1),
    criticalPath: byStart
      .filter((s) => activeAt !== undefined && s.endNs <= activeAt)
      .filter((s) => !s.name.startsWith('slice.lifecycle'))
      .map(show),
    afterActivationLongest: byStart
      .filter((s) => activeAt !== undefined && s.startNs >= activeAt)
      .sort((a, b) => Number(b.endNs - b.startNs - (a.endNs - a.startNs)))
      .slice(0, 5)
      .map(show),
  };
}

function startSecondOrchestrator(
  env: Record<string, string>,
  namespace: string,
  method: string,
): { child: ChildProcess; exited: Promise<unknown> } {
  const child = spawn(process.execPath, ['bin/slicemesh.js', 'agent', 'orchestrator'], {
    env: {
      ...process.env,
      ...env,
      SLICEMESH_NAMESPACE: namespace,
      SLICEMESH_ORCHESTRATOR_METHOD: method,
      SLICEMESH_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, exited };
}

async function waitForOrchestrators(bus: Bus, count: number): Promise<void> {
  const seen = new Set<string>();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${seen.size} of ${count} orchestrators came up`)),
      120_000,
    );
    bus.subscribe(bus.subjects.heartbeatsAll(), Heartbeat, (beat) => {
      if (beat.role !== 'orchestrator' || beat.state !== 'running') return;
      seen.add(beat.instanceId);
      if (seen.size >= count) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

async function runConfiguration(
  instances: 1 | 2,
  method: string,
  env: Record<string, string>,
): Promise<Record<string, unknown>> {
  const config = loadConfig({ ...process.env, ...env });
  const namespace = `bench-mesh-${instances}-${process.pid}`;
  const logger = createLogger({ level: 'warn', fields: { bench: 'mesh' } });
  const observer = await connectBus({ url: env.NATS_URL as string, namespace, name: 'bench' });
  const orchestrators = waitForOrchestrators(observer, instances);
  progress(`${instances} orchestrator instance(s): starting the mesh`);
  // A long grace: after the throughput run the memory-curator still has outcomes to write, and
  // Chroma must outlive them.
  const mesh = await localMesh({ config, registry: roles, logger, graceMs: 120_000 })({
    namespace,
    seed: SEED,
    method,
    scenario: `bench-mesh-${instances}`,
  });
  const second = instances === 2 ? startSecondOrchestrator(env, namespace, method) : undefined;
  if (second?.child.pid !== undefined) helperPids.set('orchestrator2', second.child.pid);
  try {
    await orchestrators;
    const waiter = new SliceWaiter();
    const unsubscribe = await mesh.subscribe((event) => waiter.observe(event));
    const held = { count: 0 };
    const levels: Record<string, unknown>[] = [];
    let latency: LatencyFigures | undefined;
    const phaseNames = ['requested', 'interpreting', 'planning', 'deploying'];
    const phasesP50 = (list: Record<string, number>[]) =>
      Object.fromEntries(
        phaseNames.map((p) => [
          p,
          round(
            percentile(
              list.map((x) => x[p] ?? 0),
              50,
            ),
            1,
          ),
        ]),
      );
    // The second configuration compares orchestrator instances on an empty plant only.
    for (const level of instances === 1 ? ACTIVE_LEVELS : [0]) {
      let fill: { seconds: number; rejected: number } | undefined;
      if (level > held.count) {
        progress(`${instances}: filling the plant to ${level} active slices`);
        fill = await fillTo(mesh, waiter, held, level);
      }
      progress(`${instances} @${held.count}: background load, ${IDLE_SECONDS} s without requests`);
      const idle = await measureIdle(observer);
      progress(`${instances} @${held.count}: latency, ${LATENCY_REQUESTS} requests one at a time`);
      const levelLatency = await measureLatency(mesh, waiter);
      latency ??= levelLatency;
      progress(
        `${instances} @${held.count}: throughput, ${THROUGHPUT_REQUESTS} requests, ${CONCURRENCY} in flight`,
      );
      const throughput = await measureThroughput(mesh, waiter);
      levels.push({
        activeSlices: held.count,
        ...(fill ? { fill } : {}),
        // What the held slices cost with no request in flight (KPI ticks, their judging,
        // heartbeats, paced state writes): CPU ms per second per process, which every request
        // at this level shares the machine with, and the messages behind it.
        idle,
        latencyMs: {
          p50: round(percentile(levelLatency.latencies, 50), 2),
          p99: round(percentile(levelLatency.latencies, 99), 2),
          mean: round(
            levelLatency.latencies.reduce((a, b) => a + b, 0) /
              Math.max(1, levelLatency.latencies.length),
            2,
          ),
          requests: levelLatency.latencies.length,
          notActive: levelLatency.notActive,
          // Median time per lifecycle state on the way to active (slice-manager clock).
          phasesP50: phasesP50(levelLatency.phases),
        },
        throughput: {
          sliceRequestsPerSecond: throughput.perSecond,
          activated: throughput.active,
          notActive: throughput.notActive,
          seconds: throughput.seconds,
          concurrency: CONCURRENCY,
          // Under this load: publish → active per request, and the median time per lifecycle state.
          latencyP50Ms: round(percentile(throughput.latencies, 50), 1),
          latencyP99Ms: round(percentile(throughput.latencies, 99), 1),
          phasesP50: phasesP50(throughput.phases),
          // CPU time per activated request (including its release), per process: less sensitive
          // to other load on the machine than the rates are.
          cpuMsPerRequest: throughput.cpuMsPerRequest,
        },
        rssMb: rssSnapshot(),
      });
    }
    await unsubscribe();
    const [first] = levels;
    const result: Record<string, unknown> = {
      orchestratorInstances: instances,
      // The figures on an empty plant, then every level (the first entry again).
      latencyMs: first?.latencyMs,
      throughput: first?.throughput,
      levels,
    };
    const closing = performance.now();
    await mesh.close();
    // Mostly the memory-curator catching up with the outcomes of the throughput run.
    result.shutdownSeconds = round((performance.now() - closing) / 1000, 1);
    const median = [...(latency?.traces ?? [])].sort((a, b) => a.ms - b.ms)[
      Math.floor((latency?.traces.length ?? 0) / 2)
    ];
    const traces = mesh.traceFile ? readTraceFile(mesh.traceFile) : undefined;
    const hold = traces ? placementHold(traces) : undefined;
    if (hold) (result.throughput as Record<string, unknown>).placementLock = hold;
    if (median && traces) {
      result.medianRequestTrace = {
        endToEndMs: round(median.ms, 2),
        ...traceBreakdown(traces, median.traceId, namespace),
      };
    }
    return result;
  } finally {
    helperPids.delete('orchestrator2');
    await mesh.close();
    if (second) {
      second.child.kill('SIGTERM');
      await second.exited;
    }
    await observer.drain();
  }
}

async function main(): Promise<void> {
  const { method, why } = await chooseMethod();
  const nats = await startNatsServer({ dataDir: join(workDir, 'data') });
  const chroma = await startChromaServer({ dataDir: join(workDir, 'data') });
  helperPids.set('chroma', chroma.process.pid);
  helperPids.set('nats', nats.process.pid);
  const env: Record<string, string> = {
    NATS_URL: nats.url,
    CHROMA_URL: chroma.url,
    SLICEMESH_TRACE_DIR: join(workDir, 'traces'),
    SLICEMESH_AUDIT_DIR: join(workDir, 'audit'),
    SLICEMESH_PROMETHEUS_PORT: '-1',
    SLICEMESH_REASONER: 'offline',
  };
  const loadBefore = os.loadavg().map((x) => round(x, 2));
  try {
    progress('probing the machine: bare NATS round trips');
    const natsRoundTrip = await probeNatsRoundTrip(nats.url);
    const one = await runConfiguration(1, method, env);
    const two = await runConfiguration(2, method, env);
    process.stdout.write(
      `${JSON.stringify(
        {
          bench: 'mesh',
          method,
          methodChosenBecause: why,
          reasoner: 'offline-knn',
          measured: 'slice request published on the intake → its active event received',
          runs: [one, two],
          goals: { p50Ms: 25, p99Ms: 80, sliceRequestsPerSecond: 200 },
          machine: {
            cpus: os.cpus().length,
            loadAverageBefore: loadBefore,
            // How costly loopback I/O is here: the figures above scale with it.
            natsRoundTrip,
            loadAverageAfter: os.loadavg().map((x) => round(x, 2)),
          },
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    await Promise.allSettled([chroma.stop(), nats.stop()]);
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
