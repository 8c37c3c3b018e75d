/**
 * The slice-manager runs as its own process (`slicemesh agent slice-manager`)
 * and is SIGKILLed while its slices wait for the orchestrator. A new process
 * resumes every slice from its stored snapshot: each reaches active, nothing
 * is lost, nothing is deployed twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Heartbeat,
  isSliceMeshError,
  type PlacementReply,
  SliceEvent,
  type SliceRecord,
  SliceRequest,
} from '../../shared/contracts/index.js';
import type { Bus } from '../../shared/bus/index.js';
import { listAllSlices } from '../../shared/clients/slice-list.js';
import { useNatsServer, uniqueNamespace } from '../helpers/nats.js';
import {
  plannedReply,
  serveAgentDoubles,
  sliceRequest,
  type AgentDoubles,
} from '../helpers/slice-doubles.js';
import { waitFor } from '../helpers/wait.js';

const nats = useNatsServer();
const ROOT = resolve(import.meta.dirname, '../..');
const SLICES = ['cell-a', 'cell-b', 'cell-c'];

interface AgentProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

describe('slice-manager killed mid-lifecycle', () => {
  const namespace = uniqueNamespace('crash');
  const traceDir = mkdtempSync(join(tmpdir(), 'slicemesh-crash-traces-'));
  let client: Bus;
  let doubles: AgentDoubles;
  const running = new Set<AgentProcess>();
  const heartbeats: Heartbeat[] = [];
  const liveEvents: SliceEvent[] = [];
  let releaseHeld: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (releaseHeld = resolve));
  let holding = true;

  function startAgent(): AgentProcess {
    const child = spawn(process.execPath, ['bin/slicemesh.js', 'agent', 'slice-manager'], {
      cwd: ROOT,
      env: {
        ...process.env,
        NATS_URL: nats.url,
        SLICEMESH_NAMESPACE: namespace,
        SLICEMESH_LOG_LEVEL: 'warn',
        SLICEMESH_TRACE_DIR: traceDir,
        OTEL_EXPORTER_OTLP_ENDPOINT: '',
        // Long enough that the held call is never retried by the first process.
        SLICEMESH_CALL_TIMEOUT_MS: '30000',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.once('exit', (code, signal) => done({ code, signal })),
    );
    const proc = { child, exited, stderr: () => err };
    running.add(proc);
    void exited.then(() => running.delete(proc));
    return proc;
  }

  async function waitRunning(proc: AgentProcess) {
    const seen = heartbeats.length;
    await waitFor(
      () =>
        heartbeats.slice(seen).some((h) => h.role === 'slice-manager' && h.state === 'running') ||
        (proc.child.exitCode !== null &&
          Promise.reject(new Error(`slice-manager exited early:\n${proc.stderr()}`))),
      { timeoutMs: 60_000, what: 'a running slice-manager process' },
    );
  }

  beforeAll(async () => {
    client = await nats.connectBus({ namespace, name: 'client' });
    doubles = serveAgentDoubles(client, {
      // The first process's placement requests hang until it has been killed.
      place: async (request): Promise<PlacementReply> => {
        if (holding) await held;
        return plannedReply(request.sliceId, request.minViewVersion);
      },
    });
    client.subscribe(client.subjects.heartbeatsAll(), Heartbeat, (beat) => {
      heartbeats.push(beat);
    });
    client.subscribe(client.subjects.sliceEventsAll(), SliceEvent, (event) => {
      liveEvents.push(event);
    });
  });

  afterAll(async () => {
    releaseHeld();
    for (const proc of running) proc.child.kill('SIGKILL');
    await Promise.all([...running].map((p) => p.exited));
    await doubles.stop();
    rmSync(traceDir, { recursive: true, force: true });
  });

  it('resumes every slice from its snapshot after a SIGKILL, without loss or duplication', async () => {
    const first = startAgent();
    await waitRunning(first);
    for (const id of SLICES) {
      await client.jsPublish(
        client.subjects.sliceRequest('default', id),
        SliceRequest,
        sliceRequest(id),
        {
          msgId: id,
        },
      );
    }
    // Every slice is stored in planning. Placements run one at a time, so the
    // first slice's placement request is hanging and the others wait their turn.
    const firstSlice = SLICES[0] ?? 'cell-a';
    await waitFor(
      () =>
        doubles.calls.place.get(firstSlice) === 1 &&
        SLICES.every((id) => liveEvents.some((e) => e.sliceId === id && e.to === 'planning')),
      { timeoutMs: 30_000, what: 'all slices held in planning' },
    );

    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    holding = false;
    releaseHeld();

    const second = startAgent();
    await waitRunning(second);
    await waitFor(
      () => SLICES.every((id) => liveEvents.some((e) => e.sliceId === id && e.to === 'active')),
      { timeoutMs: 30_000, what: 'all slices active after the restart' },
    );

    for (const id of SLICES) {
      expect(doubles.calls.infer.get(id)).toBe(1); // interpretation survived in the snapshot
      // The call in flight was sent again, once; the waiting slices asked once.
      expect(doubles.calls.place.get(id)).toBe(id === firstSlice ? 2 : 1);
      expect(doubles.calls.apply.get(id)).toBe(1); // and the slice was deployed once
    }
    // The killed instance's partitions are free once its leases expire: until then a
    // listing that reaches one of them is refused as `unavailable` (retryable).
    const listed = await listWhenAvailable(client);
    // Pages come partition by partition (ids sorted within each), not in global id order.
    const byId = listed
      .map((s) => [s.sliceId, s.state])
      .sort(([a], [b]) => String(a).localeCompare(String(b)));
    expect(byId).toEqual([...SLICES].sort().map((id) => [id, 'active']));

    // The durable events stream tells each story once, in order, across both processes.
    const stored: SliceEvent[] = [];
    const reader = await client.consume(
      client.subjects.eventStream,
      'crash-reader',
      client.subjects.sliceEventsAll(),
      SliceEvent,
      (event) => {
        stored.push(event);
      },
    );
    await waitFor(() => stored.filter((e) => e.to === 'active').length === SLICES.length, {
      what: 'stored activations',
    });
    await reader.stop();
    for (const id of SLICES) {
      expect(stored.filter((e) => e.sliceId === id).map((e) => e.to)).toEqual([
        'requested',
        'interpreting',
        'planning',
        'deploying',
        'active',
      ]);
    }

    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });
});

async function listWhenAvailable(bus: Bus): Promise<SliceRecord[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await listAllSlices(bus);
    } catch (error) {
      if (!isSliceMeshError(error) || error.code !== 'unavailable' || Date.now() > deadline)
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
