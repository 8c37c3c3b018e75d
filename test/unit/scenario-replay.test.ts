import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SliceMeshError,
  isSliceMeshError,
  type KpiSample,
  type SlaViolation,
  type SliceEvent,
  type SliceRecord,
  type SliceState,
} from '../../shared/contracts/index.js';
import { ManualClock, systemClock, type Clock } from '../../shared/runtime/clock.js';
import { parseScenario } from '../../shared/scenario/index.js';
import { intakeMessageId } from '../../cli/replay/bus-mesh.js';
import { configForRun } from '../../cli/replay/local-mesh.js';
import { toMessage, type OutgoingMessage } from '../../cli/replay/messages.js';
import { SliceTracker } from '../../cli/replay/tracker.js';
import { loadConfig } from '../../shared/runtime/config.js';
import {
  runReplay,
  type MeshSignals,
  type MeshRunOptions,
  type ReplayMesh,
  type Sleep,
} from '../../cli/replay/runner.js';

const dir = mkdtempSync(join(tmpdir(), 'scenario-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeScenario(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const LINE = `name: line
seed: 5
method: ppo
fluctuation: { amplitude: 0.2 }
events:
  - at: 0ms
    request: { id: a, text: "robot arm control", demand: { cpu: 4, mem: 2 } }
  - at: 100ms
    request: { id: b, text: "camera streams", demand: { cpu: 2, mem: 2 }, lifetime: 2s }
  - at: 300ms
    surge: { id: a, factor: 2 }
  - at: 500ms
    terminate: { id: a }
  - at: 600ms
    request: { id: c, text: "sensors" }
`;

interface FakeOptions {
  clock?: Clock;
  /** Slices the fake slice-manager never answers. */
  silent?: string[];
  /** Slices it rejects after planning. */
  reject?: string[];
  /** Deliver events on a later macrotask instead of synchronously (like a real bus). */
  async?: boolean;
  /** Settles when the fake mesh "fails". */
  failed?: Promise<SliceMeshError>;
  /**
   * Simulate traffic: KPI samples of every active slice every 2 ms, and a
   * surge above this factor breaches the SLA, raises a violation after two
   * samples and makes the slice adapt.
   */
  breachAbove?: number;
}

/** An in-memory mesh whose slice-manager walks each slice through the lifecycle. */
class FakeMesh implements ReplayMesh {
  readonly published: { at: number; message: OutgoingMessage; activeAtPublish: string[] }[] = [];
  readonly records = new Map<string, SliceRecord>();
  run: MeshRunOptions | undefined;
  closed = false;
  readonly traceFile = 'traces/fake.json';
  readonly failed: Promise<SliceMeshError> | undefined;
  /** KPI samples sent per slice, in order, with the load they reported. */
  readonly samples: { sliceId: string; load: number }[] = [];
  #handler: ((event: SliceEvent) => void) | undefined;
  #signals: MeshSignals | undefined;
  #ticker: NodeJS.Timeout | undefined;
  readonly #loads = new Map<string, number>();
  /** Breaching samples in a row per slice (a violation after two). */
  readonly #breaching = new Map<string, number>();
  readonly #clock: Clock;
  readonly kpiIntervalMs: number | undefined;
  readonly watch: ReplayMesh['watch'];

  constructor(private readonly options: FakeOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.failed = options.failed;
    this.kpiIntervalMs = options.breachAbove !== undefined ? 2 : undefined;
    this.watch =
      options.breachAbove !== undefined
        ? (signals) => {
            this.#signals = signals;
            this.#ticker = setInterval(() => this.#tick(), 2);
            return Promise.resolve(() => {
              clearInterval(this.#ticker);
              this.#signals = undefined;
            });
          }
        : undefined;
  }

  publish(message: OutgoingMessage): Promise<void> {
    this.published.push({
      at: this.#clock.now(),
      message,
      activeAtPublish: [...this.records.values()]
        .filter((r) => r.state === 'active')
        .map((r) => r.sliceId),
    });
    const react = () => this.#react(message);
    if (this.options.async) setImmediate(react);
    else react();
    return Promise.resolve();
  }

  subscribe(handler: (event: SliceEvent) => void): Promise<() => void> {
    this.#handler = handler;
    return Promise.resolve(() => {
      this.#handler = undefined;
    });
  }

  close(): Promise<void> {
    this.closed = true;
    clearInterval(this.#ticker);
    return Promise.resolve();
  }

  /** One round of KPI samples; a slice above the breach factor gets a violation on its second one. */
  #tick(): void {
    const limit = this.options.breachAbove ?? Infinity;
    for (const record of this.records.values()) {
      if (record.state !== 'active') continue;
      const id = record.sliceId;
      const load = this.#loads.get(id) ?? 1;
      this.samples.push({ sliceId: id, load });
      this.#signals?.kpi({
        type: 'kpi.sample.v1',
        sliceId: id,
        at: this.#clock.now(),
        latencyMs: load > limit ? 90 : 20,
        cost: 30,
        reliabilityCost: 1,
        cpu: 1,
        mem: 1,
        load,
      });
      // Once re-placed onto its own container, the load no longer congests anything.
      const congested = load > limit && record.placement?.containerId === `c-${id}`;
      const over = congested ? (this.#breaching.get(id) ?? 0) + 1 : 0;
      this.#breaching.set(id, over);
      if (over === 2) {
        this.#signals?.violation({
          type: 'sla.violation.v1',
          sliceId: id,
          at: this.#clock.now(),
          dimension: 'latency',
          observed: 90,
          limit: 30,
        });
        // The slice-manager reacts a little later, as over a real bus.
        setTimeout(() => {
          this.#move(id, 'adapting', 'violation', 'latency 90 exceeds limit 30');
          setTimeout(() => {
            const placement = this.records.get(id)?.placement;
            this.#move(id, 'active', 'adapted', 'served at local, container d-' + id, {
              ...(placement ? { placement: { ...placement, containerId: `d-${id}` } } : {}),
            });
          }, 3);
        }, 3);
      }
    }
  }

  /** Ends every slice that has a lifetime (what the real slice-manager does when it expires). */
  expireLifetimes(): void {
    for (const record of this.records.values()) {
      if (record.state === 'active' && record.text.includes('camera')) {
        this.#move(record.sliceId, 'terminating', 'lifetime', 'lifetime expired');
        this.#move(record.sliceId, 'released', 'released');
      }
    }
  }

  #react(message: OutgoingMessage): void {
    const id = message.message.sliceId;
    if (this.options.silent?.includes(id)) return;
    if (message.kind === 'request') {
      const m = message.message;
      this.records.set(id, {
        sliceId: id,
        state: 'requested',
        text: m.text,
        history: [],
        demand: m.demand,
      });
      this.#move(id, 'requested', 'request');
      this.#move(id, 'interpreting', 'accepted');
      this.#move(id, 'planning', 'interpreted', undefined, {
        preference: { latency: 0.4, reliability: 0.3, economics: 0.2, throughput: 0.1 },
        profile: { serviceType: 'URLLC', latency: 'high', reliability: 'high', cost: 'general' },
      });
      if (this.options.reject?.includes(id)) {
        this.#move(id, 'rejected', 'rejected', 'no feasible placement: local server full');
        return;
      }
      this.#move(id, 'deploying', 'planned');
      this.#move(id, 'active', 'applied', 'applied on local', {
        placement: {
          site: 'local',
          containerId: `c-${id}`,
          vnfNodeIds: [`v-${id}`],
          appliedAt: this.#clock.now(),
        },
        observed: { latencyMs: 20 + (m.demand?.cpu ?? 0), cost: 30, reliabilityCost: 1 },
        served: id !== 'b',
        traceId: `trace-${id}`,
      });
    } else if (message.kind === 'load') {
      this.#loads.set(id, message.message.factor);
    } else if (message.kind === 'change') {
      const m = message.message;
      const state = this.records.get(id)?.state;
      if (state !== 'active') return;
      this.#move(
        id,
        'adapting',
        'change',
        `change ${m.changeId}: demand`,
        m.demand ? { demand: m.demand } : {},
      );
      this.#move(id, 'active', 'adapted', 'applied on cloud');
    } else {
      const state = this.records.get(id)?.state;
      if (state === 'rejected' || state === 'released') return;
      this.#move(id, 'terminating', 'terminate', message.message.reason);
      this.#move(id, 'released', 'released');
    }
  }

  #move(
    id: string,
    to: SliceState,
    cause: string,
    note?: string,
    patch: Partial<SliceRecord> = {},
  ): void {
    const before = this.records.get(id);
    if (!before) throw new Error(`unknown slice ${id}`);
    const entry = { state: to, at: this.#clock.now(), ...(note ? { note } : {}) };
    const record: SliceRecord = {
      ...before,
      ...patch,
      state: to,
      history: [...before.history, entry],
    };
    this.records.set(id, record);
    const from = before.history.length === 0 ? null : before.state;
    this.#handler?.({ type: 'slice.event.v1', sliceId: id, at: entry.at, from, to, cause, record });
  }
}

/** A sleep that advances a manual clock instead of waiting, and records what was asked. */
function manualSleep(
  clock: ManualClock,
  onSleep: (ms: number) => void = () => undefined,
): { sleep: Sleep; waits: number[] } {
  const waits: number[] = [];
  const sleep: Sleep = (ms) => {
    waits.push(ms);
    clock.advance(ms);
    onSleep(ms);
    return Promise.resolve();
  };
  return { sleep, waits };
}

describe('runReplay', () => {
  it('publishes nothing and starts no mesh when the scenario has an error', async () => {
    const file = writeScenario(
      'bad.yaml',
      'name: bad\nevents:\n  - at: 0ms\n    request: { id: a, text: x }\n  - at: 1s\n    change: { id: nope, text: y }\n',
    );
    const mesh = new FakeMesh();
    let started = 0;
    const error: unknown = await runReplay({
      file,
      startMesh: () => {
        started += 1;
        return Promise.resolve(mesh);
      },
    }).catch((e: unknown) => e);
    expect(isSliceMeshError(error) && error.code).toBe('scenario');
    expect(String((error as Error).message)).toContain(
      'bad.yaml:6:19: events[1].change.id: change of unknown slice "nope"',
    );
    expect(started).toBe(0);
    expect(mesh.published).toHaveLength(0);
  });

  it('at max speed publishes each event once the previous one has taken effect, and builds the result', async () => {
    const clock = new ManualClock(1_000_000);
    const mesh = new FakeMesh({ clock, async: true });
    const { sleep } = manualSleep(clock, () => mesh.expireLifetimes());
    const progress: string[] = [];
    let run: MeshRunOptions | undefined;
    const { result, namespace, traceFile } = await runReplay({
      scenario: parseScenario(LINE),
      startMesh: (options) => {
        run = options;
        return Promise.resolve(mesh);
      },
      clock,
      // Only the settle timeouts sleep at max speed; the fake ends lifetimes then.
      sleep: (ms, signal) =>
        new Promise((resolve) => setTimeout(resolve, 5)).then(() => sleep(ms, signal)),
      progress: (line) => progress.push(line),
    });

    expect(run).toMatchObject({
      seed: 5,
      method: 'ppo',
      fluctuation: { amplitude: 0.2 },
      scenario: 'line',
    });
    expect(namespace).toMatch(/^replay-line-[0-9a-f]{6}$/);
    expect(run?.namespace).toBe(namespace);
    expect(traceFile).toBe('traces/fake.json');
    expect(mesh.closed).toBe(true);

    expect(mesh.published.map((p) => [p.message.kind, p.message.message.sliceId])).toEqual([
      ['request', 'a'],
      ['request', 'b'],
      ['load', 'a'],
      ['terminate', 'a'],
      ['request', 'c'],
    ]);
    // Each request went out only after the one before was active.
    expect(mesh.published[1]?.activeAtPublish).toEqual(['a']);
    expect(mesh.published[2]?.activeAtPublish).toEqual(['a', 'b']);

    // A surge is traffic on the running slice, for the infrastructure: no new demand.
    const surge = mesh.published[2];
    expect(surge?.message).toEqual({
      kind: 'load',
      message: { type: 'infra.load.v1', sliceId: 'a', at: surge?.at, factor: 2 },
    });
    const request = mesh.published[1]?.message;
    // At max speed lifetimes are not scaled.
    expect(request?.kind === 'request' && request.message.lifetimeMs).toBe(2000);

    expect(result.scenario).toBe('line');
    expect(result.method).toBe('ppo');
    expect(result.slices.map((s) => [s.id, s.finalState, s.served])).toEqual([
      ['a', 'released', true],
      ['b', 'released', false],
      ['c', 'active', true],
    ]);
    expect(result.summary).toMatchObject({ requests: 3, served: 2 });
    expect(result.summary.availability).toBeCloseTo(2 / 3);
    expect(Object.keys(result.slices[0] ?? {})).toEqual([
      'id',
      'finalState',
      'served',
      'servedAsInferred',
      'qoeScore',
      'latencyMs',
      'cost',
      'reliabilityCost',
      'preference',
      'profile',
      'truth',
      'profileCorrect',
      'placement',
      'traceId',
      'history',
    ]);
    expect(result.slices[0]?.traceId).toBe('trace-a');
    expect(progress.some((l) => l.includes('→ surge a: traffic ×2 of nominal'))).toBe(true);
    expect(progress.some((l) => l.includes('a: active → terminating'))).toBe(true);
  });

  it('judges each slice against its truth where the scenario gives one, which it never publishes', async () => {
    // The fake mesh handles every slice as URLLC high/high/general and observes a cost of 30.
    const scenario = parseScenario(`name: judged
seed: 5
events:
  - at: 0ms
    request:
      id: right
      text: "robot arm control"
      truth: { serviceType: URLLC, latency: high, reliability: high, cost: general }
  - at: 10ms
    request:
      id: cheap
      text: "robot arm control"
      truth: { serviceType: URLLC, latency: high, reliability: high, cost: cost-sensitive }
  - at: 20ms
    request: { id: unknown, text: "robot arm control" }
`);
    const mesh = new FakeMesh();
    const progress: string[] = [];
    const { result } = await runReplay({
      scenario,
      startMesh: () => Promise.resolve(mesh),
      progress: (line) => progress.push(line),
    });
    for (const p of mesh.published) expect(JSON.stringify(p.message)).not.toContain('truth');
    expect(
      result.slices.map((s) => [s.id, s.served, s.servedAsInferred, s.profileCorrect]),
    ).toEqual([
      ['right', true, true, true],
      // Cost 30 is over a cost-sensitive requester's 25, within the general 40 the mesh used.
      ['cheap', false, true, false],
      ['unknown', true, true, null],
    ]);
    expect(result.slices[1]?.truth?.cost).toBe('cost-sensitive');
    expect(result.summary).toMatchObject({
      served: 2,
      servedAsInferred: 3,
      judgedAgainst: 'mixed',
      profileAccuracy: 0.5,
    });
    expect(progress.at(-2)).toMatch(/done: 2\/3 slices served \(partly self-judged\)$/);
  });

  it('at a time factor publishes each event at at/speed of wall time and scales lifetimes', async () => {
    const clock = new ManualClock(5_000);
    const mesh = new FakeMesh({ clock });
    const { sleep, waits } = manualSleep(clock, () => mesh.expireLifetimes());
    const { result, startedAt } = await runReplay({
      scenario: parseScenario(LINE),
      speed: 4,
      startMesh: () => Promise.resolve(mesh),
      clock,
      sleep,
    });
    expect(mesh.published.map((p) => p.at - startedAt)).toEqual([0, 25, 75, 125, 150]);
    expect(waits.slice(0, 4)).toEqual([25, 50, 50, 25]);
    const request = mesh.published[1]?.message;
    expect(request?.kind === 'request' && request.message.lifetimeMs).toBe(500);
    expect(result.slices.map((s) => s.finalState)).toEqual(['released', 'released', 'active']);
  });

  it('names the slices that did not settle and still closes the mesh', async () => {
    const clock = new ManualClock(0);
    const mesh = new FakeMesh({ clock, silent: ['b'] });
    const { sleep } = manualSleep(clock);
    const error: unknown = await runReplay({
      scenario: parseScenario(LINE),
      startMesh: () => Promise.resolve(mesh),
      clock,
      sleep,
      settleTimeoutMs: 2_000,
    }).catch((e: unknown) => e);
    expect(isSliceMeshError(error) && error.code).toBe('timeout');
    expect((error as Error).message).toBe(
      '1 slice did not settle within 2s: b (unseen, waiting for request)',
    );
    const partial = (error as { details: { partial: { result: { slices: unknown[] } } } }).details
      .partial;
    expect(partial.result.slices).toHaveLength(3);
    expect(mesh.published).toHaveLength(2);
    expect(mesh.closed).toBe(true);
  });

  it('does not wait for events sent to a slice that was rejected', async () => {
    const clock = new ManualClock(0);
    const mesh = new FakeMesh({ clock, reject: ['a'] });
    const { sleep } = manualSleep(clock, () => mesh.expireLifetimes());
    const { result } = await runReplay({
      scenario: parseScenario(LINE),
      startMesh: () => Promise.resolve(mesh),
      clock,
      sleep,
      settleTimeoutMs: 1_000,
    });
    expect(result.slices[0]).toMatchObject({
      id: 'a',
      finalState: 'rejected',
      served: false,
      latencyMs: null,
      placement: null,
    });
    expect(result.summary.requests).toBe(3);
    // Traffic on a slice that never ran means nothing: the surge is skipped, the rest is sent.
    expect(mesh.published.map((p) => p.message.kind)).toEqual([
      'request',
      'request',
      'terminate',
      'request',
    ]);
  });

  it('stops with the error of a mesh that fails mid-run, without waiting for the settle timeout', async () => {
    let fail!: (error: SliceMeshError) => void;
    const failed = new Promise<SliceMeshError>((resolve) => (fail = resolve));
    const mesh = new FakeMesh({ silent: ['a'], failed });
    const started = Date.now();
    const replay = runReplay({
      scenario: parseScenario(LINE),
      startMesh: () => Promise.resolve(mesh),
      settleTimeoutMs: 60_000,
    });
    setTimeout(
      () => fail(new SliceMeshError('unavailable', 'the mesh stopped: orchestrator failed')),
      20,
    );
    await expect(replay).rejects.toMatchObject({
      code: 'unavailable',
      message: 'the mesh stopped: orchestrator failed',
    });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(mesh.published).toHaveLength(1);
    expect(mesh.closed).toBe(true);
  });

  it('stops when the caller aborts, and still closes the mesh', async () => {
    const mesh = new FakeMesh({ silent: ['a'] });
    const abort = new AbortController();
    const replay = runReplay({
      scenario: parseScenario(LINE),
      startMesh: () => Promise.resolve(mesh),
      signal: abort.signal,
    });
    setTimeout(() => abort.abort(), 20);
    await expect(replay).rejects.toMatchObject({
      code: 'unavailable',
      message: 'replay interrupted',
    });
    expect(mesh.closed).toBe(true);
  });

  const SURGES = `name: surges
events:
  - at: 0ms
    request: { id: a, text: "robot arm control", demand: { cpu: 4, mem: 2 } }
  - at: 100ms
    surge: { id: a, factor: 3 }
  - at: 200ms
    request: { id: b, text: "camera streams" }
  - at: 300ms
    surge: { id: b, factor: 1.2 }
  - at: 400ms
    terminate: { id: b }
`;

  it('at max speed waits for the violation a surge sets off and the adaptation that answers it', async () => {
    const mesh = new FakeMesh({ breachAbove: 2, async: true });
    const run = await runReplay({
      scenario: parseScenario(SURGES),
      startMesh: () => Promise.resolve(mesh),
      settleTimeoutMs: 10_000,
    });
    // The next request went out only after a had been adapted and the run was quiet again.
    const next = mesh.published[2];
    expect(next?.message.kind).toBe('request');
    expect(next?.activeAtPublish).toEqual(['a']);
    const a = run.result.slices[0];
    const states = a?.history.map((h) => h.state);
    expect(states?.slice(-3)).toEqual(['active', 'adapting', 'active']);
    expect(a?.placement?.containerId).toBe('d-a');
    expect(run.violations.map((v) => [v.sliceId, v.dimension])).toEqual([['a', 'latency']]);
    const adaptedAt = a?.history.at(-1)?.at ?? Infinity;
    expect(next?.at).toBeGreaterThanOrEqual(adaptedAt);
    expect(run.kpis.get('a')?.load).toBe(3);
  });

  it('settles a surge that sets nothing off after the quiet KPI samples, and only then sends the next event', async () => {
    const mesh = new FakeMesh({ breachAbove: 2, async: true });
    await runReplay({
      scenario: parseScenario(SURGES),
      startMesh: () => Promise.resolve(mesh),
      settleTimeoutMs: 10_000,
      surgeQuietSamples: 5,
    });
    const kinds = mesh.published.map((p) => `${p.message.kind}-${p.message.message.sliceId}`);
    expect(kinds).toEqual(['request-a', 'load-a', 'request-b', 'load-b', 'terminate-b']);
    // The quiet period is 5 samples of b counted from the surge's publication; the first may
    // have been taken before the mesh applied the load (a sample in flight), so at least 4 of
    // them report the surged load.
    const terminated = mesh.published.findIndex((p) => p.message.kind === 'terminate');
    expect(terminated).toBe(4);
    const surged = mesh.samples.filter((x) => x.sliceId === 'b' && x.load === 1.2).length;
    expect(surged).toBeGreaterThanOrEqual(4);
    expect(mesh.records.get('b')?.history.map((h) => h.state)).not.toContain('adapting');
  });

  it('without KPI samples from the mesh, a surge settles as soon as its slice is settled', async () => {
    const mesh = new FakeMesh({ async: true });
    const run = await runReplay({
      scenario: parseScenario(SURGES),
      startMesh: () => Promise.resolve(mesh),
      settleTimeoutMs: 10_000,
    });
    expect(mesh.published).toHaveLength(5);
    expect(run.kpis.size).toBe(0);
    expect(run.violations).toEqual([]);
  });

  it('takes the method from the options, then the scenario, then the default', async () => {
    const methods: string[] = [];
    const start = (options: MeshRunOptions) => {
      methods.push(options.method);
      return Promise.resolve(new FakeMesh());
    };
    const plain = parseScenario('name: p\nevents:\n  - at: 0ms\n    request: { id: a, text: x }\n');
    const named = parseScenario(
      'name: p\nmethod: random\nevents:\n  - at: 0ms\n    request: { id: a, text: x }\n',
    );
    await runReplay({ scenario: named, method: 'cloud-only', startMesh: start });
    await runReplay({ scenario: named, startMesh: start });
    await runReplay({ scenario: plain, defaultMethod: 'first-fit', startMesh: start });
    await runReplay({ scenario: plain, startMesh: start });
    expect(methods).toEqual(['cloud-only', 'random', 'first-fit', 'qappo']);
  });
});

describe('SliceTracker: surges', () => {
  const record = (sliceId: string, states: SliceState[]): SliceRecord => ({
    sliceId,
    state: states.at(-1) as SliceState,
    text: 'x',
    history: states.map((state, i) => ({ state, at: i })),
  });
  const sample = (sliceId: string): KpiSample => ({
    type: 'kpi.sample.v1',
    sliceId,
    at: 0,
    latencyMs: 10,
    cost: 1,
    reliabilityCost: 0,
    cpu: 1,
    mem: 1,
    load: 2,
  });
  const violation = (sliceId: string): SlaViolation => ({
    type: 'sla.violation.v1',
    sliceId,
    at: 0,
    dimension: 'latency',
    observed: 90,
    limit: 30,
  });

  it("holds a surge back until a neighbour's violation is answered, then counts the quiet samples afresh", () => {
    const tracker = new SliceTracker({ surgeQuietSamples: 2 });
    tracker.expectRequest('a', false);
    tracker.expectRequest('b', false);
    tracker.observeRecord(record('a', ['requested', 'active']));
    tracker.observeRecord(record('b', ['requested', 'active']));
    tracker.expectSurge('a', 'surge-2');
    tracker.observeKpi(sample('a'));
    tracker.observeViolation(violation('b'));
    tracker.observeKpi(sample('a'));
    tracker.observeKpi(sample('a'));
    expect(tracker.isSettled('a')).toBe(false);
    expect(tracker.unsettled()[0]?.waitingFor).toEqual([
      'surge-2 (violation of b not yet answered)',
    ]);
    tracker.observeRecord(record('b', ['requested', 'active', 'adapting']));
    tracker.observeRecord(record('b', ['requested', 'active', 'adapting', 'active']));
    tracker.observeKpi(sample('a'));
    expect(tracker.isSettled('a')).toBe(false);
    tracker.observeKpi(sample('b'));
    expect(tracker.isSettled('a')).toBe(false);
    tracker.observeKpi(sample('a'));
    expect(tracker.isSettled('a')).toBe(true);
  });

  it('drops a surge on a slice that ends, and ignores violations of ended slices', () => {
    const tracker = new SliceTracker({ surgeQuietSamples: 3 });
    tracker.expectRequest('a', false);
    tracker.observeRecord(record('a', ['requested', 'active']));
    tracker.expectSurge('a', 'surge-1');
    tracker.observeRecord(record('a', ['requested', 'active', 'terminating', 'released']));
    expect(tracker.isSettled('a')).toBe(true);
    tracker.observeViolation(violation('a'));
    expect(tracker.allSettled()).toBe(true);
    expect(tracker.violations()).toHaveLength(1);
  });
});

describe('replay mesh wiring', () => {
  it("hands the run's namespace, seed, method and fluctuation to the agents through their config", () => {
    const base = loadConfig({ SLICEMESH_TRAFFIC_FLUCTUATION: '0.5', SLICEMESH_SEED: '99' });
    const config = configForRun(base, {
      namespace: 'replay-x-abc123',
      seed: 7,
      method: 'cloud-only',
      fluctuation: { amplitude: 0.2 },
      scenario: 'x',
    });
    expect(config.mesh.namespace).toBe('replay-x-abc123');
    expect(config.mesh.seed).toBe(7);
    expect(config.orchestrator.method).toBe('cloud-only');
    expect(config.infrastructure.fluctuation).toBe(0.2);
    // Without fluctuation in the scenario, the run has none, whatever the environment says.
    const calm = configForRun(base, {
      namespace: 'replay-y-abc123',
      seed: 1,
      method: 'qappo',
      scenario: 'y',
    });
    expect(calm.infrastructure.fluctuation).toBe(0);
    expect(calm.nats).toEqual(base.nats);
  });

  it('derives JetStream dedup ids from the scenario, so a retried publish is stored once', () => {
    const scenario = parseScenario(LINE);
    const ids = scenario.events
      .map((e) => toMessage(e, 'max', 0))
      .map((m) => (m.kind === 'load' ? 'traffic' : intakeMessageId(m)));
    expect(ids).toEqual(['request-a', 'request-b', 'traffic', 'terminate-a', 'request-c']);
  });
});
