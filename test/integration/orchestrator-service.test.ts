import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createOrchestratorAgent,
  inputSize,
  type LearnedMethod,
  saveCheckpoint,
  DEFAULT_HYPERPARAMETERS,
  type OrchestratorAgent,
} from '../../agents/orchestrator/index.js';
import { initActorCritic } from '../../agents/orchestrator/ppo/network.js';
import { RunningNormalizer } from '../../agents/orchestrator/ppo/normalizer.js';
import { errorFromReply } from '../../shared/bus/index.js';
import type { Bus } from '../../shared/bus/index.js';
import {
  PlacementReply,
  PlacementRequest,
  isSliceMeshError,
  type SliceMeshError,
} from '../../shared/contracts/index.js';
import {
  ACTION_LOCAL_JOIN,
  ACTION_LOCAL_NEW,
  ACTION_NAMES,
  NetworkState,
  actionToPlan,
  applyPlan,
  registerPolicy,
} from '../../shared/model/index.js';
import { SPAN } from '../../shared/telemetry/index.js';
import { useNatsServer } from '../helpers/nats.js';
import { testTracing } from '../helpers/tracing.js';
import { waitFor } from '../helpers/wait.js';

const nats = useNatsServer();
const running: OrchestratorAgent[] = [];
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
    type: 'orchestrator.place.request.v1',
    sliceId: 's-1',
    profile: { serviceType: 'URLLC', latency: 'high', reliability: 'high', cost: 'general' },
    preference: { latency: 0.6, reliability: 0.3, economics: 0.05, throughput: 0.05 },
    demand: { cpu: 3, mem: 2 },
    view: new NetworkState(7).toView(),
    ...overrides,
  };
}

async function startAgent(bus: Bus, method = 'qappo'): Promise<OrchestratorAgent> {
  const agent = createOrchestratorAgent({ bus }, { method, modelDir, reloadIntervalMs: 50 });
  running.push(agent);
  await agent.start();
  await bus.flush();
  return agent;
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
    const state = new NetworkState(7);
    const holder = { sliceId: 'holder', profile: holderProfile, demand: { cpu: 3, mem: 2 } };
    const plan = actionToPlan(state, { id: 'holder', ...holder }, ACTION_LOCAL_NEW, 'test');
    const applied = plan && applyPlan(state, holder, plan);
    if (applied?.outcome !== 'applied') throw new Error('expected the holder to be placed');
    const containerId = applied.placement.containerId;

    const tracing = testTracing('orchestrator');
    const bus = await nats.connectBus({ name: 'orchestrator', tracer: tracing.tracer() });
    const client = await nats.connectBus({ name: 'client', namespace: bus.namespace });
    await startAgent(bus, 'join-first-test');
    const place = (avoid?: PlacementRequest['avoid']) =>
      client.request(
        bus.subjects.orchestratorPlace(),
        PlacementRequest,
        request({
          profile,
          demand: { cpu: 2, mem: 2 },
          view: state.toView(),
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
