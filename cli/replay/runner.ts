/**
 * Replays a scenario against a mesh: publishes its events in time, follows
 * the slices through their events until each has settled, and returns the
 * result. The mesh is injected (`startMesh`), so tests drive the runner with
 * an in-memory mesh and a manual clock; the CLI hands in the real one.
 *
 * The scenario is parsed and checked before the mesh is started: a file with
 * any problem publishes nothing.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleepTimer } from 'node:timers/promises';
import {
  SliceMeshError,
  type KpiSample,
  type SlaViolation,
  type SliceEvent,
  type SliceRecord,
} from '../../shared/contracts/index.js';
import { systemClock, type Clock } from '../../shared/runtime/clock.js';
import {
  formatDuration,
  loadScenarioFile,
  sliceTruths,
  toWallMs,
  type Adaptation,
  type Scenario,
  type ScenarioEvent,
  type Speed,
} from '../../shared/scenario/index.js';
import { changeIdFor, requestedSliceIds, toMessage, type OutgoingMessage } from './messages.js';
import { sliceResult, type ReplayResult } from './result.js';
import { summarise } from './summary.js';
import { judgementLabel } from './table.js';
import { DEFAULT_SURGE_QUIET_SAMPLES, SliceTracker } from './tracker.js';

/** Per-run options the mesh hands to the agents it starts (the infrastructure needs seed and fluctuation). */
export interface MeshRunOptions {
  /** Fresh per run, so runs sharing a NATS server never see each other's messages. */
  readonly namespace: string;
  readonly seed: number;
  /** Orchestrator placement method. */
  readonly method: string;
  readonly fluctuation?: { readonly amplitude: number };
  readonly scenario: string;
}

/** What a mesh reports besides slice events: what a surge sets off. */
export interface MeshSignals {
  kpi(sample: KpiSample): void;
  violation(violation: SlaViolation): void;
}

/** What the runner needs of a running mesh. */
export interface ReplayMesh {
  /** Publishes one message (intake, or traffic for a surge); resolves once the bus has accepted it. */
  publish(message: OutgoingMessage): Promise<void>;
  /** Delivers this run's slice events to `handler`; resolves once the subscription is live. */
  subscribe(handler: (event: SliceEvent) => void): Promise<() => Promise<void> | void>;
  /**
   * Delivers this run's KPI samples and SLA violations; resolves once live.
   * Without it (or without periodic KPI samples) a surge settles as soon as
   * its slice is settled, without waiting for what it may set off.
   */
  watch?(signals: MeshSignals): Promise<() => Promise<void> | void>;
  /** Interval of the infrastructure's periodic KPI samples (ms); 0 = samples only on changes. */
  readonly kpiIntervalMs?: number;
  /** The slice-manager's current records (for the final result); optional. */
  fetchRecords?(): Promise<readonly SliceRecord[]>;
  /** The OTLP JSON file this run's spans are written to, if any. */
  readonly traceFile?: string;
  /** Settles when the mesh can no longer work (an agent failed): the replay stops with that error. */
  readonly failed?: Promise<SliceMeshError>;
  /** Stops whatever `startMesh` started. */
  close(): Promise<void>;
}

export type StartMesh = (run: MeshRunOptions) => Promise<ReplayMesh>;

