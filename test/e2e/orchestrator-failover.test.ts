/**
 * Two orchestrator processes (`slicemesh agent orchestrator`) share the
 * placements of a replay through their queue group; one of them freezes
 * mid-replay while a placement request is in flight on it and is then
 * SIGKILLed. The slice-manager's call times out and is retried on the
 * survivor: every slice still settles exactly as `evaluate()` says, nothing
 * is lost, nothing is decided or deployed twice.
 *
 * To make "in flight on the killed instance" certain rather than likely, the
 * victim is stopped (SIGSTOP) first: requests the queue group routes to it
 * hang there, and the first retry the slice-manager sends proves one did —
 * that is when the victim is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Heartbeat, PlacementRequest, SliceEvent } from '../../shared/contracts/index.js';
import type { Bus } from '../../shared/bus/index.js';
import type { SliceResult } from '../../shared/model/index.js';
import { evaluate } from '../../shared/model/report/index.js';
import { loadScenarioFile } from '../../shared/scenario/index.js';
import { waitFor } from '../helpers/wait.js';
import { readTraceFile, replayThroughMesh, useE2eServices } from './mesh.js';

/** Long enough for a loaded machine to answer, short enough to keep the test quick. */
const CALL_TIMEOUT_MS = 3_000;
const services = useE2eServices({ SLICEMESH_CALL_TIMEOUT_MS: String(CALL_TIMEOUT_MS) });
const ROOT = resolve(import.meta.dirname, '../..');
const REQUESTS = 16;
const PAPER_SEED = 1_000_000;
/**
 * The victim freezes once this slice is active. Each of the 14 placements
 * after it reaches the victim with probability 1/2, so the chance that none
 * does (and the test cannot kill it holding one) is 2^-14.
 */
const FREEZE_AFTER = 's1000000-2';

interface OrchestratorProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stderr: () => string;
  readonly traceDir: string;
}

const processes: OrchestratorProcess[] = [];

