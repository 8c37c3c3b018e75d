/**
 * A fault run: streams seeded slice requests (with lifetimes, so slices come
 * and go) into a mesh of role processes while faults are injected one after
 * another, then judges the outcome against what was submitted — never against
 * what the mesh believes about itself.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { ENDPOINTS } from '../../shared/contracts/endpoints.js';
import {
  ErrorReply,
  Heartbeat,
  SliceEvent,
  SliceRequest,
  isSliceMeshError,
  type SliceRecord,
  type SliceState,
} from '../../shared/contracts/index.js';
import { TENANT_INTAKE_VERBS } from '../../shared/contracts/subjects.js';
import { HEADER, type Bus } from '../../shared/bus/index.js';
import { createRng, type Rng } from '../../shared/random.js';
import { rssMb, startFaultMesh, type FaultMesh } from './mesh.js';

export const ALL_ROLES = [
  'audit-log',
  'telemetry',
  'memory-curator',
  'infrastructure',
  'interpreter',
  'orchestrator',
  'slice-manager',
] as const;

export type FaultSpec =
  | { readonly kind: 'kill'; readonly role: string }
  | { readonly kind: 'nats-restart' }
  | { readonly kind: 'chroma-outage'; readonly downMs: number }
  | { readonly kind: 'flood'; readonly perSubject: number }
  | { readonly kind: 'soak'; readonly ms: number };

export interface FaultRunOptions {
  readonly seed: number;
  readonly roles: readonly string[];
  readonly faults: readonly FaultSpec[];
  /** Requests submitted per second while the run lasts. */
  readonly rate: number;
  /** Slice lifetimes are drawn from this range (ms). */
  readonly lifetimeMs: readonly [number, number];
  /** Quiet time after each fault before the next one. */
  readonly recoveryMs: number;
  /** Longest wait for every accepted request to end once the stream stops. */
  readonly settleTimeoutMs: number;
  /** Stop submitting after this many requests (default: no limit). */
  readonly maxRequests?: number;
  readonly env?: Record<string, string>;
  readonly log?: (line: string) => void;
}

export interface FaultRow {
  readonly fault: string;
  readonly requests: number;
  readonly failed: number;
  readonly lost: number;
  readonly duplicated: number;
  /** From the fault's start until every request submitted during it was settled (ms). */
  readonly recoveryMs: number | null;
  readonly [extra: string]: unknown;
}

export interface FaultReport {
  readonly seed: number;
  readonly durationS: number;
  readonly faults: FaultRow[];
  readonly totals: {
    submitted: number;
    accepted: number;
    notAccepted: number;
    released: number;
    rejected: number;
    failed: number;
    lost: number;
    stuck: number;
    duplicatedIds: number;
    duplicatedEvents: number;
    /** Seen twice by a plain subscriber (a retried publish), stored once. */
    republishedEvents: number;
    interpreterDegraded: number;
    interpreterReplies: number;
  };
  readonly malformed: {
    sent: Record<string, number>;
    refused: Record<string, number>;
    unanswered: number;
    validAfterFlood: SliceState | 'none';
  } | null;
  readonly agreement: { reservations: number; holding: number; mismatches: string[] };
  readonly rss: Record<
    string,
    { firstMb: number; maxMb: number; lastMb: number; restarts: number; bounded: boolean }
  >;
  readonly republished: string[];
  readonly duplicatedStored: string[];
  readonly failures: string[];
  readonly ok: boolean;
}

/** Roles started after the others (see where they start). */
const LATE_ROLES: ReadonlySet<string> = new Set(['audit-log']);
const TERMINAL: ReadonlySet<SliceState> = new Set(['released', 'rejected', 'failed']);
const SETTLED: ReadonlySet<SliceState> = new Set(['active', ...TERMINAL]);
const KB = fileURLToPath(new URL('../../scenarios/knowledge/intents.jsonl', import.meta.url));
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function knowledgeTexts(): string[] {
  return readFileSync(KB, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { text: string }).text);
}

interface Tracked {
  readonly id: string;
  readonly submittedAt: number;
  accepted: boolean;
  state?: SliceState;
  settledAt?: number;
  events: number;
}

async function waitUntil(
  check: () => boolean,
  timeoutMs: number,
  intervalMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
  return true;
}

