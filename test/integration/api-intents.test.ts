/**
 * The api role on a real mesh: a secured nats-server with the generated identities, Chroma,
 * and the roles a slice needs (slice-manager, interpreter, orchestrator, infrastructure,
 * telemetry) plus the api, each as its own identity. Intents go in over HTTP and come out
 * as slices; responses and hub callbacks are checked against the api's own schemas and
 * against what the TMF921 v5 specification requires.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiSchemas, type ApiAgent } from '../../agents/api/index.js';
import { roles } from '../../cli/roles.js';
import type { Bus } from '../../shared/bus/index.js';
import { ENDPOINTS } from '../../shared/contracts/endpoints.js';
import { OPERATOR_IDENTITY } from '../../shared/contracts/permissions.js';
import type { AgentHandle } from '../../shared/runtime/agent.js';
import { loadConfig, type SliceMeshConfig } from '../../shared/runtime/config.js';
import { launchRoles } from '../../shared/runtime/launch.js';
import { createLogger } from '../../shared/runtime/logger.js';
import { createShutdownRunner, type ShutdownRunner } from '../../shared/runtime/process.js';
import { useChromaServer } from '../helpers/chroma.js';
import { useSecuredNatsServer } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

const PROJECT_DATA_DIR = fileURLToPath(new URL('../../.data', import.meta.url));
const BASE = '/tmf-api/intentManagement/v5';
const MESH_ROLES = [
  'slice-manager',
  'interpreter',
  'orchestrator',
  'infrastructure',
  'telemetry',
  'api',
];

/**
 * What TMF921 v5 requires of each resource, as read from its schemas: every resource is
 * Extensible (`@type`); Intent_FVO requires `name` and `expression`, which an Intent then
 * carries; a JsonLdExpression requires `expressionValue`; an Entity is Addressable (`id`,
 * `href`); an event carries its payload in `event` (TMF630: with `eventId`, `eventTime`,
 * `eventType`); a Hub registration has `id` and `callback`; an Error has `code` and `reason`.
 */
const SPEC_REQUIRED = {
  Intent: ['@type', 'id', 'href', 'name', 'expression'],
  JsonLdExpression: ['@type', 'expressionValue'],
  IntentReport: ['@type', 'id', 'href'],
  Event: ['@type', 'eventId', 'eventTime', 'eventType', 'event'],
  Hub: ['id', 'callback'],
  Error: ['@type', 'code', 'reason'],
} as const;

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
const validators = Object.fromEntries(
  Object.entries(apiSchemas.COMPONENTS).map(([name, schema]) => [name, ajv.compile(schema)]),
);

/** Checks `value` against the api's schema `name` and the fields the spec requires. */
function expectValid(
  name: keyof typeof apiSchemas.COMPONENTS,
  value: unknown,
  required: readonly string[],
): void {
  const validate = validators[name]!;
  const ok = validate(value);
  expect(validate.errors ?? [], `${name}: ${JSON.stringify(value)}`).toEqual([]);
  expect(ok).toBe(true);
  for (const field of required) expect(value, `${name} needs ${field}`).toHaveProperty([field]);
}

function expectIntent(value: unknown): void {
  expectValid('Intent', value, SPEC_REQUIRED.Intent);
  const expression = (value as { expression: unknown }).expression;
  expectValid('JsonLdExpression', expression, SPEC_REQUIRED.JsonLdExpression);
}

function expectError(value: unknown, status: number): void {
  expectValid('Error', value, SPEC_REQUIRED.Error);
  expect((value as { status: string }).status).toBe(String(status));
}

interface Received {
  readonly eventType: string;
  readonly body: Record<string, unknown>;
}

