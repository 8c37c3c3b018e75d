import { afterEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  createInfrastructureAgent,
  type InfrastructureAgent,
  type InfrastructureConfig,
} from '../../agents/infrastructure/index.js';
import { type Bus, errorFromReply } from '../../shared/bus/index.js';
import { subscribeKpis } from '../../shared/clients/kpis.js';
import {
  ApplyReply,
  ApplyRequest,
  DeclineReply,
  DeclineRequest,
  KpiBatch,
  type KpiSample,
  KpiSample as KpiSampleSchema,
  ReleaseReply,
  ReleaseRequest,
  type SliceMeshError,
  ENDPOINTS,
  InfraChange,
  StateSnapshot,
  type SnapshotRequest,
  TrafficLoad,
  isSliceMeshError,
  type NetworkView,
  type SliceProfile,
} from '../../shared/contracts/index.js';
import {
  NODE_SEQ_BLOCK,
  NetworkState,
  replayChange,
  viewWithoutSlice,
} from '../../shared/model/index.js';
import { ATTR, SPAN, instrument } from '../../shared/telemetry/index.js';
import { useNatsServer } from '../helpers/nats.js';
import { testTracing } from '../helpers/tracing.js';
import { waitFor } from '../helpers/wait.js';
import {
  DEMAND,
  HIGH_URLLC,
  agentDeps,
  planFor,
  type Where,
} from '../unit/infrastructure-fixtures.js';

const nats = useNatsServer();
const agents: InfrastructureAgent[] = [];

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});

const CONFIG: InfrastructureConfig = { seed: 5, kpiIntervalMs: 0, ownerProbeMs: 200 };

async function setup(config: Partial<InfrastructureConfig> = {}, namespace?: string) {
  const tracing = testTracing('infrastructure');
  const bus = await nats.connectBus({
    name: 'infrastructure',
    tracer: tracing.tracer(),
    ...(namespace === undefined ? {} : { namespace }),
  });
  const client = await nats.connectBus({
    name: 'client',
    namespace: bus.namespace,
    tracer: tracing.tracer(),
  });
  const agent = createInfrastructureAgent(agentDeps(bus, 'infrastructure'), {
    ...CONFIG,
    ...config,
  });
  agents.push(agent);
  await agent.start();
  return { bus, client, agent, tracing };
}

/** The whole state as a replica reads it: the paged snapshot, page after page. */
async function snapshot(
  client: Bus,
  limit?: number,
): Promise<{ state: StateSnapshot; epoch: string; version: number; pages: number }> {
  let cursor: SnapshotRequest['cursor'];
  let text = '';
  let pages = 0;
  for (;;) {
    const request: SnapshotRequest = { type: 'infra.snapshot.request.v1' };
    if (cursor) request.cursor = cursor;
    if (limit !== undefined) request.limit = limit;
    const page = await client.request(ENDPOINTS.infraSnapshot, request);
    text += page.chunk;
    pages += 1;
    if (!page.next) {
      return {
        state: StateSnapshot.parse(JSON.parse(text)),
        epoch: page.epoch,
        version: page.version,
        pages,
      };
    }
    cursor = page.next;
  }
}

/** The network as the infrastructure holds it; with `excludeSliceId`, as a re-placement plans on it. */
async function view(client: Bus, excludeSliceId?: string): Promise<NetworkView> {
  const { state } = await snapshot(client);
  if (excludeSliceId === undefined) return state.view;
  return viewWithoutSlice(NetworkState.fromSnapshot(state), excludeSliceId);
}

function changes(client: Bus, since: number, limit?: number) {
  return client.request(ENDPOINTS.infraChanges, {
    type: 'infra.changes.request.v1',
    since,
    ...(limit === undefined ? {} : { limit }),
  });
}

function collectChanges(client: Bus): InfraChange[] {
  const seen: InfraChange[] = [];
  client.subscribe(client.subjects.infraChange(), InfraChange, (c) => void seen.push(c), {
    trace: false,
  });
  return seen;
}

/** Plans on the infrastructure's own view (as the orchestrator would) and applies. */
async function apply(
  client: Bus,
  sliceId: string,
  where: Where,
  options: { profile?: SliceProfile; demand?: typeof DEMAND; replan?: boolean } = {},
): Promise<ApplyReply> {
  const profile = options.profile ?? HIGH_URLLC;
  const demand = options.demand ?? DEMAND;
  const planning = NetworkState.fromView(await view(client, options.replan ? sliceId : undefined));
  const plan = planFor(planning, sliceId, profile, where, demand);
  return client.request(
    client.subjects.infraApply(),
    ApplyRequest,
    { type: 'infra.apply.request.v1', sliceId, profile, demand, plan },
    ApplyReply,
  );
}