function faultName(fault: FaultSpec): string {
  switch (fault.kind) {
    case 'kill':
      return `kill -9 ${fault.role}`;
    case 'nats-restart':
      return 'nats-server restart';
    case 'chroma-outage':
      return `chroma outage ${Math.round(fault.downMs / 1000)}s`;
    case 'flood':
      return `malformed x${fault.perSubject} per intake subject`;
    case 'soak':
      return `soak ${Math.round(fault.ms / 1000)}s`;
  }
}

/** Runs the mesh through `options.faults`; always tears the mesh down. */
export async function runFaults(options: FaultRunOptions): Promise<FaultReport> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const rng: Rng = createRng(options.seed);
  const texts = knowledgeTexts();
  const namespace = `faults${options.seed}x${process.pid}`;
  const stderrTail = new Map<string, string>();
  const mesh: FaultMesh = await startFaultMesh({
    namespace,
    env: { SLICEMESH_SEED: String(options.seed), ...options.env },
    onStderr: (role, chunk) =>
      stderrTail.set(role, ((stderrTail.get(role) ?? '') + chunk).slice(-4_000)),
  });
  // Ctrl-C or a kill mid-run: take every role process and server down, then leave.
  const stopSignals = () => void mesh.dispose().finally(() => process.exit(130));
  process.once('SIGINT', stopSignals);
  process.once('SIGTERM', stopSignals);
  try {
    return await drive(mesh, options, rng, texts, log, started, stderrTail);
  } finally {
    process.off('SIGINT', stopSignals);
    process.off('SIGTERM', stopSignals);
    await mesh.dispose();
  }
}

