import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createInfrastructureAgent,
  type InfrastructureAgent,
  type InfrastructureConfig,
} from '../../agents/infrastructure/index.js';
import {
  createOrchestratorAgent,
  inputSize,
  type LearnedMethod,
  saveCheckpoint,
  DEFAULT_HYPERPARAMETERS,
  type OrchestratorAgent,
  type ReplicaOptions,
} from '../../agents/orchestrator/index.js';
import { initActorCritic } from '../../agents/orchestrator/ppo/network.js';
import { RunningNormalizer } from '../../agents/orchestrator/ppo/normalizer.js';
import { errorFromReply } from '../../shared/bus/index.js';
import type { Bus } from '../../shared/bus/index.js';
import {
  ApplyReply,
  ApplyRequest,
  ENDPOINTS,
  PlacementReply,
  PlacementRequest,
  isSliceMeshError,
  type PlacementPlan,
  type SliceMeshError,
  type SliceProfile,
} from '../../shared/contracts/index.js';
import {
  ACTION_LOCAL_JOIN,
  ACTION_LOCAL_NEW,
  ACTION_NAMES,
  NetworkState,
  actionToPlan,
  registerPolicy,
} from '../../shared/model/index.js';
import { SPAN } from '../../shared/telemetry/index.js';
import { agentDeps } from '../unit/infrastructure-fixtures.js';
import { useNatsServer } from '../helpers/nats.js';
import { testTracing } from '../helpers/tracing.js';
import { waitFor } from '../helpers/wait.js';

const nats = useNatsServer();
const running: { stop(): Promise<void> }[] = [];
let modelDir: string;

beforeAll(async () => {
  modelDir = await mkdtemp(path.join(tmpdir(), 'orchestrator-models-'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop()));
});
afterAll(async () => {
  await rm(modelDir, { recursive: true, force: true });
});

/**
 * Writes an untrained qappo checkpoint whose output bias makes `favourite`
 * by far the most likely action wherever it is allowed.
 */
async function writeCheckpoint(
  favourite: string,
  steps: number,
  method: LearnedMethod = 'qappo',
  dir = modelDir,
): Promise<void> {
  const size = inputSize(method);
  const weights = initActorCritic(
    { inputSize: size, actionCount: ACTION_NAMES.length, hidden: [8] },
    3,
  );
  const out = weights.actor.layers.at(-1)!;
  out.bias[ACTION_NAMES.indexOf(favourite)] = 20;
  await saveCheckpoint(
    path.join(dir, method),
    {
      weights,
      normalizer: new RunningNormalizer(size),
      optimizer: null,
      steps,
      updates: 1,
      episodes: 1,
      curve: [],
      wallTimeMs: 1,
    },
    {
      method,
      modelVersion: 'test',
      seed: 1,
      backend: 'test',
      hyperparameters: { ...DEFAULT_HYPERPARAMETERS, hidden: [8] },
      actionNames: [...ACTION_NAMES],
      preferenceSource: 'test',
      extra: {},
    },
  );
}

function request(overrides: Partial<PlacementRequest> = {}): PlacementRequest {
  return {
    type: 'orchestrator.place.request.v2',
    sliceId: 's-1',
    profile: { serviceType: 'URLLC', latency: 'high', reliability: 'high', cost: 'general' },
    preference: { latency: 0.6, reliability: 0.3, economics: 0.05, throughput: 0.05 },
    demand: { cpu: 3, mem: 2 },
    minViewVersion: 0,
    ...overrides,
  };
}

/** The infrastructure the orchestrator's replica follows (seed 7), in the namespace of `bus`. */
async function startInfrastructure(
  bus: Bus,
  config: Partial<InfrastructureConfig> = {},
): Promise<InfrastructureAgent> {
  const own = await nats.connectBus({ name: 'infrastructure', namespace: bus.namespace });
  const agent = createInfrastructureAgent(agentDeps(own, 'infrastructure'), {
    seed: 7,
    kpiIntervalMs: 0,
    ownerProbeMs: 100,
    ...config,
  });
  running.push(agent);
  await agent.start();
  return agent;
}

async function startAgent(
  bus: Bus,
  method = 'qappo',
  replica?: ReplicaOptions,
): Promise<OrchestratorAgent> {
  const agent = createOrchestratorAgent(
    { bus },
    { method, modelDir, reloadIntervalMs: 50, ...(replica ? { replica } : {}) },
  );
  running.push(agent);
  await agent.start();
  await bus.flush();
  return agent;
}