function applied(reply: ApplyReply) {
  if (reply.outcome !== 'applied') throw new Error(`refused: ${reply.message}`);
  return reply;
}

function release(client: Bus, sliceId: string): Promise<ReleaseReply> {
  return client.request(
    client.subjects.infraRelease(),
    ReleaseRequest,
    { type: 'infra.release.request.v1', sliceId },
    ReleaseReply,
  );
}

function decline(client: Bus, sliceId: string): Promise<DeclineReply> {
  return client.request(
    client.subjects.infraDecline(),
    DeclineRequest,
    { type: 'infra.decline.request.v1', sliceId },
    DeclineReply,
  );
}

type KpiBatchMessage = z.output<typeof KpiBatch.send>;

function collectKpis(client: Bus): KpiSample[] {
  const samples: KpiSample[] = [];
  subscribeKpis(client, (s) => void samples.push(s));
  return samples;
}

describe('infrastructure agent', () => {
  it('serves a view, applies a plan and emits the slice’s KPIs right away', async () => {
    const { client, agent } = await setup();
    const samples = collectKpis(client);
    await client.flush();
    const empty = await view(client);
    expect(empty).toMatchObject({ version: 0, containers: [], vnfNodes: [] });

    const reply = applied(await apply(client, 's1', { site: 'local' }));
    expect(reply).toMatchObject({
      served: true,
      violations: [],
      affectedSliceIds: [],
      observed: { latencyMs: 30, cost: 30, reliabilityCost: 0 },
      placement: { site: 'local', vnfNodeIds: [] },
    });
    expect(reply.viewVersion).toBeGreaterThan(empty.version);
    const after = await view(client);
    expect(after.local.cpuUsed).toBe(DEMAND.cpu);
    expect(after.containers.map((c) => c.id)).toEqual([reply.placement.containerId]);
    expect(agent.heldSliceIds()).toEqual(['s1']);

    const first = await waitFor(() => samples.find((s) => s.sliceId === 's1'));
    expect(first).toMatchObject({ latencyMs: 30, cost: 30, sharing: 1, load: 1, cpu: DEMAND.cpu });
  });

  it('takes one client’s requests in the order they were sent (what the placement lock relies on)', async () => {
    const { client } = await setup();
    const empty = await view(client);
    const plan = planFor(NetworkState.fromView(empty), 's1', HIGH_URLLC, { site: 'local' });
    // Sent back to back, without waiting for the apply's reply.
    const applying = client.request(
      client.subjects.infraApply(),
      ApplyRequest,
      { type: 'infra.apply.request.v1', sliceId: 's1', profile: HIGH_URLLC, demand: DEMAND, plan },
      ApplyReply,
    );
    const declining = client.request(
      client.subjects.infraDecline(),
      DeclineRequest,
      { type: 'infra.decline.request.v1', sliceId: 'r1' },
      DeclineReply,
    );
    const seen = view(client);
    const [reply, declined, after] = await Promise.all([applying, declining, seen]);
    const placed = applied(reply);
    expect(placed.viewVersion).toBe(empty.version + 1);
    expect(declined).toMatchObject({ counted: true, viewVersion: empty.version + 2 });
    // The view asked for last already shows both.
    expect(after.version).toBe(empty.version + 2);
    expect(after.containers.map((c) => c.id)).toEqual([placed.placement.containerId]);
    expect(after.nextNodeSeq).toBe(empty.nextNodeSeq + 2 * NODE_SEQ_BLOCK);
  });

  it('refuses a plan made on a stale view and leaves the state as it was', async () => {
    const { client } = await setup();
    const stalePlanning = NetworkState.fromView(await view(client));
    applied(await apply(client, 'first', { site: 'local' }));
    const before = await view(client);
    const reply = await client.request(
      client.subjects.infraApply(),
      ApplyRequest,
      {
        type: 'infra.apply.request.v1',
        sliceId: 'late',
        profile: HIGH_URLLC,
        demand: DEMAND,
        plan: planFor(stalePlanning, 'late', HIGH_URLLC, { site: 'local' }),
      },
      ApplyReply,
    );
    expect(reply).toMatchObject({
      outcome: 'refused',
      reason: 'stale-view',
      viewVersion: before.version,
    });
    expect(await view(client)).toEqual(before);
  });

  it('releases idempotently and restores the capacity exactly', async () => {
    const { client, agent } = await setup();
    applied(await apply(client, 'a', { site: 'local' }, { demand: { cpu: 2.333, mem: 1.1 } }));
    const before = await view(client);
    const b = applied(
      await apply(client, 'b', { site: 'cloud' }, { demand: { cpu: 0.7, mem: 3.9 } }),
    );
    const c = applied(
      await apply(
        client,
        'c',
        { site: 'local', join: before.containers[0]?.id ?? '' },
        {
          demand: { cpu: 1.01, mem: 0.3 },
        },
      ),
    );
    expect(c.placement.containerId).toBe(before.containers[0]?.id);
    expect(await release(client, 'b')).toMatchObject({ released: true });
    expect(await release(client, 'c')).toMatchObject({ released: true });
    const after = await view(client);
    expect(after.local).toEqual(before.local);
    expect(after.containers).toEqual(before.containers);
    expect(after.vnfNodes).toEqual([]);
    expect(b.placement.vnfNodeIds.length).toBeGreaterThan(0);
    const again = await release(client, 'b');
    expect(again).toEqual({
      type: 'infra.release.reply.v1',
      sliceId: 'b',
      released: false,
      viewVersion: after.version,
    });
    expect(agent.heldSliceIds()).toEqual(['a']);
  });

  it('re-places a slice atomically, or refuses and keeps the old placement', async () => {
    const { client } = await setup();
    const a = applied(await apply(client, 'a', { site: 'local' }));
    applied(await apply(client, 'b', { site: 'local', join: a.placement.containerId }));
    const shared = await view(client);

    // Too big for the local server: refused, nothing moved.
    const refused = await apply(
      client,
      'b',
      { site: 'local' },
      { replan: true, demand: { cpu: 39, mem: 2 } },
    );
    expect(refused).toMatchObject({ outcome: 'refused', reason: 'capacity' });
    expect(await view(client)).toEqual(shared);

    const moved = applied(await apply(client, 'b', { site: 'local' }, { replan: true }));
    expect(moved.placement.containerId).not.toBe(a.placement.containerId);
    const after = await view(client);
    expect(after.local.cpuUsed).toBe(2 * DEMAND.cpu);
    const tenants = Object.fromEntries(
      after.containers.map((c) => [c.id, c.tenants.map((t) => t.sliceId)]),
    );
    expect(tenants).toEqual({
      [a.placement.containerId]: ['a'],
      [moved.placement.containerId]: ['b'],
    });
  });

  it('answers invalid requests with typed errors and keeps serving', async () => {
    const { client } = await setup();
    const raw = await client.connection.request(
      client.subjects.infraApply(),
      new TextEncoder().encode('{"type": "infra.apply.request.v1", "sliceId": '),
      { timeout: 2_000 },
    );
    expect(errorFromReply(raw.data, raw.headers, 'apply')?.code).toBe('invalid-json');

    const planning = NetworkState.fromView(await view(client));
    const plan = planFor(planning, 'x', HIGH_URLLC, { site: 'local' });
    // A local plan may not cross VNF nodes.
    plan.vnfs = [{ mode: 'new', position: 0 }];
    const error = await client
      .request(
        client.subjects.infraApply(),
        ApplyRequest,
        { type: 'infra.apply.request.v1', sliceId: 'x', profile: HIGH_URLLC, demand: DEMAND, plan },
        ApplyReply,
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isSliceMeshError(error) && (error as SliceMeshError).code).toBe('invalid-message');

    const unknown = await apply(client, 'y', { site: 'local' });
    expect(unknown.outcome).toBe('applied');
    const ghostJoin = await client.request(
      client.subjects.infraApply(),
      ApplyRequest,
      {
        type: 'infra.apply.request.v1',
        sliceId: 'z',
        profile: HIGH_URLLC,
        demand: DEMAND,
        plan: {
          ...planFor(NetworkState.fromView(await view(client)), 'z', HIGH_URLLC, { site: 'local' }),
          scaling: 'vertical',
          container: { mode: 'join', containerId: 'ct-local-999' },
        },
      },
      ApplyReply,
    );
    expect(ghostJoin).toMatchObject({ outcome: 'refused', reason: 'unknown-node' });
    expect((await view(client)).containers).toHaveLength(1);
  });

  it('emits KPIs of the slice and its neighbours immediately on a traffic load change', async () => {
    const { client } = await setup();
    const samples = collectKpis(client);
    await client.flush();
    const a = applied(await apply(client, 'a', { site: 'local' }));
    applied(await apply(client, 'b', { site: 'local', join: a.placement.containerId }));
    samples.length = 0;
    client.publish(client.subjects.trafficLoad('b'), TrafficLoad, {
      type: 'infra.load.v1',
      sliceId: 'b',
      at: Date.now(),
      factor: 2,
    });
    const surged = await waitFor(() => {
      const ids = new Set(samples.map((s) => s.sliceId));
      return ids.has('a') && ids.has('b') ? samples : undefined;
    });
    const b = surged.find((s) => s.sliceId === 'b');
    expect(b).toMatchObject({ load: 2, sharing: 2, cpu: 2 * DEMAND.cpu });
    expect(b?.latencyMs).toBeGreaterThan(30);
    expect(surged.find((s) => s.sliceId === 'a')?.latencyMs).toBeGreaterThan(30);
  });

  it('sends a tick’s samples of every held slice as one batch message, not one message per slice', async () => {
    const { client, agent } = await setup();
    for (const id of ['a', 'b', 'c']) applied(await apply(client, id, { site: 'local' }));
    const batches: KpiBatchMessage[] = [];
    const singles: KpiSample[] = [];
    client.subscribe(client.subjects.kpiBatch(), KpiBatch.send, (m) => void batches.push(m));
    client.subscribe(client.subjects.kpiAll(), KpiSampleSchema, (m) => void singles.push(m));
    await client.flush();
    agent.tick();
    const [batch] = await waitFor(() => (batches.length > 0 ? batches : undefined));
    expect(batches).toHaveLength(1);
    expect(batch!.items.map((s) => s.sliceId).sort()).toEqual(['a', 'b', 'c']);
    expect(new Set(batch!.items.map((s) => s.at))).toEqual(new Set([batch!.at]));
    await client.flush();
    expect(singles).toEqual([]);
  });

  it('traces apply and release as spans in the caller’s trace', async () => {
    const { client, tracing } = await setup();
    await instrument(tracing.tracer(), 'test.slice', {}, async () => {
      applied(await apply(client, 'traced', { site: 'local' }));
      await release(client, 'traced');
    });
    const [root] = tracing.spansNamed('test.slice');
    const [applySpan] = tracing.spansNamed(SPAN.infraApply);
    const [releaseSpan] = tracing.spansNamed(SPAN.infraRelease);
    expect(applySpan?.spanContext().traceId).toBe(root?.spanContext().traceId);
    expect(releaseSpan?.spanContext().traceId).toBe(root?.spanContext().traceId);
    expect(applySpan?.attributes[ATTR.sliceId]).toBe('traced');
    expect(applySpan?.attributes[ATTR.infraOutcome]).toBe('applied');
    expect(releaseSpan?.attributes[ATTR.infraOutcome]).toBe('released');
  });

  it('publishes every change on the feed, numbered by version, and serves the same from its change log', async () => {
    const { client, agent } = await setup();
    const feed = collectChanges(client);
    await client.flush();
    const start = await snapshot(client);
    expect(start.version).toBe(0);
    applied(await apply(client, 'a', { site: 'local' }));
    applied(await apply(client, 'b', { site: 'cloud' }));
    applied(await apply(client, 'a', { site: 'cloud' }, { replan: true }));
    expect(await release(client, 'b')).toMatchObject({ released: true });
    expect(await decline(client, 'r1')).toMatchObject({ counted: true });
    // Nothing changes, nothing is published.
    expect(await release(client, 'nobody')).toMatchObject({ released: false });
    await waitFor(() => feed.length === 5 || undefined, { what: 'five changes on the feed' });
    expect(feed.map((c) => [c.version, c.change.op])).toEqual([
      [1, 'place'],
      [2, 'place'],
      [3, 'move'],
      [4, 'release'],
      [5, 'skip'],
    ]);
    expect(new Set(feed.map((c) => c.epoch))).toEqual(new Set([start.epoch]));

    const logged = await changes(client, 0);
    expect(logged).toMatchObject({ epoch: start.epoch, version: 5, more: false });
    expect(logged.changes).toEqual(feed.map(({ version, change }) => ({ version, change })));
    const paged = await changes(client, 1, 2);
    expect(paged.changes.map((c) => c.version)).toEqual([2, 3]);
    expect(paged.more).toBe(true);

    // A replica of the empty start fed the feed is the infrastructure's state.
    const replica = NetworkState.fromSnapshot(start.state);
    for (const { version, change } of feed) replayChange(replica, { version, change });
    expect(replica.toView()).toEqual(agent.view());
    expect(replica.toSnapshot()).toEqual((await snapshot(client)).state);
  });

  it('pages a snapshot in bounded pages, and answers view-expired past its change log or from another run', async () => {
    const { bus, client, agent } = await setup({ changeLogLength: 2, persist: true });
    for (const id of ['a', 'b', 'c']) applied(await apply(client, id, { site: 'cloud' }));
    const paged = await snapshot(client, 200);
    expect(paged.pages).toBeGreaterThan(3);
    expect(paged.version).toBe(3);
    expect(paged.state.view).toEqual(agent.view());

    expect((await changes(client, 1)).changes.map((c) => c.version)).toEqual([2, 3]);
    const expired = await changes(client, 0).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSliceMeshError(expired) && expired.code).toBe('view-expired');
    const ahead = await changes(client, 9).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSliceMeshError(ahead) && ahead.code).toBe('view-expired');

    // A restart is a new epoch whose log starts at the version it resumes.
    await agent.stop();
    const second = await setup({ changeLogLength: 2, persist: true }, bus.namespace);
    const after = await snapshot(second.client);
    expect(after.epoch).not.toBe(paged.epoch);
    expect(after.version).toBe(3);
    expect(await changes(second.client, 3)).toMatchObject({ epoch: after.epoch, changes: [] });
  });

  it('refuses to start a second instance that would own a second state', async () => {
    const { bus } = await setup();
    const other = await nats.connectBus({ name: 'infrastructure-2', namespace: bus.namespace });
    const second = createInfrastructureAgent(agentDeps(other, 'infrastructure'), CONFIG);
    agents.push(second);
    const error = await second.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSliceMeshError(error) && (error as SliceMeshError).code).toBe('config');
    expect(second.state).toBe('failed');
    expect(await second.stopped).toBe(error);
  });

  it('resumes its state from the KV snapshot after a restart when persisting', async () => {
    const first = await setup({ persist: true });
    const firstSamples = collectKpis(first.client);
    await first.client.flush();
    applied(await apply(first.client, 'a', { site: 'local' }));
    applied(await apply(first.client, 'b', { site: 'cloud' }));
    first.client.publish(first.client.subjects.trafficLoad('a'), TrafficLoad, {
      type: 'infra.load.v1',
      sliceId: 'a',
      at: Date.now(),
      factor: 1.5,
    });
    await waitFor(() => firstSamples.some((x) => x.sliceId === 'a' && x.load === 1.5));
    const before = await view(first.client);
    await first.agent.stop();
    expect(first.agent.state).toBe('stopped');

    const second = await setup({ persist: true }, first.bus.namespace);
    expect(await view(second.client)).toEqual(before);
    const samples = collectKpis(second.client);
    await second.client.flush();
    second.agent.tick();
    const resumed = await waitFor(() => samples.find((s) => s.sliceId === 'a'));
    expect(resumed.load).toBe(1.5);
    // The resumed state keeps working: the slice can be re-placed and released.
    applied(await apply(second.client, 'a', { site: 'local' }, { replan: true }));
    expect(await release(second.client, 'b')).toMatchObject({ released: true });
  });

  it('remembers across a restart which refusals it counted, so a retried decline counts once', async () => {
    const first = await setup({ persist: true });
    expect(await decline(first.client, 'r1')).toMatchObject({ counted: true });
    const before = await view(first.client);
    await first.agent.stop();

    const second = await setup({ persist: true }, first.bus.namespace);
    expect(await decline(second.client, 'r1')).toMatchObject({ counted: false });
    expect(await view(second.client)).toEqual(before);
    expect(await decline(second.client, 'r2')).toMatchObject({ counted: true });
    expect((await view(second.client)).nextNodeSeq).toBe(before.nextNodeSeq + NODE_SEQ_BLOCK);
  });
});
