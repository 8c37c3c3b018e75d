/**
 * The dashboard plugin in a Fastify of the test's own, connected as the api
 * role's identity to a real nats-server with the mesh's generated identities
 * and permissions: a slice-manager, orchestrator
 * (first-fit), infrastructure and telemetry agent, each as itself, and an
 * interpreter that answers over NATS. The page and its modules, the token on
 * the data routes, the live event stream from a request to `active`, the list
 * and the detail of the slice, replay reports, and a mesh that is not
 * answering.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type preHandlerHookHandler } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfrastructureAgent } from '../../agents/infrastructure/index.js';
import { createOrchestratorAgent } from '../../agents/orchestrator/index.js';
import {
  createSliceManagerAgent,
  sliceManagerConfigFrom,
} from '../../agents/slice-manager/index.js';
import { createTelemetryAgent } from '../../agents/telemetry/index.js';
import { DASHBOARD_API, dashboardPlugin } from '../../agents/api/dashboard/index.js';
import { SliceEventHub, type SliceTransitionData } from '../../agents/api/dashboard/events.js';
import type { SliceDetail, SliceRow } from '../../agents/api/dashboard/slices.js';
import { writeReport } from '../../cli/replay/report.js';
import { sliceResult } from '../../cli/replay/result.js';
import { summarise } from '../../cli/replay/summary.js';
import type { Bus } from '../../shared/bus/index.js';
import {
  ENDPOINTS,
  SliceEvent,
  SliceRequest,
  clientIdentity,
} from '../../shared/contracts/index.js';
import type { AgentHandle } from '../../shared/runtime/agent.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import { useSecuredNatsServer } from '../helpers/nats.js';
import { inferenceReply, sliceRequest } from '../helpers/slice-doubles.js';
import { openSse, type SseReader } from '../helpers/sse.js';
import { waitFor } from '../helpers/wait.js';
import { agentDeps } from '../unit/infrastructure-fixtures.js';

const nats = useSecuredNatsServer();
const TOKEN = 'dashboard-test-token';
const JAEGER = 'http://jaeger.example:16686/';
const workDir = mkdtempSync(join(tmpdir(), 'slicemesh-dashboard-'));

/** The api's check, as the api role does it: the bearer header or the `access_token` query. */
const authenticate: preHandlerHookHandler = (request, reply, done) => {
  const header = request.headers.authorization;
  const query = (request.query as { access_token?: string } | undefined)?.access_token;
  if (header === `Bearer ${TOKEN}` || query === TOKEN) return done();
  void reply.code(401).send({ code: 'unauthorized', message: 'bearer token required' });
};