/** Applies `plan` for `sliceId` on the infrastructure, failing the test on a refusal. */
async function applyOn(
  client: Bus,
  sliceId: string,
  profile: SliceProfile,
  plan: PlacementPlan,
  demand = { cpu: 3, mem: 2 },
): Promise<Extract<ApplyReply, { outcome: 'applied' }>> {
  const reply = await client.request(
    client.subjects.infraApply(),
    ApplyRequest,
    { type: 'infra.apply.request.v1', sliceId, profile, demand, plan },
    ApplyReply,
  );
  if (reply.outcome !== 'applied') throw new Error(`refused: ${reply.message}`);
  return reply;
}

/** A bus whose subscriptions to the change feed drop messages while `lossy.dropping` is set (counted in `dropped`). */
function lossyFeed(bus: Bus): { bus: Bus; dropping: boolean; dropped: number } {
  const lossy = { bus, dropping: false, dropped: 0 };
  lossy.bus = new Proxy(bus, {
    get(target, key, receiver) {
      if (key !== 'subscribe') return Reflect.get(target, key, receiver) as unknown;
      const subscribe: Bus['subscribe'] = (subject, schema, handler, options) =>
        target.subscribe(
          subject,
          schema,
          (message, ctx) => {
            if (subject !== target.subjects.infraChange() || !lossy.dropping)
              return handler(message, ctx);
            lossy.dropped += 1;
            return undefined;
          },
          options,
        );
      return subscribe;
    },
  });
  return lossy;
}

async function rawRequest(bus: Bus, data: string): Promise<SliceMeshError | undefined> {
  const msg = await bus.connection.request(bus.subjects.orchestratorPlace(), data, {
    timeout: 5_000,
  });
  return errorFromReply(msg.data, msg.headers, bus.subjects.orchestratorPlace());
}