async function drive(
  mesh: FaultMesh,
  options: FaultRunOptions,
  rng: Rng,
  texts: string[],
  log: (line: string) => void,
  started: number,
  stderrTail: Map<string, string>,
): Promise<FaultReport> {
  const bus: Bus = await mesh.connectOperator('faults');
  const { subjects } = bus;

  // Which role instances are running (a restarted role is back when its new instance beats).
  const running = new Map<string, { instanceId: string; at: number }>();
  bus.subscribe(subjects.heartbeatsAll(), Heartbeat, (beat) => {
    if (beat.state === 'running')
      running.set(beat.role, { instanceId: beat.instanceId, at: Date.now() });
  });
  const roleUpSince = async (role: string, since: number, timeoutMs: number) => {
    await waitUntil(
      () =>
        (running.get(role)?.at ?? 0) > since || mesh.processes.get(role)?.child.exitCode !== null,
      timeoutMs,
    );
    const proc = mesh.processes.get(role);
    if (proc?.child.exitCode !== null)
      throw new Error(
        `role ${role} exited (code ${String(proc?.child.exitCode)}):\n${stderrTail.get(role) ?? ''}`,
      );
    return (running.get(role)?.at ?? 0) > since;
  };

  // Every event, keyed so a second delivery of the same transition shows as a duplicate.
  const tracked = new Map<string, Tracked>();
  const eventKeys = new Map<string, number>();
  let republishedEvents = 0;
  bus.subscribe(subjects.sliceEventsAll(), SliceEvent, (event) => {
    const key = `${event.sliceId}|${event.from ?? '-'}|${event.to}|${event.at}`;
    const seen = (eventKeys.get(key) ?? 0) + 1;
    eventKeys.set(key, seen);
    if (seen > 1) republishedEvents += 1;
    const t = tracked.get(event.sliceId);
    if (!t) return;
    t.events += 1;
    t.state = event.to;
    if (SETTLED.has(event.to) && t.settledAt === undefined) t.settledAt = Date.now();
  });

  // The interpreter's answers to the slice-manager, read off its inbox: degraded or not.
  let interpreterReplies = 0;
  let interpreterDegraded = 0;
  const decoder = new TextDecoder();
  bus.connection.subscribe(`${subjects.inboxPrefix('slice-manager')}.>`, {
    callback: (_error, msg) => {
      try {
        const body = JSON.parse(decoder.decode(msg.data)) as { type?: string; degraded?: boolean };
        if (body.type !== 'interpreter.infer.reply.v1') return;
        interpreterReplies += 1;
        if (body.degraded === true) interpreterDegraded += 1;
      } catch {
        // not JSON: not an interpreter reply
      }
    },
  });
  await bus.flush();

  // The audit-log fails to start when the event stream does not exist yet (it neither
  // creates it nor waits for it), so it starts once the roles that create it run.
  const late = options.roles.filter((role) => LATE_ROLES.has(role));
  for (const group of [options.roles.filter((role) => !LATE_ROLES.has(role)), late]) {
    log(`starting roles: ${group.join(', ')}`);
    for (const role of group) mesh.startRole(role);
    for (const role of group) {
      if (!(await roleUpSince(role, 0, 120_000)))
        throw new Error(`role ${role} did not start:\n${stderrTail.get(role) ?? ''}`);
    }
  }

  // The request stream: seeded texts and lifetimes, each submission retried (same msgId)
  // until JetStream acknowledges it, so a request is either accepted once or counted as not.
  let sequence = 0;
  let streaming = true;
  const submit = async (id: string, text: string, lifetimeMs: number): Promise<void> => {
    const t: Tracked = { id, submittedAt: Date.now(), accepted: false, events: 0 };
    tracked.set(id, t);
    const message = {
      type: 'slice.request.v2' as const,
      sliceId: id,
      tenant: 'default',
      text,
      lifetimeMs,
      submittedAt: t.submittedAt,
    };
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      try {
        await bus.jsPublish(subjects.sliceRequest('default', id), SliceRequest, message, {
          msgId: id,
        });
        t.accepted = true;
        return;
      } catch (error) {
        if (isSliceMeshError(error) && !error.retryable && error.code !== 'timeout') return;
        await sleep(500);
      }
    }
  };
  const inFlight = new Set<Promise<void>>();
  const submitOne = () => {
    sequence += 1;
    const id = `f${options.seed}-${sequence}`;
    const text = rng.pick(texts);
    const [lo, hi] = options.lifetimeMs;
    const lifetime = Math.round(lo + rng.next() * (hi - lo));
    const p = submit(id, text, lifetime).finally(() => inFlight.delete(p));
    inFlight.add(p);
    return id;
  };
  // A run sized by its request count shares them out over the faults, so a fault that
  // lasts longer than expected does not leave the next one without requests.
  let faultsStarted = 0;
  const quota = () => {
    const max = options.maxRequests;
    if (max === undefined) return Number.POSITIVE_INFINITY;
    if (faultsStarted >= options.faults.length) return max;
    return Math.ceil((max * Math.max(1, faultsStarted)) / options.faults.length);
  };
  const stream = (async () => {
    const gap = 1000 / options.rate;
    let next = Date.now();
    while (streaming && (options.maxRequests === undefined || sequence < options.maxRequests)) {
      if (sequence < quota()) submitOne();
      next += gap;
      await sleep(Math.max(0, next - Date.now()));
    }
  })();

  // RSS of each role process over time.
  const rss = new Map<string, { pid: number; samples: number[] }[]>();
  const sampleRss = () => {
    for (const [role, proc] of mesh.processes) {
      const pid = proc.child.pid;
      if (pid === undefined) continue;
      const mb = rssMb(pid);
      if (mb === null) continue;
      const runs = rss.get(role) ?? [];
      let run = runs.at(-1);
      if (!run || run.pid !== pid) runs.push((run = { pid, samples: [] }));
      run.samples.push(mb);
      rss.set(role, runs);
    }
  };
  const rssTimer = setInterval(sampleRss, 2_000);

  const rows: FaultRow[] = [];
  const failures: string[] = [];
  let malformed: FaultReport['malformed'] = null;

  // A core subscription misses the events published while it reconnects (a nats-server
  // restart): the slice's own record then says where it is and since when.
  const refresh = async (ids: string[]) => {
    const stale = ids.filter((id) => {
      const t = tracked.get(id);
      return (
        t?.accepted === true &&
        (t.state === undefined || !TERMINAL.has(t.state)) &&
        Date.now() - t.submittedAt > 5_000
      );
    });
    for (let i = 0; i < stale.length; i += 20) {
      await Promise.all(
        stale.slice(i, i + 20).map(async (id) => {
          const record = await getRecord(bus, id).catch(() => undefined);
          const t = tracked.get(id);
          if (!record || !t) return;
          t.state = record.state;
          const settled = record.history.find((h) => SETTLED.has(h.state));
          if (settled && t.settledAt === undefined) t.settledAt = settled.at;
        }),
      );
    }
  };
  const waitSettled = async (ids: string[], terminal: boolean, timeoutMs: number) => {
    const done = () =>
      ids.every((id) => {
        const t = tracked.get(id);
        if (!t || !t.accepted) return true;
        return terminal
          ? t.state !== undefined && TERMINAL.has(t.state)
          : t.settledAt !== undefined;
      });
    const deadline = Date.now() + timeoutMs;
    while (!done() && Date.now() < deadline) {
      await sleep(1_000);
      if (!done()) await refresh(ids);
    }
  };

  try {
    for (const fault of options.faults) {
      faultsStarted += 1;
      const name = faultName(fault);
      const from = sequence;
      const faultStart = Date.now();
      log(`fault: ${name}`);
      const extra: Record<string, unknown> = {};
      switch (fault.kind) {
        case 'kill': {
          await mesh.killRole(fault.role);
          const downMs = Math.round(2_000 + rng.next() * 1_000);
          await sleep(downMs);
          const restartAt = Date.now();
          mesh.startRole(fault.role);
          const up = await roleUpSince(fault.role, restartAt, 120_000);
          extra['downMs'] = downMs;
          extra['backAfterMs'] = up ? (running.get(fault.role)?.at ?? 0) - restartAt : null;
          if (!up) failures.push(`${fault.role} did not come back after its restart`);
          break;
        }
        case 'nats-restart':
          await mesh.restartNats(Math.round(1_000 + rng.next() * 1_000));
          break;
        case 'chroma-outage':
          await mesh.stopChroma();
          await sleep(fault.downMs);
          await mesh.startChroma();
          break;
        case 'flood':
          malformed = await flood(bus, fault.perSubject, submitOne, tracked);
          break;
        case 'soak':
          await sleep(fault.ms);
          break;
      }
      await sleep(options.recoveryMs);
      const ids = [...tracked.keys()].slice(from, sequence);
      // Requests submitted during the fault settle (or the row says they did not).
      await waitSettled(ids, false, options.settleTimeoutMs);
      const last = Math.max(
        faultStart,
        ...ids.map((id) => tracked.get(id)?.settledAt ?? Number.POSITIVE_INFINITY),
      );
      rows.push({
        fault: name,
        requests: ids.length,
        failed: 0,
        lost: 0,
        duplicated: 0,
        recoveryMs: Number.isFinite(last) ? last - faultStart : null,
        ...extra,
        ids,
        faultStart,
      } as FaultRow);
      sampleRss();
    }
  } finally {
    // A run sized by its request count submits them all, even when the faults ended first.
    faultsStarted = options.faults.length;
    const max = options.maxRequests;
    if (max !== undefined)
      await waitUntil(() => sequence >= max, (max / options.rate) * 1_000 + 60_000);
    streaming = false;
    await stream;
    await Promise.allSettled([...inFlight]);
    clearInterval(rssTimer);
  }

  // Every accepted request ends (its lifetime runs out), or the run says which did not.
  const accepted = [...tracked.values()].filter((t) => t.accepted);
  log(`stream stopped after ${tracked.size} requests; waiting for every slice to end`);
  await waitSettled(
    accepted.map((t) => t.id),
    true,
    options.settleTimeoutMs + options.lifetimeMs[1],
  );

  // The truth at the end: each submitted id asked for by id (events may be missed on a
  // reconnect; the record may not).
  const records = new Map<string, SliceRecord | null>();
  const ids = accepted.map((t) => t.id);
  for (let i = 0; i < ids.length; i += 20) {
    await Promise.all(
      ids.slice(i, i + 20).map(async (id) => {
        records.set(id, await getRecord(bus, id));
      }),
    );
  }
  const lostIds = new Set<string>();
  const stuckIds = new Set<string>();
  const failedIds = new Set<string>();
  const duplicatedIds = new Set<string>();
  const counts = { released: 0, rejected: 0, failed: 0 };
  for (const id of ids) {
    const record = records.get(id);
    if (!record) {
      lostIds.add(id);
      continue;
    }
    if (!TERMINAL.has(record.state)) stuckIds.add(id);
    if (record.state === 'released') counts.released += 1;
    if (record.state === 'rejected') counts.rejected += 1;
    if (record.state === 'failed') {
      counts.failed += 1;
      failedIds.add(id);
    }
    // One slice per id: it was requested once and deployed at most once per placement.
    if (record.history.filter((h) => h.state === 'requested').length > 1) duplicatedIds.add(id);
  }
  // What the event stream holds is what its consumers (telemetry, audit-log) read: a
  // transition stored twice is a duplicate; a publish retried and deduplicated is not.
  const stored = await storedEvents(bus);
  const storedDuplicates = [...stored].filter(([, n]) => n > 1);
  const duplicatedEvents = storedDuplicates.reduce((a, [, n]) => a + n - 1, 0);
  const dupEventIds = new Set(storedDuplicates.map(([key]) => key.split('|')[0] as string));
  const republished = [...eventKeys].filter(([, n]) => n > 1).map(([key]) => key);
  for (const row of rows) {
    const { ids: rowIds, faultStart } = row as unknown as { ids: string[]; faultStart: number };
    // Recovery from the records (truth that no missed event can hide): when the last
    // request submitted during the fault first settled.
    const settleTimes = rowIds.map(
      (id) => records.get(id)?.history.find((h) => SETTLED.has(h.state))?.at ?? Number.NaN,
    );
    const lastSettled = Math.max(faultStart, ...settleTimes);
    Object.assign(row, {
      recoveryMs: Number.isFinite(lastSettled) ? lastSettled - faultStart : null,
      failed: rowIds.filter((id) => failedIds.has(id)).length,
      lost: rowIds.filter((id) => lostIds.has(id) || stuckIds.has(id)).length,
      duplicated: rowIds.filter((id) => duplicatedIds.has(id) || dupEventIds.has(id)).length,
    });
    delete (row as unknown as { ids?: string[] }).ids;
    delete (row as unknown as { faultStart?: number }).faultStart;
  }

  // The infrastructure and the slice-manager agree on every slice's resources.
  const reservations = new Map<string, string>();
  let after: string | undefined;
  do {
    const page = await bus.request(ENDPOINTS.infraReservations, {
      type: 'infra.reservations.request.v1',
      ...(after === undefined ? {} : { after }),
    });
    for (const r of page.reservations)
      reservations.set(r.sliceId, `${r.containerId}:${r.vnfNodeIds.join(',')}`);
    after = page.next;
  } while (after !== undefined);
  const mismatches: string[] = [];
  let holding = 0;
  for (const [id, record] of records) {
    const held = record && (record.state === 'active' || record.state === 'adapting');
    if (held) holding += 1;
    const mine =
      held && record.placement
        ? `${record.placement.containerId}:${record.placement.vnfNodeIds.join(',')}`
        : undefined;
    const theirs = reservations.get(id);
    if (mine !== theirs)
      mismatches.push(`${id}: slice-manager ${mine ?? 'none'}, infrastructure ${theirs ?? 'none'}`);
  }
  for (const id of reservations.keys())
    if (!records.has(id)) mismatches.push(`${id}: held by the infrastructure, never submitted`);

  const rssReport: FaultReport['rss'] = {};
  for (const [role, runs] of rss) {
    const all = runs.flatMap((r) => r.samples);
    const lastRun = runs.at(-1)?.samples ?? [];
    // Bounded: the last run's later half is not far above its earlier half.
    const half = Math.floor(lastRun.length / 2);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const early = mean(lastRun.slice(Math.floor(half / 2), half));
    const late = mean(lastRun.slice(half));
    rssReport[role] = {
      firstMb: all[0] ?? 0,
      maxMb: Math.max(0, ...all),
      lastMb: all.at(-1) ?? 0,
      restarts: runs.length - 1,
      bounded: lastRun.length < 8 || late <= early * 1.5 + 50,
    };
  }

  const totals = {
    submitted: tracked.size,
    accepted: accepted.length,
    notAccepted: tracked.size - accepted.length,
    ...counts,
    lost: lostIds.size,
    stuck: stuckIds.size,
    duplicatedIds: duplicatedIds.size,
    duplicatedEvents,
    republishedEvents,
    interpreterDegraded,
    interpreterReplies,
  };
  if (totals.lost > 0) failures.push(`lost: ${[...lostIds].slice(0, 10).join(', ')}`);
  if (totals.stuck > 0)
    failures.push(
      `stuck: ${[...stuckIds]
        .slice(0, 10)
        .map((id) => `${id} (${records.get(id)?.state})`)
        .join(', ')}`,
    );
  if (totals.failed > 0)
    failures.push(
      `failed: ${[...failedIds]
        .slice(0, 5)
        .map((id) => `${id}: ${records.get(id)?.error ?? ''}`)
        .join('; ')}`,
    );
  if (totals.duplicatedIds > 0 || duplicatedEvents > 0)
    failures.push(`duplicated: ${duplicatedIds.size} ids, ${duplicatedEvents} events`);
  if (totals.notAccepted > 0)
    failures.push(`${totals.notAccepted} requests never accepted by JetStream`);
  if (mismatches.length > 0)
    failures.push(`resources disagree: ${mismatches.slice(0, 5).join('; ')}`);
  if (malformed) {
    if (malformed.unanswered > 0)
      failures.push(`${malformed.unanswered} malformed messages got no typed error`);
    if (malformed.validAfterFlood !== 'released' && malformed.validAfterFlood !== 'rejected')
      failures.push(`the valid request after the flood ended ${malformed.validAfterFlood}`);
  }
  return {
    seed: options.seed,
    durationS: Math.round((Date.now() - started) / 1000),
    faults: rows,
    totals,
    malformed,
    agreement: { reservations: reservations.size, holding, mismatches: mismatches.slice(0, 20) },
    rss: rssReport,
    republished: republished.slice(0, 10),
    duplicatedStored: storedDuplicates.slice(0, 10).map(([key]) => key),
    failures,
    ok: failures.length === 0,
  };
}