/** Waits `ms`; must reject or resolve early when `signal` aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface ReplayOptions {
  /** A scenario file to load, or an already parsed scenario. */
  readonly file?: string;
  readonly scenario?: Scenario;
  readonly startMesh: StartMesh;
  /** Overrides the scenario's method. */
  readonly method?: string;
  /** Used when neither `method` nor the scenario names one. */
  readonly defaultMethod?: string;
  /** Overrides the scenario's speed. */
  readonly speed?: Speed;
  /** Overrides the scenario's adaptation. */
  readonly adaptation?: Adaptation;
  /** Longest wait for slices to settle (per event at `max` speed, and at the end). Default 60 s. */
  readonly settleTimeoutMs?: number;
  /**
   * KPI samples of a surging slice with nothing happening (no state change,
   * no violation) after which a surge counts as taken up. Default 4 when the
   * mesh reports periodic KPI samples, else 0 (see `SliceTracker`).
   */
  readonly surgeQuietSamples?: number;
  /** Default `replay-<name>-<random>`. */
  readonly namespace?: string;
  /** Tenant the scenario's slices are requested for (default `default`). */
  readonly tenant?: string;
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  /** Progress lines (the CLI writes them to stderr). */
  readonly progress?: (line: string) => void;
  /** Aborting it stops the replay (the mesh is still closed cleanly). */
  readonly signal?: AbortSignal;
}

/** The replay's result plus what the report says about the run. */
export interface ReplayRun {
  readonly result: ReplayResult;
  readonly scenario: Scenario;
  readonly namespace: string;
  readonly speed: Speed;
  readonly traceFile?: string;
  /** Epoch ms when the first event was due and when the last slice settled. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** The last KPI sample of each slice the mesh reported (empty for a mesh without `watch`). */
  readonly kpis: ReadonlyMap<string, KpiSample>;
  /** SLA violations of the run's slices, in the order they were seen. */
  readonly violations: readonly SlaViolation[];
}

export const DEFAULT_SETTLE_TIMEOUT_MS = 60_000;
export const DEFAULT_METHOD = 'qappo';

const defaultSleep: Sleep = (ms, signal) => sleepTimer(ms, undefined, { signal });

/** `replay-<name>-<6 hex>`: a namespace no earlier run used. */
export function replayNamespace(name: string): string {
  const slug = name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
  return `replay-${slug}-${randomBytes(3).toString('hex')}`;
}

/**
 * Runs one replay. Throws `SliceMeshError('scenario')` for a bad file (before
 * anything starts) and `SliceMeshError('timeout')` naming the slices that did
 * not settle; the latter carries the partial run in `details.partial`.
 */