describe('orchestrator service', () => {
  it('refuses to start with a method that only runs in evaluation episodes', async () => {
    const bus = await nats.connectBus({ name: 'orchestrator' });
    const agent = createOrchestratorAgent({ bus }, { method: 'oracle', modelDir });
    await expect(agent.start()).rejects.toMatchObject({
      code: 'config',
      message: expect.stringMatching(/"oracle".*runs only in evaluation.*first-fit/),
    });
  });

  it('plans with the learned policy, reports its decision and traces it', async () => {
    await writeCheckpoint('local-new', 100);
    const tracing = testTracing('orchestrator');
    const bus = await nats.connectBus({ name: 'orchestrator', tracer: tracing.tracer() });
    const client = await nats.connectBus({ name: 'client', namespace: bus.namespace });
    await startInfrastructure(bus);
    await startAgent(bus);

    const reply = await client.request(
      bus.subjects.orchestratorPlace(),
      PlacementRequest,
      request(),
      PlacementReply,
    );
    expect(reply.outcome).toBe('planned');
    if (reply.outcome !== 'planned') return;
    expect(reply.plan.method).toBe('qappo');
    expect(reply.plan.site).toBe('local');
    expect(reply.plan.scaling).toBe('horizontal');
    expect(reply.plan.decision?.action).toBe('local-new');
    const probabilities = reply.plan.decision?.probabilities ?? {};
    expect(probabilities['local-new']).toBeGreaterThan(0.99);
    // Actions infeasible on an empty network (nothing to join) have probability exactly 0.
    expect(probabilities['local-join']).toBe(0);
    expect(reply.plan.expected).toEqual({ latencyMs: 30, cost: 30, reliabilityCost: 0 });

    const span = await waitFor(() => tracing.spansNamed(SPAN.orchestratorPlace)[0], {
      what: 'the placement span',
    });
    expect(span.attributes['slicemesh.method']).toBe('qappo');
    expect(span.attributes['slicemesh.orchestrator.action']).toBe('local-new');
    expect(
      JSON.parse(String(span.attributes['slicemesh.orchestrator.probabilities'])),
    ).toHaveProperty('local-new');
    expect(span.attributes['slicemesh.qoe.expected.latency_ms']).toBe(30);
    await tracing.shutdown();
  });

  it('rejects a baseline re-plan when every placement keeping the SLA is on the avoid-list, and traces the rejection', async () => {
    // A baseline that joins the existing local container whenever it may.
    registerPolicy(
      'join-first-test',
      () => ({
        name: 'join-first-test',
        decide: ({ mask }) => (mask[ACTION_LOCAL_JOIN] === 1 ? ACTION_LOCAL_JOIN : null),
      }),
      { replace: true },
    );
    // One URLLC slice holds a local container. The new slice may join it; a new
    // container is too costly for it and the cloud too slow, so once that
    // container is avoided no placement keeps its constraints.
    const holderProfile = request().profile;
    const profile = { ...holderProfile, cost: 'cost-sensitive' as const };
    const tracing = testTracing('orchestrator');
    const bus = await nats.connectBus({ name: 'orchestrator', tracer: tracing.tracer() });
    const client = await nats.connectBus({ name: 'client', namespace: bus.namespace });
    await startInfrastructure(bus);
    const plan = actionToPlan(
      new NetworkState(7),
      { id: 'holder', profile: holderProfile, demand: { cpu: 3, mem: 2 } },
      ACTION_LOCAL_NEW,
      'test',
    );
    if (!plan) throw new Error('expected a plan for the holder');
    const applied = await applyOn(client, 'holder', holderProfile, plan);
    const containerId = applied.placement.containerId;

    await startAgent(bus, 'join-first-test');
    const place = (avoid?: PlacementRequest['avoid']) =>
      client.request(
        bus.subjects.orchestratorPlace(),
        PlacementRequest,
        request({
          profile,
          demand: { cpu: 2, mem: 2 },
          minViewVersion: applied.viewVersion,
          ...(avoid ? { avoid } : {}),
        }),
        PlacementReply,
      );

    const free = await place();
    expect(free.outcome === 'planned' && free.plan.container).toEqual({
      mode: 'join',
      containerId,
    });
    const avoided = await place({ containerIds: [containerId], vnfNodeIds: [] });
    expect(avoided).toMatchObject({
      outcome: 'rejected',
      method: 'join-first-test',
      reason: expect.stringContaining('uses the resources the violation was observed on'),
    });

    const spans = await waitFor(
      () => {
        const found = tracing.spansNamed(SPAN.orchestratorPlace);
        return found.length === 2 ? found : undefined;
      },
      { what: 'both placement spans' },
    );
    expect(spans.map((s) => s.attributes['slicemesh.orchestrator.outcome'])).toEqual([
      'planned',
      'rejected',
    ]);
    expect(spans[0]?.attributes['slicemesh.orchestrator.action']).toBe('local-join');
    expect(spans[1]?.attributes['slicemesh.orchestrator.action']).toBe('reject');
    await tracing.shutdown();
  });

  it('answers invalid requests with typed errors and keeps serving', async () => {
    await writeCheckpoint('local-new', 100);
    const bus = await nats.connectBus({ name: 'orchestrator' });
    const client = await nats.connectBus({ name: 'client', namespace: bus.namespace });
    await startInfrastructure(bus);
    await startAgent(bus);

    expect((await rawRequest(client, 'not json'))?.code).toBe('invalid-json');
    const badSchema = await rawRequest(
      client,
      JSON.stringify({ ...request(), demand: { cpu: -1, mem: 2 } }),
    );
    expect(badSchema?.code).toBe('invalid-message');
    const unknownMethod = client.request(
      bus.subjects.orchestratorPlace(),
      PlacementRequest,
      request({ method: 'no-such-method' }),
      PlacementReply,
    );
    await expect(unknownMethod).rejects.toSatisfy(
      (e: unknown) => isSliceMeshError(e) && e.code === 'invalid-message',
    );

    // Still serving, and a baseline can be asked for per request.
    const ok = await client.request(
      bus.subjects.orchestratorPlace(),
      PlacementRequest,
      request({ method: 'first-fit' }),
      PlacementReply,
    );
    expect(ok.outcome).toBe('planned');
    if (ok.outcome === 'planned') expect(ok.plan.method).toBe('first-fit');
    expect(bus.counters().invalid[bus.subjects.orchestratorPlace()]).toEqual({
      'invalid-json': 1,
      'invalid-message': 1,
    });
  });

  it('serves ppo-sla from its own checkpoint folder, next to qappo', async () => {
    await writeCheckpoint('local-new', 100);
    await writeCheckpoint('cloud-new/vnf:nnn', 100, 'ppo-sla');
    const bus = await nats.connectBus({ name: 'orchestrator' });
    const client = await nats.connectBus({ name: 'client', namespace: bus.namespace });
    await startInfrastructure(bus);
    await startAgent(bus);
    const place = (method?: string) =>
      client.request(
        bus.subjects.orchestratorPlace(),
        PlacementRequest,
        request(method === undefined ? {} : { method }),
        PlacementReply,
      );
    const [sla, qappo] = await Promise.all([place('ppo-sla'), place()]);
    expect(sla.outcome === 'planned' && [sla.plan.method, sla.plan.decision?.action]).toEqual([
      'ppo-sla',
      'cloud-new/vnf:nnn',
    ]);
    expect(qappo.outcome === 'planned' && qappo.plan.decision?.action).toBe('local-new');
  });

  it('picks up a newer checkpoint without a restart, and explains a rejection', async () => {
    await writeCheckpoint('local-new', 100);
    const bus = await nats.connectBus({ name: 'orchestrator' });
    const client = await nats.connectBus({ name: 'client', namespace: bus.namespace });
    await startInfrastructure(bus);
    await startAgent(bus);
    const place = () =>
      client.request(bus.subjects.orchestratorPlace(), PlacementRequest, request(), PlacementReply);
    expect((await place()).outcome).toBe('planned');

    await writeCheckpoint('reject', 200);
    const rejected = await waitFor(
      async () => {
        const r = await place();
        return r.outcome === 'rejected' ? r : undefined;
      },
      { what: 'the reloaded checkpoint' },
    );
    expect(rejected.method).toBe('qappo');
    // An empty network can serve this slice locally, so the reason says the policy chose to reject.
    expect(rejected.reason).toMatch(/chose to reject/);
  });

  it('without a checkpoint answers unavailable, then serves the first one saved', async () => {
    const emptyDir = await mkdtemp(path.join(tmpdir(), 'orchestrator-empty-'));
    try {
      const bus = await nats.connectBus({ name: 'orchestrator' });
      const client = await nats.connectBus({ name: 'client', namespace: bus.namespace });
      await startInfrastructure(bus);
      const agent = createOrchestratorAgent(
        { bus },
        { method: 'ppo', modelDir: emptyDir, reloadIntervalMs: 50 },
      );
      running.push(agent);
      await agent.start();
      await bus.flush();
      const place = () =>
        client.request(
          bus.subjects.orchestratorPlace(),
          PlacementRequest,
          request(),
          PlacementReply,
        );
      await expect(place()).rejects.toSatisfy(
        (e: unknown) =>
          isSliceMeshError(e) && e.code === 'unavailable' && /slicemesh train/.test(e.message),
      );
      await writeCheckpoint('local-new', 100, 'ppo', emptyDir);
      const reply = await waitFor(() => place().catch(() => undefined), {
        what: 'the first checkpoint',
      });
      expect(reply.outcome).toBe('planned');
    } finally {
      await rm(emptyDir, { recursive: true, force: true });
    }
  });
});