/**
 * `perSubject` malformed messages on each intake subject (not JSON, the wrong schema,
 * over the bus limit), each naming a reply inbox; every one must come back as a typed error.
 * Then a valid request, which must still be served.
 */
async function flood(
  bus: Bus,
  perSubject: number,
  submitOne: () => string,
  tracked: Map<string, Tracked>,
): Promise<NonNullable<FaultReport['malformed']>> {
  const { subjects } = bus;
  const inbox = `${subjects.inboxPrefix('operator')}.junk`;
  const refused: Record<string, number> = {};
  const sub = bus.subscribe(inbox, ErrorReply, (reply) => {
    refused[reply.code] = (refused[reply.code] ?? 0) + 1;
  });
  await bus.flush();
  const encoder = new TextEncoder();
  const oversize = 'x'.repeat(600 * 1024);
  const huge = Math.max(1, Math.floor(perSubject / 50));
  const sent: Record<string, number> = {};
  const bump = (code: string) => (sent[code] = (sent[code] ?? 0) + 1);
  let n = 0;
  for (const verb of TENANT_INTAKE_VERBS) {
    for (let i = 0; i < perSubject; i++) {
      n += 1;
      const id = `junk-${n}`;
      const subject = subjects.tenantIntake(verb, 'default').replace(/\*$/, id);
      const headers = natsHeaders();
      headers.set(HEADER.replyTo, inbox);
      let data: Uint8Array;
      if (i < huge) {
        data = encoder.encode(
          JSON.stringify({ type: 'slice.request.v2', sliceId: id, pad: oversize }),
        );
        bump('payload-too-large');
      } else if (i % 2 === 0) {
        data = encoder.encode(`{"type": "slice.${i}`);
        bump('invalid-json');
      } else {
        data = encoder.encode(
          JSON.stringify({
            type: `slice.${verb}.v2`,
            tenant: 'default',
            sliceId: id,
            submittedAt: -1,
          }),
        );
        bump('invalid-message');
      }
      bus.connection.publish(subject, data, { headers });
      if (n % 200 === 0) await bus.flush();
    }
  }
  await bus.flush();
  const total = n;
  const answered = () => Object.values(refused).reduce((a, b) => a + b, 0);
  await waitUntil(() => answered() >= total, 120_000, 250);
  await sub.stop();
  const valid = submitOne();
  await waitUntil(
    () => {
      const state = tracked.get(valid)?.state;
      return state !== undefined && TERMINAL.has(state);
    },
    120_000,
    250,
  );
  return {
    sent,
    refused,
    unanswered: total - answered(),
    validAfterFlood: tracked.get(valid)?.state ?? 'none',
  };
}

async function getRecord(bus: Bus, id: string): Promise<SliceRecord | null> {
  try {
    const reply = await bus.request(ENDPOINTS.sliceGet, {
      type: 'slice.get.request.v1',
      sliceId: id,
    });
    return reply.slice;
  } catch (error) {
    if (isSliceMeshError(error) && error.code === 'unknown-slice') return null;
    throw error;
  }
}

/** Every transition stored in the event stream, counted by slice, states and time. */
async function storedEvents(bus: Bus): Promise<Map<string, number>> {
  const js = jetstream(bus.connection);
  const consumer = await js.consumers.get(bus.subjects.eventStream);
  const counts = new Map<string, number>();
  const info = await consumer.info();
  let pending = info.num_pending;
  while (pending > 0) {
    const batch = await consumer.fetch({ max_messages: Math.min(500, pending), expires: 5_000 });
    let got = 0;
    for await (const msg of batch) {
      got += 1;
      const event = SliceEvent.safeParse(msg.json());
      if (event.success) {
        const e = event.data;
        const key = `${e.sliceId}|${e.from ?? '-'}|${e.to}|${e.at}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      pending = msg.info.pending;
    }
    if (got === 0) break;
  }
  return counts;
}