function startOrchestrator(name: string, namespace: string): OrchestratorProcess {
  const traceDir = join(services().workDir, `traces-${name}`);
  const child = spawn(process.execPath, ['bin/slicemesh.js', 'agent', 'orchestrator'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...services().env,
      SLICEMESH_NAMESPACE: namespace,
      SLICEMESH_ORCHESTRATOR_METHOD: 'first-fit',
      SLICEMESH_TRACE_DIR: traceDir,
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const proc = { name, child, exited, stderr: () => err, traceDir };
  processes.push(proc);
  return proc;
}

afterAll(async () => {
  for (const proc of processes) {
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGCONT');
      proc.child.kill('SIGKILL');
    }
  }
  await Promise.all(processes.map((p) => p.exited));
});

type Outcome = [
  id: string,
  state: string,
  served: boolean,
  latency: number | null,
  cost: number | null,
];

/** Each slice's outcome in the model's own episode of first-fit on the same instance. */
async function evaluateFirstFit(requests: number): Promise<Outcome[]> {
  let slices: SliceResult[] = [];
  await evaluate({
    methods: ['first-fit'],
    requestCounts: [requests],
    seeds: [PAPER_SEED],
    onEpisode: (episode) => (slices = episode.slices),
  });
  return slices.map((s) =>
    s.placed
      ? [s.id, 'active', s.served, s.latencyMs, s.cost]
      : [s.id, 'rejected', false, null, null],
  );
}

describe('orchestrator failover during a replay', () => {
  it('a killed instance with a placement in flight loses nothing: the survivor takes the retry', async () => {
    const namespace = `replay-failover-${Math.floor(Math.random() * 1e9)}`;
    const observer: Bus = await services().nats.connectBus({ namespace, name: 'observer' });
    const running = new Set<string>();
    observer.subscribe(observer.subjects.heartbeatsAll(), Heartbeat, (beat) => {
      if (beat.role === 'orchestrator' && beat.state === 'running') running.add(beat.instanceId);
    });

    const survivor = startOrchestrator('survivor', namespace);
    const victim = startOrchestrator('victim', namespace);
    await waitFor(
      () =>
        running.size >= 2 ||
        (processes.some((p) => p.child.exitCode !== null) &&
          Promise.reject(
            new Error(
              `an orchestrator exited early:\n${processes.map((p) => p.stderr()).join('')}`,
            ),
          )),
      { timeoutMs: 90_000, intervalMs: 100, what: 'two running orchestrator instances' },
    );

    // Every placement request the slice-manager sends (a plain subscriber sees each one).
    const placeRequests = new Map<string, number>();
    let frozen = false;
    let killedWhileHolding: string | undefined;
    observer.subscribe(observer.subjects.orchestratorPlace(), PlacementRequest, (request) => {
      const count = (placeRequests.get(request.sliceId) ?? 0) + 1;
      placeRequests.set(request.sliceId, count);
      // A second request for the same slice: the first timed out on the frozen instance.
      if (count === 2 && frozen && killedWhileHolding === undefined) {
        killedWhileHolding = request.sliceId;
        victim.child.kill('SIGKILL');
      }
    });
    observer.subscribe(observer.subjects.sliceEventsAll(), SliceEvent, (event) => {
      if (!frozen && event.sliceId === FREEZE_AFTER && event.to === 'active') {
        frozen = true;
        victim.child.kill('SIGSTOP');
      }
    });
    await observer.flush();

    const scenario = await loadScenarioFile(`scenarios/paper/case-study-${REQUESTS}.yaml`);
    const roles = [
      'infrastructure',
      'telemetry',
      'interpreter',
      'memory-curator',
      'slice-manager',
      'audit-log',
    ];
    const [run, expected] = await Promise.all([
      replayThroughMesh(services(), { scenario, method: 'first-fit', namespace, roles }),
      evaluateFirstFit(REQUESTS),
    ]);

    // The victim was frozen and killed while it held a request.
    expect(frozen).toBe(true);
    expect((await victim.exited).signal).toBe('SIGKILL');
    expect(killedWhileHolding).toBeDefined();
    const recovered = killedWhileHolding as string;

    // Nothing lost: every slice settled, exactly as the model's episode of the method says.
    expect(
      run.result.slices.map((s) => [s.id, s.finalState, s.served, s.latencyMs, s.cost]),
    ).toEqual(expected);
    // Nothing twice: one deployment per placed slice, one planning phase per slice.
    for (const slice of run.result.slices) {
      const states = slice.history.map((h) => h.state);
      expect(
        states.filter((s) => s === 'planning'),
        slice.id,
      ).toHaveLength(1);
      expect(
        states.filter((s) => s === 'deploying'),
        slice.id,
      ).toHaveLength(slice.finalState === 'active' ? 1 : 0);
    }
    // The recovered slice was asked for again after the timeout; no other slice needed a retry.
    expect(placeRequests.get(recovered)).toBeGreaterThanOrEqual(2);
    for (const slice of run.result.slices) {
      if (slice.id !== recovered) expect(placeRequests.get(slice.id), slice.id).toBe(1);
    }

    // The survivor decided the recovered slice exactly once (its spans flush on a clean stop).
    survivor.child.kill('SIGTERM');
    expect((await survivor.exited).code).toBe(0);
    const files = readdirSync(survivor.traceDir).filter((f) => f.endsWith('.json'));
    const decisions = files
      .flatMap((f) => readTraceFile(join(survivor.traceDir, f)))
      .filter((s) => s.name === 'orchestrator.place');
    const perSlice = new Map<string, number>();
    for (const d of decisions) {
      const id = String(d.attributes['slicemesh.slice.id']);
      perSlice.set(id, (perSlice.get(id) ?? 0) + 1);
    }
    expect(perSlice.get(recovered)).toBe(1);
    // Whatever it decided, it decided once.
    expect([...perSlice.values()].every((n) => n === 1)).toBe(true);
  });
});
