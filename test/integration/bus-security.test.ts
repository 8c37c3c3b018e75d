/**
 * Identities on a real nats-server configured as `slicemesh up` configures
 * its embedded one: the server itself refuses anonymous and unknown clients,
 * every subject an identity's row in the permission table does not grant,
 * and a tenant's publish on another tenant's intake subjects; the
 * slice-manager refuses what a tenant sends, under its own tenant, about
 * another tenant's slice.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errors as natsErrors } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createSliceManagerAgent } from '../../agents/slice-manager/index.js';
import { connectBus, type Bus } from '../../shared/bus/index.js';
import {
  ENDPOINTS,
  ErrorReply,
  OPERATOR_IDENTITY,
  ROLES,
  ROLE_GRANTS,
  SliceChange,
  SliceEvent,
  SliceRequest,
  SliceTermination,
  clientIdentity,
  intakeSubject,
  isSliceMeshError,
  meshIdentities,
  parseIdentity,
  servedBy,
  type EndpointKey,
  type SliceRecord,
} from '../../shared/contracts/index.js';
import { newInstanceId } from '../../shared/runtime/agent.js';
import { systemClock } from '../../shared/runtime/clock.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import { ensureCredentials, seedFilePath } from '../../shared/runtime/security/index.js';
import { useSecuredNatsServer } from '../helpers/nats.js';
import { serveAgentDoubles, sliceRequest } from '../helpers/slice-doubles.js';
import { waitFor } from '../helpers/wait.js';

const TENANTS = ['default', 'acme', 'globex'];
const nats = useSecuredNatsServer({ tenants: TENANTS });
const scratch = mkdtempSync(join(tmpdir(), 'slicemesh-security-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the server to refuse');
}

/** Identities that may call `key`: its server's callers in the table, and tenants' clients for theirs. */
function mayCall(identity: string, key: EndpointKey): boolean {
  const parsed = parseIdentity(identity);
  if (parsed?.kind === 'operator') return true;
  if (parsed?.kind === 'client') return key === 'sliceGet' || key === 'sliceList';
  return parsed?.kind === 'role' && ROLE_GRANTS[parsed.role].calls.includes(key);
}