export async function runReplay(options: ReplayOptions): Promise<ReplayRun> {
  const scenario = options.scenario ?? (await loadScenario(options.file));
  const method = options.method ?? scenario.method ?? options.defaultMethod ?? DEFAULT_METHOD;
  const speed = options.speed ?? scenario.speed;
  const adaptation = options.adaptation ?? scenario.adaptation;
  const settleTimeoutMs = options.settleTimeoutMs ?? DEFAULT_SETTLE_TIMEOUT_MS;
  const namespace = options.namespace ?? replayNamespace(scenario.name);
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? defaultSleep;
  const progress = options.progress ?? (() => undefined);

  const meshStart = clock.now();
  progress(`starting the mesh (namespace ${namespace})`);
  const mesh = await options.startMesh({
    namespace,
    seed: scenario.seed,
    method,
    scenario: scenario.name,
    ...(scenario.fluctuation ? { fluctuation: scenario.fluctuation } : {}),
  });
  progress(`mesh ready in ${((clock.now() - meshStart) / 1000).toFixed(1)}s`);
  const followsTraffic = mesh.watch !== undefined && (mesh.kpiIntervalMs ?? 0) > 0;
  const tracker = new SliceTracker({
    surgeQuietSamples:
      options.surgeQuietSamples ?? (followsTraffic ? DEFAULT_SURGE_QUIET_SAMPLES : 0),
  });
  // An agent failure or the caller's abort interrupts every wait of the run.
  const interrupt = new AbortController();
  let interruption: SliceMeshError | undefined;
  const interruptWith = (error: SliceMeshError) => {
    if (interruption) return;
    interruption = error;
    interrupt.abort();
  };
  const onAbort = () =>
    interruptWith(new SliceMeshError('unavailable', 'replay interrupted', { retryable: false }));
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  void mesh.failed?.then(interruptWith);
  const checkInterrupted = () => {
    if (interruption) throw interruption;
  };
  let startedAt = clock.now();
  const stamp = () => `[${((clock.now() - startedAt) / 1000).toFixed(2).padStart(7)}s]`;
  let unsubscribe: (() => Promise<void> | void) | undefined;
  let unwatch: (() => Promise<void> | void) | undefined;
  try {
    const lastState = new Map<string, string>();
    unsubscribe = await mesh.subscribe((event) => {
      if (!tracker.observe(event)) return;
      const before = lastState.get(event.sliceId);
      if (before !== event.to) {
        lastState.set(event.sliceId, event.to);
        const note = event.record.history.at(-1)?.note;
        progress(
          `${stamp()}   ${event.sliceId}: ${event.from ?? '∅'} → ${event.to}${note ? ` (${note})` : ''}`,
        );
      }
    });
    unwatch = await mesh.watch?.({
      kpi: (sample) => tracker.observeKpi(sample),
      violation: (violation) => {
        if (!tracker.observeViolation(violation)) return;
        progress(
          `${stamp()}   ${violation.sliceId}: SLA violation, ${violation.dimension} ${violation.observed} > ${violation.limit}`,
        );
      },
    });

    progress(
      `replaying ${scenario.name}: ${scenario.events.length} events, method ${method}, speed ${speed === 'max' ? 'max' : `×${speed}`}, adaptation ${adaptation}`,
    );
    startedAt = clock.now();
    const finish = (endedAt: number): ReplayRun => {
      const kpis = tracker.lastKpis();
      return {
        result: buildResult(scenario, method, tracker.records(), kpis),
        scenario,
        namespace,
        speed,
        startedAt,
        endedAt,
        ...(mesh.traceFile !== undefined ? { traceFile: mesh.traceFile } : {}),
        kpis,
        violations: tracker.violations(),
      };
    };

    for (const event of scenario.events) {
      if (speed !== 'max') {
        const due = startedAt + toWallMs(event.atMs, speed);
        const wait = due - clock.now();
        if (wait > 0) await sleep(wait, interrupt.signal).catch(() => undefined);
      }
      checkInterrupted();
      if (event.kind === 'surge') {
        // Traffic exists only on a running slice: a surge due before its slice runs waits for it.
        await waitFor(
          tracker,
          () => tracker.isRunning(event.sliceId) || tracker.hasEnded(event.sliceId),
          settleTimeoutMs,
          sleep,
          interrupt.signal,
        );
        checkInterrupted();
        if (tracker.hasEnded(event.sliceId)) {
          progress(`${stamp()} · ${describeEvent(event)} skipped: the slice has ended`);
          continue;
        }
      }
      expect(tracker, event);
      const outgoing = toMessage(event, speed, clock.now(), adaptation, options.tenant);
      await mesh.publish(outgoing);
      progress(`${stamp()} → ${describeEvent(event)}`);
      // At max speed each event waits for the previous one to take effect, so
      // the mesh sees the scenario in order, one slice decision at a time.
      if (
        speed === 'max' &&
        !(await waitFor(
          tracker,
          () => tracker.isSettled(event.sliceId),
          settleTimeoutMs,
          sleep,
          interrupt.signal,
        ))
      ) {
        checkInterrupted();
        throw unsettledError(tracker, false, settleTimeoutMs, finish(clock.now()));
      }
    }

    progress(`${stamp()} all events published; waiting for slices to settle`);
    if (
      !(await waitFor(
        tracker,
        () => tracker.allSettled(true),
        settleTimeoutMs,
        sleep,
        interrupt.signal,
      ))
    ) {
      checkInterrupted();
      throw unsettledError(tracker, true, settleTimeoutMs, finish(clock.now()));
    }
    if (mesh.fetchRecords) {
      for (const record of await mesh.fetchRecords()) tracker.observeRecord(record);
    }
    const run = finish(clock.now());
    const { served, requests, judgedAgainst } = run.result.summary;
    const label = judgementLabel(judgedAgainst);
    progress(`${stamp()} done: ${served}/${requests} slices served${label ? ` (${label})` : ''}`);
    return run;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    try {
      await Promise.all([unwatch?.(), unsubscribe?.()]);
    } finally {
      const closing = clock.now();
      await mesh.close();
      progress(`mesh stopped in ${((clock.now() - closing) / 1000).toFixed(1)}s`);
    }
  }
}