async function startDashboard(bus: Bus, reportDirs: string[]) {
  // Validation as the api server configures it: query values are not coerced.
  const app = Fastify({ logger: false, ajv: { customOptions: { coerceTypes: false } } });
  await app.register(dashboardPlugin, {
    bus,
    logger: silentLogger,
    authenticate,
    jaegerUrl: JAEGER,
    dataDir: workDir,
    reportDirs,
    heartbeatMs: 200,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { app, url: `http://127.0.0.1:${address.port}` };
}

const auth = { authorization: `Bearer ${TOKEN}` };

describe('the dashboard plugin on a real mesh', () => {
  const agents: AgentHandle[] = [];
  let client: Bus;
  let app: FastifyInstance;
  let url: string;
  const reportsRoot = join(workDir, 'reports');

  beforeAll(async () => {
    const interpreter = await nats.connectAs('interpreter');
    interpreter.serve(ENDPOINTS.interpreterInfer, (r) => inferenceReply(r.sliceId), {
      queue: 'interpreter',
    });
    await interpreter.flush();
    const infrastructure = createInfrastructureAgent(
      agentDeps(await nats.connectAs('infrastructure'), 'infrastructure', 5),
      { seed: 5, kpiIntervalMs: 0 },
    );
    const orchestrator = createOrchestratorAgent(
      { bus: await nats.connectAs('orchestrator') },
      { method: 'first-fit', modelDir: '/nonexistent', reloadIntervalMs: 0 },
    );
    const telemetry = createTelemetryAgent(
      agentDeps(await nats.connectAs('telemetry'), 'telemetry'),
      {
        prometheusPort: -1,
        prometheusHost: '127.0.0.1',
        hysteresis: { enterSamples: 2, clearSamples: 2, cooldownMs: 0 },
      },
    );
    const config = loadConfig({});
    const manager = createSliceManagerAgent(
      agentDeps(await nats.connectAs('slice-manager'), 'slice-manager', 5),
      sliceManagerConfigFrom(config),
    );
    for (const agent of [infrastructure, orchestrator, telemetry, manager]) {
      await agent.start();
      agents.push(agent);
    }
    client = await nats.connectAs(clientIdentity('default'));
    ({ app, url } = await startDashboard(await nats.connectAs('api'), [reportsRoot]));
  });

  afterAll(async () => {
    await app?.close();
    for (const agent of agents.reverse()) await agent.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('serves the page and its modules without a token, preact and htm from the server itself', async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    const html = await page.text();
    expect(html).toContain('"preact":"/dashboard/assets/vendor/preact.mjs"');
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of [
      'app.js',
      'vendor/preact.mjs',
      'vendor/hooks.mjs',
      'vendor/htm.mjs',
      'style.css',
    ]) {
      const response = await fetch(`${url}/dashboard/assets/${asset}`);
      expect(response.status, asset).toBe(200);
      expect(await response.text(), asset).not.toHaveLength(0);
    }
    expect((await fetch(`${url}/dashboard/assets/../index.ts`)).status).toBe(404);
    expect((await fetch(`${url}/dashboard/assets/nothing.js`)).status).toBe(404);
  });

  it('answers the data routes only with the token', async () => {
    for (const path of ['/slices', '/slices/x', '/events', '/reports']) {
      expect((await fetch(`${url}${DASHBOARD_API}${path}`)).status, path).toBe(401);
    }
    const ok = await fetch(`${url}${DASHBOARD_API}/slices?access_token=${TOKEN}`);
    expect(ok.status).toBe(200);
  });

  it('streams a request from intake to active, then lists it and shows its detail', async () => {
    const stream: SseReader = await openSse(`${url}${DASHBOARD_API}/events?access_token=${TOKEN}`);
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
      // The server subscribes before it answers the stream's first line.
      await waitFor(() => stream.comments.includes('connected'), { what: 'the stream to open' });
      await client.jsPublish(
        client.subjects.sliceRequest('default', 'dash-1'),
        SliceRequest,
        sliceRequest('dash-1', { submittedAt: Date.now() }),
        { msgId: 'dash-1' },
      );
      const transitions = () =>
        stream.messages
          .filter((m) => m.event === 'slice')
          .map((m) => JSON.parse(m.data) as SliceTransitionData)
          .filter((d) => d.sliceId === 'dash-1');
      await waitFor(() => transitions().some((t) => t.to === 'active'), {
        timeoutMs: 20_000,
        what: 'dash-1 active on the stream',
      });
      expect(transitions().map((t) => t.to)).toEqual([
        'requested',
        'interpreting',
        'planning',
        'deploying',
        'active',
      ]);
      const last = transitions().at(-1)!;
      expect(last.row).toMatchObject({ sliceId: 'dash-1', state: 'active', serviceType: 'URLLC' });
      // Heartbeats keep the stream alive between transitions.
      await waitFor(() => stream.comments.includes('heartbeat'), { what: 'a heartbeat' });
    } finally {
      stream.close();
    }

    const list = await fetch(`${url}${DASHBOARD_API}/slices`, { headers: auth });
    const { slices } = (await list.json()) as { slices: SliceRow[] };
    expect(slices.find((s) => s.sliceId === 'dash-1')).toMatchObject({
      state: 'active',
      served: true,
      site: expect.any(String) as string,
    });

    const response = await fetch(`${url}${DASHBOARD_API}/slices/dash-1`, { headers: auth });
    expect(response.status).toBe(200);
    const detail = (await response.json()) as SliceDetail;
    expect(detail.timeline.map((s) => s.state)).toEqual([
      'requested',
      'interpreting',
      'planning',
      'deploying',
      'active',
    ]);
    // Every step but the current one has lasted a while; the current one has not ended.
    expect(detail.timeline.slice(0, -1).every((s) => typeof s.durationMs === 'number')).toBe(true);
    expect(detail.timeline.at(-1)!.durationMs).toBeNull();
    expect(detail.preference).toEqual(inferenceReply('dash-1').preference);
    expect(detail.placement?.containerId).toEqual(expect.any(String));
    const latency = detail.qoe.checks.find((c) => c.dimension === 'latency');
    // URLLC with a high latency class: 30 ms in the case-study model.
    expect(latency).toMatchObject({ limit: 30, met: true });
    expect(latency?.observed).toBeLessThanOrEqual(30);
    expect(detail.qoe.telemetry).toBe('ok');
    expect(detail.qoe.live).toMatchObject({ sliceId: 'dash-1', violations: 0 });
    // No tracer runs in this test, so no trace id and no link (the unit test has both).
    expect(detail.traceId).toBeNull();
    expect(detail.traceUrl).toBeNull();
    expect(detail.adaptations).toEqual([]);
  });

  it('pages the list with a limit and the cursor it gave', async () => {
    await client.jsPublish(
      client.subjects.sliceRequest('default', 'dash-2'),
      SliceRequest,
      sliceRequest('dash-2', { submittedAt: Date.now() }),
      { msgId: 'dash-2' },
    );
    const page = async (query: string) =>
      (await (await fetch(`${url}${DASHBOARD_API}/slices?${query}`, { headers: auth })).json()) as {
        slices: SliceRow[];
        nextCursor?: string;
      };
    const seen = new Set<string>();
    await waitFor(
      async () => {
        seen.clear();
        let next: string | undefined;
        do {
          const got = await page(`limit=1${next ? `&cursor=${encodeURIComponent(next)}` : ''}`);
          expect(got.slices.length).toBeLessThanOrEqual(1);
          for (const s of got.slices) seen.add(s.sliceId);
          next = got.nextCursor;
        } while (next !== undefined);
        return seen.has('dash-2');
      },
      { what: 'both slices across pages of one' },
    );
    expect([...seen].sort()).toEqual(['dash-1', 'dash-2']);
    const tooMany = await fetch(`${url}${DASHBOARD_API}/slices?limit=500`, { headers: auth });
    expect(tooMany.status).toBe(400);
  });

  it('answers 404 for an unknown slice and 400 for a bad filter', async () => {
    const unknown = await fetch(`${url}${DASHBOARD_API}/slices/nope`, { headers: auth });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'unknown-slice' });
    const badId = await fetch(`${url}${DASHBOARD_API}/slices/not%20an%20id`, { headers: auth });
    expect(badId.status).toBe(400);
    expect(await badId.json()).toMatchObject({ code: 'invalid-message' });
    const filter = await fetch(`${url}${DASHBOARD_API}/slices?state=sleeping`, { headers: auth });
    expect(filter.status).toBe(400);
    const cursor = await fetch(`${url}${DASHBOARD_API}/slices?cursor=not-a-cursor`, {
      headers: auth,
    });
    expect(cursor.status).toBe(400);
    expect(await cursor.json()).toMatchObject({ code: 'invalid-cursor' });
  });

  it("lists finished replays' reports and serves their chart data, skipping what is not one", async () => {
    const slices = [
      sliceResult('r-1', {
        sliceId: 'r-1',
        state: 'active',
        text: 'robot arm',
        served: true,
        observed: { latencyMs: 21, cost: 30, reliabilityCost: 0 },
        preference: { latency: 0.5, reliability: 0.3, economics: 0.1, throughput: 0.1 },
        history: [
          { state: 'requested', at: 1_000 },
          { state: 'active', at: 1_040 },
        ],
      }),
    ];
    await writeReport(
      join(reportsRoot, 'latest'),
      { scenario: 'demo', method: 'first-fit', summary: summarise(slices), slices },
      { source: 'scenarios/demo.yaml', seed: 7, speed: 'max', startedAt: 1_000, endedAt: 1_100 },
    );
    mkdirSync(join(reportsRoot, 'broken'), { recursive: true });
    writeFileSync(join(reportsRoot, 'broken', 'report.json'), '{"type": "something else"}');

    const listing = await fetch(`${url}${DASHBOARD_API}/reports`, { headers: auth });
    const { reports } = (await listing.json()) as {
      reports: { id: string; name: string; scenario: string; summary: { served: number } }[];
    };
    expect(reports.map((r) => r.name)).toEqual(['latest']);
    expect(reports[0]).toMatchObject({ scenario: 'demo', summary: { served: 1 } });

    const one = await fetch(`${url}${DASHBOARD_API}/reports/${reports[0]!.id}`, { headers: auth });
    const report = (await one.json()) as { slices: { id: string; latencyMs: number }[] };
    expect(report.slices).toMatchObject([{ id: 'r-1', latencyMs: 21 }]);
    expect((await fetch(`${url}${DASHBOARD_API}/reports/0-broken`, { headers: auth })).status).toBe(
      404,
    );
    expect(
      (await fetch(`${url}${DASHBOARD_API}/reports/0-..%2F..%2Fetc`, { headers: auth })).status,
    ).toBe(404);

    // A report written again is listed as it is now; one removed is gone.
    await writeReport(
      join(reportsRoot, 'latest'),
      { scenario: 'demo-again', method: 'first-fit', summary: summarise(slices), slices },
      { source: 'scenarios/demo.yaml', seed: 8, speed: 'max', startedAt: 1_000, endedAt: 1_100 },
    );
    const names = async () =>
      (
        (await (await fetch(`${url}${DASHBOARD_API}/reports`, { headers: auth })).json()) as {
          reports: { scenario: string }[];
        }
      ).reports.map((r) => r.scenario);
    expect(await names()).toEqual(['demo-again']);
    rmSync(join(reportsRoot, 'latest'), { recursive: true });
    expect(await names()).toEqual([]);
  });

  it('ends open event streams when the server closes', async () => {
    const other = await startDashboard(await nats.connectAs('api'), []);
    const stream = await openSse(`${other.url}${DASHBOARD_API}/events?access_token=${TOKEN}`);
    await waitFor(() => stream.comments.includes('connected'), { what: 'the stream to open' });
    await other.app.close();
    await stream.ended;
  });

  it('answers 503 while no slice-manager answers', async () => {
    // Last: the slice-manager goes away for good.
    const manager = agents.pop()!;
    await manager.stop();
    const response = await fetch(`${url}${DASHBOARD_API}/slices`, { headers: auth });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      code: expect.stringMatching(/^(unavailable|timeout)$/) as string,
    });
    const detail = await fetch(`${url}${DASHBOARD_API}/slices/dash-1`, { headers: auth });
    expect(detail.status).toBe(503);
  });
});