describe('identities on the bus', () => {
  it('refuses an anonymous connection and a seed the server does not know', async () => {
    const anonymous = await refusal(connect({ servers: nats.url, reconnect: false }));
    expect(anonymous).toBeInstanceOf(Error);
    expect(String(anonymous)).toMatch(/authorization/i);

    const viaBus = await refusal(
      connectBus({ url: nats.url, namespace: nats.namespace, name: 'x' }),
    );
    expect(isSliceMeshError(viaBus) && viaBus.code).toBe('forbidden');

    // A well-formed seed, just not one of the mesh's.
    const { credentials } = ensureCredentials(join(scratch, 'stray'), ['interpreter']);
    const stranger = await refusal(
      connectBus({
        url: nats.url,
        namespace: nats.namespace,
        name: 'stranger',
        identity: 'interpreter',
        seedFile: credentials[0]!.seedFile,
      }),
    );
    expect(isSliceMeshError(stranger) && stranger.code).toBe('forbidden');
  });

  it('keeps every seed in a file only its owner can read', () => {
    for (const identity of meshIdentities(TENANTS)) {
      expect(statSync(seedFilePath(nats.credentialsDir, identity)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(nats.configFile).mode & 0o777).toBe(0o600);
  });

  it('lets every identity call the endpoints its row grants, and refuses every other', async () => {
    const identities = meshIdentities(TENANTS);
    const buses = new Map<string, Bus>();
    for (const identity of identities) buses.set(identity, await nats.connectAs(identity));
    // Each endpoint is served by its role's identity (raw: the permissions are about subjects).
    for (const role of ROLES) {
      const nc = buses.get(role)!.connection;
      for (const key of servedBy(role)) {
        nc.subscribe(ENDPOINTS[key].subject(buses.get(role)!.subjects), {
          callback: (_error, m) => {
            m.respond(new TextEncoder().encode(`${role}:${key}`));
          },
        });
      }
      await nc.flush();
    }
    const outcomes: string[] = [];
    for (const identity of identities) {
      const bus = buses.get(identity)!;
      for (const key of Object.keys(ENDPOINTS) as EndpointKey[]) {
        const subject = ENDPOINTS[key].subject(bus.subjects);
        const allowed = mayCall(identity, key);
        try {
          const reply = await bus.connection.request(subject, undefined, { timeout: 2_000 });
          outcomes.push(`${identity} ${key} ${allowed ? 'ok' : 'ANSWERED'}`);
          expect(new TextDecoder().decode(reply.data)).toBe(`${ENDPOINTS[key].role}:${key}`);
        } catch (error) {
          const cause = error instanceof Error ? error.cause : undefined;
          const denied = cause instanceof natsErrors.PermissionViolationError;
          outcomes.push(
            `${identity} ${key} ${allowed ? `FAILED ${String(error)}` : denied ? 'denied' : `NOT DENIED ${String(error)}`}`,
          );
        }
      }
    }
    // The raw responders must not answer the later tests' requests.
    await Promise.all([...buses.values()].map((bus) => bus.drain()));
    const wrong = outcomes.filter((line) => !/ (ok|denied)$/.test(line));
    expect(wrong).toEqual([]);
    // The table is not empty either way.
    expect(outcomes.filter((line) => line.endsWith(' ok')).length).toBeGreaterThan(10);
    expect(outcomes.filter((line) => line.endsWith(' denied')).length).toBeGreaterThan(50);
  });

  it('refuses a role and a client a subject they do not own, as a forbidden error', async () => {
    const interpreter = await nats.connectAs('interpreter');
    const release = { type: 'infra.release.request.v1', sliceId: 's-1' } as const;
    for (const bus of [interpreter, await nats.connectAs(clientIdentity('acme'))]) {
      const error = await refusal(
        bus.request(ENDPOINTS.infraRelease, release, { timeoutMs: 2_000 }),
      );
      expect(isSliceMeshError(error) && error.code).toBe('forbidden');
      expect(isSliceMeshError(error) && error.retryable).toBe(false);
    }
  });

  it("keeps each identity out of subscriptions it does not own, other identities' inboxes included", async () => {
    const acme = await nats.connectAs(clientIdentity('acme'));
    const interpreter = await nats.connectAs('interpreter');
    const attempts = [
      { bus: acme, subject: acme.subjects.kpiAll() },
      { bus: acme, subject: `${acme.subjects.inboxPrefix(clientIdentity('globex'))}.>` },
      { bus: acme, subject: acme.subjects.intakeAll() },
      // Other tenants' slice events (and so all of them) are theirs.
      { bus: acme, subject: acme.subjects.tenantEvents('globex') },
      { bus: acme, subject: acme.subjects.sliceEventsAll() },
      { bus: interpreter, subject: interpreter.subjects.infraApply() },
      { bus: interpreter, subject: `${interpreter.subjects.inboxPrefix('slice-manager')}.>` },
    ];
    for (const { bus, subject } of attempts) {
      const failure = new Promise<unknown>((resolve) => {
        bus.connection.subscribe(subject, { callback: (error) => resolve(error) });
      });
      await bus.connection.flush();
      expect(await failure, subject).toBeInstanceOf(natsErrors.PermissionViolationError);
    }
    // Its own inbox, and what its row grants, it may read.
    const own = acme.connection.subscribe(`${acme.subjects.inboxPrefix(clientIdentity('acme'))}.>`);
    const events = acme.connection.subscribe(acme.subjects.tenantEvents('acme'));
    await acme.connection.flush();
    expect(own.isClosed() || events.isClosed()).toBe(false);
  });

  it("lets a tenant send only on its own tenant's intake subjects: the server refuses another's", async () => {
    const operator = await nats.connectAs(OPERATOR_IDENTITY);
    await operator.ensureStreams();
    const acme = await nats.connectAs(clientIdentity('acme'));
    const theirs = sliceRequest('g-0', { tenant: 'globex' });
    const stolen = await refusal(
      acme.jsPublish(intakeSubject(acme.subjects, theirs), SliceRequest, theirs, { msgId: 'x-1' }),
    );
    expect(isSliceMeshError(stolen) && stolen.code).toBe('forbidden');
    const termination: SliceTermination = {
      type: 'slice.terminate.v2',
      sliceId: 'g-0',
      tenant: 'globex',
      submittedAt: 1,
    };
    const terminated = await refusal(
      acme.jsPublish(intakeSubject(acme.subjects, termination), SliceTermination, termination, {
        msgId: 'x-2',
      }),
    );
    expect(isSliceMeshError(terminated) && terminated.code).toBe('forbidden');
    const change: SliceChange = {
      type: 'slice.change.v2',
      sliceId: 'g-0',
      tenant: 'globex',
      changeId: 'c-1',
      text: 'now for video inspection',
      submittedAt: 1,
    };
    const changed = await refusal(
      acme.jsPublish(intakeSubject(acme.subjects, change), SliceChange, change, { msgId: 'x-4' }),
    );
    expect(isSliceMeshError(changed) && changed.code).toBe('forbidden');
    // Its own it may send (and JetStream stores it).
    const own = sliceRequest('a-0', { tenant: 'acme' });
    const ack = await acme.jsPublish(intakeSubject(acme.subjects, own), SliceRequest, own, {
      msgId: 'x-3',
    });
    expect(ack.stream).toBe(acme.subjects.intakeStream);
  });

  it("has the slice-manager record a slice's tenant and refuse another tenant's termination of it", async () => {
    const operator = await nats.connectAs(OPERATOR_IDENTITY);
    const doubles = serveAgentDoubles(operator);
    const managerBus = await nats.connectAs('slice-manager');
    const manager = createSliceManagerAgent({
      role: 'slice-manager',
      instanceId: newInstanceId('slice-manager'),
      bus: managerBus,
      tracer: managerBus.tracer,
      clock: systemClock,
      logger: silentLogger,
      seed: 1,
      config: loadConfig({}),
    });
    await manager.start();
    try {
      const globex = await nats.connectAs(clientIdentity('globex'));
      const acme = await nats.connectAs(clientIdentity('acme'));
      const seen: SliceEvent[] = [];
      globex.subscribe(
        globex.subjects.tenantEvents('globex'),
        SliceEvent,
        (e) => void seen.push(e),
      );
      await globex.flush();
      const stateOf = (id: string) => seen.filter((e) => e.sliceId === id).at(-1)?.to;

      const request = sliceRequest('g-1', { tenant: 'globex' });
      await globex.jsPublish(intakeSubject(globex.subjects, request), SliceRequest, request, {
        msgId: 'g-1',
      });
      await waitFor(() => stateOf('g-1') === 'active', { what: 'g-1 active' });

      // acme names globex's slice on acme's own subject: the server lets it through, the
      // slice-manager refuses it and says why, on acme's inbox.
      const inbox = acme.inbox();
      const refused = new Promise<ErrorReply>((resolve) => {
        acme.subscribe(inbox, ErrorReply, (reply) => resolve(reply));
      });
      await acme.flush();
      const foreign: SliceTermination = {
        type: 'slice.terminate.v2',
        sliceId: 'g-1',
        tenant: 'acme',
        submittedAt: 2,
      };
      await acme.jsPublish(intakeSubject(acme.subjects, foreign), SliceTermination, foreign, {
        msgId: 'acme-terminates-g-1',
        replyTo: inbox,
      });
      expect(await refused).toMatchObject({ code: 'forbidden', retryable: false });
      expect(manager.counters().foreignTenant).toBe(1);

      const record = await globex.request(
        ENDPOINTS.sliceGet,
        { type: 'slice.get.request.v1', sliceId: 'g-1' },
        { timeoutMs: 5_000 },
      );
      expect(record.slice).toMatchObject<Partial<SliceRecord>>({
        state: 'active',
        tenant: 'globex',
      });
      // acme does not get to read it either: to acme it does not exist.
      const hidden = await refusal(
        acme.request(
          ENDPOINTS.sliceGet,
          { type: 'slice.get.request.v1', sliceId: 'g-1' },
          { timeoutMs: 5_000 },
        ),
      );
      expect(isSliceMeshError(hidden) && hidden.code).toBe('unknown-slice');
      const list = (bus: Bus) =>
        bus
          .request(ENDPOINTS.sliceList, { type: 'slice.list.request.v2' }, { timeoutMs: 5_000 })
          .then((reply) => reply.slices.map((slice) => slice.sliceId));
      expect(await list(acme)).not.toContain('g-1');
      expect(await list(globex)).toEqual(['g-1']);
      expect(await list(operator)).toContain('g-1');

      // Its owner may.
      const own: SliceTermination = { ...foreign, tenant: 'globex' };
      await globex.jsPublish(intakeSubject(globex.subjects, own), SliceTermination, own, {
        msgId: 'globex-terminates-g-1',
      });
      await waitFor(() => stateOf('g-1') === 'released', { what: 'g-1 released' });
    } finally {
      await manager.stop();
      await doubles.stop();
    }
  });
});