async function loadScenario(file: string | undefined): Promise<Scenario> {
  if (file === undefined)
    throw new SliceMeshError('scenario', 'runReplay needs a scenario file or a parsed scenario');
  return loadScenarioFile(file);
}

function expect(tracker: SliceTracker, event: ScenarioEvent): void {
  switch (event.kind) {
    case 'request':
      tracker.expectRequest(event.sliceId, event.lifetimeMs !== undefined);
      break;
    case 'change':
      tracker.expectChange(event.sliceId, changeIdFor(event));
      break;
    case 'surge':
      tracker.expectSurge(event.sliceId, changeIdFor(event));
      break;
    case 'terminate':
      tracker.expectTermination(event.sliceId);
      break;
  }
}

function describeEvent(event: ScenarioEvent): string {
  const at = `(at ${formatDuration(event.atMs)}, line ${event.position.line})`;
  switch (event.kind) {
    case 'request':
      return `request ${event.sliceId} ${at}`;
    case 'change':
      return `change ${event.sliceId} ${at}`;
    case 'surge':
      return `surge ${event.sliceId}: traffic ×${event.factor} of nominal ${at}`;
    case 'terminate':
      return `terminate ${event.sliceId} ${at}`;
  }
}

function buildResult(
  scenario: Scenario,
  method: string,
  records: ReadonlyMap<string, SliceRecord | undefined>,
  kpis: ReadonlyMap<string, KpiSample>,
): ReplayResult {
  // Every slice the scenario requests counts, even one a failed run never got to publish.
  const truths = sliceTruths(scenario);
  const slices = requestedSliceIds(scenario).map((id) =>
    sliceResult(id, records.get(id), kpis.get(id), truths.get(id)),
  );
  return { scenario: scenario.name, method, summary: summarise(slices), slices };
}

/**
 * Resolves true as soon as `done()` holds, false if it still does not after
 * `timeoutMs` or once `interrupted` aborts.
 */
function waitFor(
  tracker: SliceTracker,
  done: () => boolean,
  timeoutMs: number,
  sleep: Sleep,
  interrupted: AbortSignal,
): Promise<boolean> {
  if (done()) return Promise.resolve(true);
  if (interrupted.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const abort = new AbortController();
    let finished = false;
    const onInterrupt = () => finish(false);
    const finish = (value: boolean) => {
      if (finished) return;
      finished = true;
      off();
      interrupted.removeEventListener('abort', onInterrupt);
      abort.abort();
      resolve(value);
    };
    interrupted.addEventListener('abort', onInterrupt, { once: true });
    const off = tracker.onChange(() => {
      if (done()) finish(true);
    });
    sleep(timeoutMs, abort.signal).then(
      () => finish(done()),
      () => undefined,
    );
  });
}

function unsettledError(
  tracker: SliceTracker,
  includeLifetime: boolean,
  timeoutMs: number,
  partial: ReplayRun,
): SliceMeshError {
  const slices = tracker.unsettled(includeLifetime);
  const list = slices
    .map(
      (s) =>
        `${s.sliceId} (${s.state}${s.waitingFor.length > 0 ? `, waiting for ${s.waitingFor.join(', ')}` : ''})`,
    )
    .join(', ');
  const count = slices.length === 1 ? '1 slice' : `${slices.length} slices`;
  return new SliceMeshError(
    'timeout',
    `${count} did not settle within ${formatDuration(timeoutMs)}: ${list}`,
    {
      retryable: false,
      details: { unsettled: slices, partial },
    },
  );
}