/** A local HTTP listener for hub callbacks. */
async function startListener(): Promise<{ url: string; events: Received[]; server: Server }> {
  const events: Received[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      events.push({ eventType: String(body.eventType), body });
      response.writeHead(201).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/listener`, events, server };
}

const nats = useSecuredNatsServer({ tenants: ['default', 'acme'] });
const chroma = useChromaServer();

let workDir: string;
let config: SliceMeshConfig;
let shutdown: ShutdownRunner;
let handles: AgentHandle[] = [];
let apiUrl: string;
let token: string;
let operator: Bus;
let listener: Awaited<ReturnType<typeof startListener>>;
const failures: string[] = [];
const logger = createLogger({ level: 'warn', fields: { test: 'api' } });

async function launch(only: string[]): Promise<AgentHandle[]> {
  const started = await launchRoles({
    config,
    registry: roles,
    roles: only,
    process: {
      logger,
      signal: shutdown.signal,
      onShutdown: shutdown.add,
      shutdown: (reason) => failures.push(reason),
    },
  });
  const api = started.find((h) => h.role === 'api') as ApiAgent | undefined;
  if (api?.http) apiUrl = api.http.url;
  return started;
}

function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

async function intentNow(id: string): Promise<Record<string, unknown>> {
  const response = await call('GET', `${BASE}/intent/${id}`);
  expect(response.status).toBe(200);
  return json(response);
}

async function untilStatus(id: string, status: string): Promise<Record<string, unknown>> {
  return waitFor(
    async () => {
      const intent = await intentNow(id);
      return intent.lifecycleStatus === status ? intent : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200, what: `intent ${id} ${status}` },
  );
}

const intentBody = (extra: Record<string, unknown> = {}) => ({
  '@type': 'Intent',
  name: 'robot cell',
  description: 'wireless control of robotic arms on a factory floor',
  expression: {
    '@type': 'JsonLdExpression',
    expressionValue: {
      '@context': { icm: 'http://tio.models.tmforum.org/tio/v3.6.0/IntentCommonModel/' },
    },
  },
  ...extra,
});

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'slicemesh-api-'));
  config = loadConfig({
    NATS_URL: nats.url,
    SLICEMESH_NATS_CREDENTIALS_DIR: nats.credentialsDir,
    SLICEMESH_NAMESPACE: nats.namespace,
    SLICEMESH_TENANTS: 'default,acme',
    CHROMA_URL: chroma.url,
    SLICEMESH_DATA_DIR: PROJECT_DATA_DIR,
    SLICEMESH_TRACE_DIR: join(workDir, 'traces'),
    SLICEMESH_AUDIT_DIR: join(workDir, 'audit'),
    SLICEMESH_MODEL_DIR: join(workDir, 'models'),
    SLICEMESH_ORCHESTRATOR_METHOD: 'first-fit',
    SLICEMESH_PROMETHEUS_PORT: '-1',
    SLICEMESH_HTTP_PORT: '0',
    SLICEMESH_KPI_INTERVAL_MS: '250',
    SLICEMESH_LOG_LEVEL: 'warn',
  });
  shutdown = createShutdownRunner({ logger, graceMs: 5_000 });
  handles = await launch(MESH_ROLES);
  token = readFileSync(join(nats.credentialsDir, 'api.token'), 'utf8').trim();
  operator = await nats.connectAs(OPERATOR_IDENTITY);
  listener = await startListener();
}, 180_000);

afterAll(async () => {
  await shutdown?.run();
  await new Promise((resolve) => listener?.server.close(resolve));
  rmSync(workDir, { recursive: true, force: true });
}, 60_000);

describe('the api role (TMF921 Intent Management v5)', () => {
  let hubId: string;
  let robotId: string;
  let targetsId: string;

  it('serves its OpenAPI document without a token and refuses everything else without one', async () => {
    const doc = await fetch(`${apiUrl}/openapi.json`);
    expect(doc.status).toBe(200);
    const openapi = await json<{ openapi: string; components: { schemas: object } }>(doc);
    expect(openapi.openapi).toMatch(/^3\./);
    expect(openapi.components.schemas).toEqual(JSON.parse(JSON.stringify(apiSchemas.COMPONENTS)));

    const none = await fetch(`${apiUrl}${BASE}/intent`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expectError(await none.json(), 401);
    const wrong = await call('GET', `${BASE}/intent`, undefined, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expectError(await wrong.json(), 401);
    // The query parameter (for a browser's event stream) works as the header does.
    const byQuery = await fetch(
      `${apiUrl}${BASE}/intent?access_token=${encodeURIComponent(token)}`,
    );
    expect(byQuery.status).toBe(200);
  });

  it('registers a hub listener', async () => {
    const response = await call('POST', `${BASE}/hub`, { callback: listener.url });
    expect(response.status).toBe(201);
    const hub = await json<{ id: string; callback: string }>(response);
    expectValid('Hub', hub, SPEC_REQUIRED.Hub);
    expect(hub.callback).toBe(listener.url);
    hubId = hub.id;
  });

  it('turns a POSTed intent into a slice for its tenant that reaches active', async () => {
    const response = await call(
      'POST',
      `${BASE}/intent`,
      intentBody({
        relatedParty: [
          {
            '@type': 'RelatedPartyRefOrPartyRoleRef',
            role: 'tenant',
            partyOrPartyRole: { '@type': 'PartyRef', id: 'acme' },
          },
        ],
      }),
    );
    expect(response.status).toBe(201);
    const created = await json(response);
    expectIntent(created);
    expect(created.lifecycleStatus).toBe('acknowledged');
    expect(response.headers.get('location')).toBe(created.href);
    robotId = String(created.id);

    const active = await untilStatus(robotId, 'active');
    expectIntent(active);
    expect(active.name).toBe('robot cell');
    expect(active.relatedParty).toEqual([
      expect.objectContaining({
        role: 'tenant',
        partyOrPartyRole: expect.objectContaining({ id: 'acme' }),
      }),
    ]);
    const slice = await operator.request(ENDPOINTS.sliceGet, {
      type: 'slice.get.request.v1',
      sliceId: robotId,
    });
    expect(slice.slice.tenant).toBe('acme');
    // The slice's trace (started by the api's write) is on the intent, for Jaeger.
    expect(slice.slice.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(active.characteristic).toEqual(
      expect.arrayContaining([
        { '@type': 'StringCharacteristic', name: 'traceId', value: slice.slice.traceId },
        { '@type': 'StringCharacteristic', name: 'sliceState', value: 'active' },
      ]),
    );
    expect(slice.slice.text).toBe('wireless control of robotic arms on a factory floor');
    expect(slice.slice.sla).toBeUndefined();
  });

  it('sends explicit targets as SLA classes instead of interpreting them', async () => {
    const response = await call('POST', `${BASE}/intent`, {
      '@type': 'Intent',
      name: 'telemetry-feed',
      expression: {
        '@type': 'JsonLdExpression',
        expressionValue: {
          intentExpectations: [
            {
              expectationTargets: [
                {
                  targetName: 'latency',
                  targetCondition: 'IS_LESS_THAN',
                  targetValueRange: 120,
                  targetUnit: 'ms',
                },
                {
                  targetName: 'cost',
                  targetCondition: 'IS_EQUAL_TO_OR_LESS_THAN',
                  targetValueRange: 40,
                },
                {
                  targetName: 'availability',
                  targetCondition: 'IS_EQUAL_TO_OR_GREATER_THAN',
                  targetValueRange: 99.9,
                },
              ],
            },
          ],
        },
      },
    });
    expect(response.status).toBe(201);
    const created = await json(response);
    expectIntent(created);
    targetsId = String(created.id);
    await untilStatus(targetsId, 'active');
    const slice = await operator.request(ENDPOINTS.sliceGet, {
      type: 'slice.get.request.v1',
      sliceId: targetsId,
    });
    expect(slice.slice.sla).toEqual({ latency: 'medium', cost: 'general', reliability: 'medium' });
    expect(slice.slice.tenant).toBe('default');
    expect(slice.slice.text).toBe('telemetry-feed');
  });

  it('lists with attribute filters, fields, offset and limit', async () => {
    const all = await call('GET', `${BASE}/intent?lifecycleStatus=active`);
    expect(all.status).toBe(200);
    const intents = await json<Record<string, unknown>[]>(all);
    for (const intent of intents) expectIntent(intent);
    expect(intents.map((i) => i.id)).toEqual(expect.arrayContaining([robotId, targetsId]));
    expect(all.headers.get('x-total-count')).toBe(String(intents.length));
    expect(all.headers.get('x-result-count')).toBe(String(intents.length));

    const named = await json<Record<string, unknown>[]>(
      await call('GET', `${BASE}/intent?name=robot%20cell&fields=name,lifecycleStatus`),
    );
    expect(named).toEqual([
      {
        '@type': 'Intent',
        id: robotId,
        href: `${BASE}/intent/${robotId}`,
        name: 'robot cell',
        lifecycleStatus: 'active',
      },
    ]);

    const page = await call('GET', `${BASE}/intent?lifecycleStatus=active&offset=1&limit=1`);
    expect(await json<unknown[]>(page)).toHaveLength(1);
    expect(page.headers.get('x-total-count')).toBe(String(intents.length));
    expect(page.headers.get('x-result-count')).toBe('1');
    // A page with more after it: the walk stopped there, so no total (it would read every slice).
    const first = await call('GET', `${BASE}/intent?lifecycleStatus=active&offset=0&limit=1`);
    expect(await json<unknown[]>(first)).toHaveLength(1);
    expect(first.headers.get('x-total-count')).toBeNull();
    expect(first.headers.get('x-result-count')).toBe('1');
    expect(
      await json<unknown[]>(await call('GET', `${BASE}/intent?lifecycleStatus=failed,rejected`)),
    ).toEqual([]);
  });

  it('reports the observed QoE against the SLA', async () => {
    const response = await call('GET', `${BASE}/intent/${robotId}/intentReport`);
    expect(response.status).toBe(200);
    const reports = await json<Record<string, unknown>[]>(response);
    expect(reports.length).toBeGreaterThanOrEqual(1);
    for (const report of reports) expectValid('IntentReport', report, SPEC_REQUIRED.IntentReport);
    const last = reports.at(-1)!;
    const value = (last.expression as { expressionValue: Record<string, unknown> }).expressionValue;
    expect(['compliant', 'degraded', 'notMet']).toContain(value.compliance);
    expect(value.sliceState).toBe('active');
    expect(value.observed).toEqual(
      expect.objectContaining({ latencyMs: expect.any(Number), cost: expect.any(Number) }),
    );
    expect(value.limits).toEqual(expect.objectContaining({ latencyMs: expect.any(Number) }));

    const one = await call('GET', `${BASE}/intent/${robotId}/intentReport/${String(last.id)}`);
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual(last);
    const unknown = await call('GET', `${BASE}/intent/${robotId}/intentReport/nope`);
    expect(unknown.status).toBe(404);
    expectError(await unknown.json(), 404);
  });

  it('changes the slice on PATCH and terminates it on DELETE', async () => {
    const patched = await call(
      'PATCH',
      `${BASE}/intent/${robotId}`,
      { name: 'robot cell 2', description: 'remote surgery with haptic feedback' },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(patched.status).toBe(200);
    const body = await json(patched);
    expectIntent(body);
    expect(body.name).toBe('robot cell 2');
    await waitFor(
      async () => {
        const intent = await intentNow(robotId);
        return intent.description === 'remote surgery with haptic feedback' &&
          intent.lifecycleStatus === 'active'
          ? intent
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'the change applied' },
    );

    const deleted = await call('DELETE', `${BASE}/intent/${robotId}`);
    expect(deleted.status).toBe(204);
    const terminated = await untilStatus(robotId, 'terminated');
    expectIntent(terminated);
    // Deleting a terminated intent changes nothing; changing it is refused.
    expect((await call('DELETE', `${BASE}/intent/${robotId}`)).status).toBe(204);
    const late = await call('PATCH', `${BASE}/intent/${robotId}`, { description: 'again' });
    expect(late.status).toBe(409);
    expectError(await late.json(), 409);
  });

  it('calls the hub listener back: create, status changes, report create', async () => {
    const of = (type: string, id: string) =>
      listener.events.filter((e) => {
        const payload = e.body.event as Record<string, { id?: string; intent?: { id?: string } }>;
        return (
          e.eventType === type && (payload.intent?.id ?? payload.intentReport?.intent?.id) === id
        );
      });
    await waitFor(() => of('IntentStatusChangeEvent', robotId).length >= 3, {
      timeoutMs: 30_000,
      what: 'status change events',
    });
    await waitFor(() => of('IntentReportCreateEvent', robotId).length >= 1, {
      timeoutMs: 30_000,
      what: 'report create events',
    });
    expect(of('IntentCreateEvent', robotId)).toHaveLength(1);
    const statuses = of('IntentStatusChangeEvent', robotId).map(
      (e) => (e.body.event as { intent: { lifecycleStatus: string } }).intent.lifecycleStatus,
    );
    expect(statuses).toEqual(expect.arrayContaining(['inProgress', 'active', 'terminated']));
    for (const e of listener.events) {
      expectValid(e.eventType as 'IntentCreateEvent', e.body, SPEC_REQUIRED.Event);
      const payload = e.body.event as { intent?: unknown; intentReport?: unknown };
      if (payload.intent) expectIntent(payload.intent);
      else expectValid('IntentReport', payload.intentReport, SPEC_REQUIRED.IntentReport);
    }
  });

  it('answers malformed, unknown, oversized and not understood requests with TMF errors', async () => {
    const badJson = await call('POST', `${BASE}/intent`, '{"@type": "Intent", name');
    expect(badJson.status).toBe(400);
    expectError(await badJson.json(), 400);
    const noName = await call('POST', `${BASE}/intent`, { ...intentBody(), name: undefined });
    expect(noName.status).toBe(400);
    expectError(await noName.json(), 400);
    const wrongType = await call('POST', `${BASE}/intent`, intentBody({ '@type': 'Order' }));
    expect(wrongType.status).toBe(400);
    const numberName = await call('POST', `${BASE}/intent`, intentBody({ name: 7 }));
    expect(numberName.status).toBe(400);

    const unknown = await call('GET', `${BASE}/intent/intent-unknown-1`);
    expect(unknown.status).toBe(404);
    expectError(await unknown.json(), 404);
    expect((await call('DELETE', `${BASE}/intent/intent-unknown-1`)).status).toBe(404);
    expect((await call('PATCH', `${BASE}/intent/intent-unknown-1`, { name: 'x' })).status).toBe(
      404,
    );
    expect((await call('DELETE', `${BASE}/hub/hub-unknown`)).status).toBe(404);

    const huge = await call('POST', `${BASE}/intent`, intentBody({ context: 'x'.repeat(70_000) }));
    expect(huge.status).toBe(413);
    expectError(await huge.json(), 413);

    const before = (await json<unknown[]>(await call('GET', `${BASE}/intent`))).length;
    const vague = await call('POST', `${BASE}/intent`, intentBody({ description: undefined }));
    expect(vague.status).toBe(422);
    expectError(await vague.json(), 422);
    const impossible = await call('POST', `${BASE}/intent`, {
      ...intentBody(),
      expression: {
        '@type': 'JsonLdExpression',
        expressionValue: {
          expectationTargets: [
            { targetName: 'latency', targetCondition: 'IS_LESS_THAN', targetValueRange: 5 },
          ],
        },
      },
    });
    expect(impossible.status).toBe(422);
    expect((await json(impossible)).message).toMatch(/cannot be met/);
    const stranger = await call(
      'POST',
      `${BASE}/intent`,
      intentBody({ relatedParty: [{ role: 'tenant', partyOrPartyRole: { id: 'globex' } }] }),
    );
    expect(stranger.status).toBe(422);
    // Nothing refused was recorded.
    expect((await json<unknown[]>(await call('GET', `${BASE}/intent`))).length).toBe(before);
  });

  it('keeps hub registrations across an api restart', async () => {
    const api = handles.find((h) => h.role === 'api')!;
    await api.stop();
    handles = [...handles.filter((h) => h !== api), ...(await launch(['api']))];
    const seen = listener.events.length;
    const response = await call('POST', `${BASE}/intent`, intentBody({ name: 'after restart' }));
    expect(response.status).toBe(201);
    const id = String((await json(response)).id);
    await waitFor(
      () =>
        listener.events
          .slice(seen)
          .some(
            (e) =>
              e.eventType === 'IntentCreateEvent' &&
              (e.body.event as { intent: { id: string } }).intent.id === id,
          ),
      { timeoutMs: 30_000, what: 'the create event after the restart' },
    );
    expect((await call('DELETE', `${BASE}/hub/${hubId}`)).status).toBe(204);
    expect((await call('DELETE', `${BASE}/hub/${hubId}`)).status).toBe(404);
  });

  it('answers 503 while NATS is down and has accepted nothing once it is back', async () => {
    const listed = async () =>
      (await json<{ name: string }[]>(await call('GET', `${BASE}/intent`))).map((i) => i.name);
    const before = await listed();
    await nats.stop();
    try {
      const down = await call('POST', `${BASE}/intent`, intentBody({ name: 'while down' }));
      expect(down.status).toBe(503);
      expectError(await down.json(), 503);
      expect((await call('GET', `${BASE}/intent/${targetsId}`)).status).toBe(503);
    } finally {
      await nats.start();
    }
    const after = await waitFor(
      async () => {
        const response = await call('GET', `${BASE}/intent`);
        return response.status === 200
          ? ((await response.json()) as { name: string }[])
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'the api answering again' },
    );
    expect(after.map((i) => i.name).sort()).toEqual([...before].sort());
    expect(after.map((i) => i.name)).not.toContain('while down');
    const again = await call('POST', `${BASE}/intent`, intentBody({ name: 'back again' }));
    expect(again.status).toBe(201);
    expect(failures).toEqual([]);
  });
});