describe('orchestrator replica of the resource state', () => {
  const PROFILE: SliceProfile = {
    serviceType: 'eMBB',
    latency: 'best-effort',
    reliability: 'best-effort',
    cost: 'general',
  };

  /** Places `count` more slices on the infrastructure (cloud, each on its own new chain). */
  async function placeMore(client: Bus, from: number, count: number, version: number) {
    let at = version;
    for (let i = from; i < from + count; i++) {
      const state = new NetworkState(7);
      state.version = at;
      const plan = actionToPlan(
        state,
        { id: `x${i}`, profile: PROFILE, demand: { cpu: 1, mem: 1 } },
        3,
        'test',
      );
      if (!plan) throw new Error('expected a cloud plan');
      at = (await applyOn(client, `x${i}`, PROFILE, plan, { cpu: 1, mem: 1 })).viewVersion;
    }
    return at;
  }

  function place(client: Bus, minViewVersion: number) {
    return client.request(
      ENDPOINTS.orchestratorPlace,
      request({
        method: 'first-fit',
        minViewVersion,
        profile: PROFILE,
        demand: { cpu: 1, mem: 1 },
      }),
    );
  }

  it('plans on the version asked for once the feed brings it, and stays identical to the infrastructure', async () => {
    const bus = await nats.connectBus({ name: 'orchestrator' });
    const client = await nats.connectBus({ name: 'client', namespace: bus.namespace });
    const infrastructure = await startInfrastructure(bus);
    const agent = await startAgent(bus, 'first-fit');
    const replica = agent.replica;
    if (!replica) throw new Error('expected a replica');
    // Its first snapshot read, everything after comes from the feed.
    await replica.catchUp();
    const version = await placeMore(client, 0, 4, 0);
    const reply = await place(client, version);
    expect(reply.outcome === 'planned' && reply.plan.viewVersion).toBe(version);
    await waitFor(() => replica.version === version || undefined);
    expect(replica.counters()).toMatchObject({ snapshots: 1, fromFeed: 4, gaps: 0 });
    // Nothing of it was read back from the log: the feed carried every change.
    expect(replica.counters().fromLog).toBe(0);
    expect(infrastructure.view().version).toBe(version);
  });

  it('catches up through the change log when it missed changes on the feed', async () => {
    const bus = await nats.connectBus({ name: 'orchestrator' });
    const client = await nats.connectBus({ name: 'client', namespace: bus.namespace });
    await startInfrastructure(bus);
    const lossy = lossyFeed(bus);
    const agent = await startAgent(lossy.bus, 'first-fit', { waitMs: 50 });
    const replica = agent.replica;
    if (!replica) throw new Error('expected a replica');
    await replica.catchUp();
    let version = await placeMore(client, 0, 2, 0);
    await waitFor(() => replica.version === version || undefined);

    // Three changes never reach it; the placement asking for the last one waits, then asks the log.
    lossy.dropping = true;
    version = await placeMore(client, 2, 3, version);
    await waitFor(() => lossy.dropped === 3 || undefined, { what: 'three changes lost' });
    lossy.dropping = false;
    const caughtUp = await place(client, version);
    expect(caughtUp.outcome === 'planned' && caughtUp.plan.viewVersion).toBe(version);
    expect(replica.counters()).toMatchObject({ fromLog: 3, snapshots: 1 });

    // A change lost in the middle: the next one shows the gap, and the log fills it.
    lossy.dropping = true;
    version = await placeMore(client, 5, 1, version);
    await waitFor(() => lossy.dropped === 4 || undefined, { what: 'one more change lost' });
    lossy.dropping = false;
    version = await placeMore(client, 6, 1, version);
    await waitFor(() => replica.version === version || undefined, { what: 'the gap filled' });
    // The log answers from the replica's version: the lost change and the one that showed the gap.
    expect(replica.counters()).toMatchObject({ gaps: 1, fromLog: 5, snapshots: 1 });
  });

  it('reads a new snapshot when the log no longer reaches back (view-expired), or the infrastructure restarted', async () => {
    const bus = await nats.connectBus({ name: 'orchestrator' });
    const client = await nats.connectBus({ name: 'client', namespace: bus.namespace });
    const first = await startInfrastructure(bus, { changeLogLength: 2, persist: true });
    const lossy = lossyFeed(bus);
    const agent = await startAgent(lossy.bus, 'first-fit', {
      waitMs: 50,
      snapshotPageLimit: 300,
    });
    const replica = agent.replica;
    if (!replica) throw new Error('expected a replica');
    await replica.catchUp();
    let version = await placeMore(client, 0, 1, 0);
    await waitFor(() => replica.version === version || undefined);

    lossy.dropping = true;
    version = await placeMore(client, 1, 4, version);
    await waitFor(() => lossy.dropped === 4 || undefined, { what: 'four changes lost' });
    lossy.dropping = false;
    const reply = await place(client, version);
    expect(reply.outcome === 'planned' && reply.plan.viewVersion).toBe(version);
    expect(replica.counters()).toMatchObject({ expired: 1, snapshots: 2 });

    // A restart is a new epoch: its first change makes the replica start over.
    const epoch = replica.epoch;
    await first.stop();
    await startInfrastructure(bus, { changeLogLength: 2, persist: true });
    version = await placeMore(client, 5, 1, version);
    await waitFor(() => (replica.epoch !== epoch && replica.version === version) || undefined, {
      what: 'the replica of the restarted infrastructure',
    });
    expect(replica.counters().snapshots).toBe(3);
  });
});