describe('the event hub', () => {
  const event = (sliceId: string, n: number): SliceEvent => ({
    type: 'slice.event.v1',
    sliceId,
    at: 1_000 + n,
    from: null,
    to: 'requested',
    cause: 'request',
    record: {
      sliceId,
      tenant: 'default',
      state: 'requested',
      text: 'x'.repeat(100),
      history: [{ state: 'requested', at: 1_000 + n }],
    },
  });

  it('holds the subscription only while a client is connected', async () => {
    const bus = await nats.connectAs('api');
    const publisher = await nats.connectAs('slice-manager');
    const hub = new SliceEventHub(bus, silentLogger, {
      heartbeatMs: 60_000,
      maxBufferedBytes: 1 << 20,
    });
    expect(hub.subscribed).toBe(false);
    const client = new PassThrough();
    let received = '';
    client.on('data', (chunk: Buffer) => (received += chunk.toString()));
    hub.add(client);
    expect(hub.subscribed).toBe(true);
    await hub.flush();
    publisher.publish(publisher.subjects.sliceEvent('default', 'h-1'), SliceEvent, event('h-1', 1));
    await waitFor(() => received.includes('"sliceId":"h-1"'), { what: 'the event on the stream' });
    expect(received).toMatch(/^retry: 2000\n: connected\n\nevent: slice\ndata: \{/);
    client.destroy();
    await waitFor(() => !hub.subscribed, { what: 'the subscription given back' });
    expect(hub.clients).toBe(0);
    await hub.close();
  });

  it('drops a client that does not read, and the others go on', async () => {
    const bus = await nats.connectAs('api');
    const publisher = await nats.connectAs('slice-manager');
    const hub = new SliceEventHub(bus, silentLogger, {
      heartbeatMs: 60_000,
      maxBufferedBytes: 4_096,
    });
    // Accepts the first write and never finishes it: everything after queues up.
    const stuck = new Writable({ highWaterMark: 64, write: () => undefined });
    const reader = new PassThrough();
    let received = 0;
    reader.on(
      'data',
      (chunk: Buffer) => (received += chunk.toString().split('event: slice').length - 1),
    );
    hub.add(stuck);
    hub.add(reader);
    await hub.flush();
    for (let n = 0; n < 40; n++) {
      publisher.publish(
        publisher.subjects.sliceEvent('default', `d-${n}`),
        SliceEvent,
        event(`d-${n}`, n),
      );
    }
    await waitFor(() => received === 40, { what: 'all 40 events at the reading client' });
    expect(hub.dropped).toBe(1);
    expect(stuck.destroyed).toBe(true);
    expect(hub.clients).toBe(1);
    await hub.close();
  });
});
