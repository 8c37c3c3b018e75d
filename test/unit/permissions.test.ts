/**
 * The permission table and what it generates: every identity's allow lists,
 * derived from the subject builders and the endpoint descriptors, and the
 * nats-server configuration and seed files made from them.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ENDPOINTS,
  INTAKE,
  OPERATOR_IDENTITY,
  ROLES,
  ROLE_GRANTS,
  clientIdentity,
  createSubjects,
  inboxIdentity,
  meshIdentities,
  parseIdentity,
  permissionsOf,
  requesterTenant,
  servedBy,
  streamAccess,
  type EndpointKey,
} from '../../shared/contracts/index.js';
import {
  ensureCredentials,
  prepareSecurity,
  renderServerConfig,
} from '../../shared/runtime/security/index.js';

const TENANTS = ['default', 'acme'];
const s = createSubjects('plant');
const table = new Map(meshIdentities(TENANTS).map((id) => [id, permissionsOf(id, s, TENANTS)]));
const of = (identity: string) => table.get(identity)!;
const endpointSubject = (key: EndpointKey) => ENDPOINTS[key].subject(s);
const isJetStream = (subject: string) => subject.startsWith('$JS.') || subject.startsWith('$KV.');

const dir = mkdtempSync(join(tmpdir(), 'slicemesh-permissions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the permission table', () => {
  it('has one identity per role, one client per tenant and the operator', () => {
    expect(meshIdentities(TENANTS)).toEqual([
      ...ROLES,
      'client-default',
      'client-acme',
      'operator',
    ]);
    expect(parseIdentity('client-acme')).toEqual({ kind: 'client', tenant: 'acme' });
    expect(parseIdentity('interpreter')).toEqual({ kind: 'role', role: 'interpreter' });
    expect(parseIdentity('nobody')).toBeUndefined();
    expect(() => permissionsOf('nobody', s, TENANTS)).toThrow(/unknown identity/);
  });

  it('lets exactly the serving role subscribe to an endpoint, and answer through allow-responses', () => {
    for (const key of Object.keys(ENDPOINTS) as EndpointKey[]) {
      const subscribers = [...table.entries()]
        .filter(([id, p]) => id !== OPERATOR_IDENTITY && p.subscribe.includes(endpointSubject(key)))
        .map(([id]) => id);
      expect(subscribers, key).toEqual([ENDPOINTS[key].role]);
    }
    for (const role of ROLES) expect(of(role).allowResponses).toBe(servedBy(role).length > 0);
    expect(of(clientIdentity('acme')).allowResponses).toBe(false);
  });

  it('lets a role publish on an endpoint only if its row says it calls it', () => {
    for (const role of ROLES) {
      for (const key of Object.keys(ENDPOINTS) as EndpointKey[]) {
        expect(of(role).publish.includes(endpointSubject(key)), `${role} ${key}`).toBe(
          ROLE_GRANTS[role].calls.includes(key),
        );
      }
    }
    // The examples of the brief: the interpreter may not release, the CLI may not either.
    expect(of('interpreter').publish).not.toContain(s.infraRelease());
    expect(of(clientIdentity('default')).publish).not.toContain(s.infraRelease());
    expect(of('slice-manager').publish).toContain(s.infraRelease());
  });

  it('puts the namespace in every subject, and another namespace shares none of them', () => {
    const other = createSubjects('other');
    for (const [identity, p] of table) {
      if (identity === OPERATOR_IDENTITY) continue;
      const elsewhere = permissionsOf(identity, other, TENANTS);
      for (const subject of [...p.publish, ...p.subscribe]) {
        // The one account-wide subject: JetStream's account info (read-only), which the clients ask first.
        if (subject === '$JS.API.INFO') continue;
        if (isJetStream(subject)) expect(subject).toMatch(/PLANT_/);
        else if (subject.startsWith('_INBOX.'))
          expect(subject.startsWith('_INBOX.plant.')).toBe(true);
        else expect(subject.startsWith('plant.'), `${identity}: ${subject}`).toBe(true);
        expect([...elsewhere.publish, ...elsewhere.subscribe]).not.toContain(subject);
      }
    }
  });

  it('gives every identity its own inbox and no one else’s to read', () => {
    for (const [identity, p] of table) {
      if (identity === OPERATOR_IDENTITY) continue;
      const inboxes = p.subscribe.filter((subject) => subject.startsWith('_INBOX.'));
      expect(inboxes, identity).toEqual([`${s.inboxPrefix(identity)}.>`]);
    }
    // Only the intake's consumer may write into requesters' inboxes (to say why it refused).
    for (const [identity, p] of table) {
      const writes = p.publish.filter((subject) => subject.startsWith('_INBOX.'));
      if (identity === 'slice-manager') {
        expect(writes).toEqual([
          `${s.inboxPrefix('client-default')}.>`,
          `${s.inboxPrefix('client-acme')}.>`,
          `${s.inboxPrefix('operator')}.>`,
        ]);
      } else expect(writes, identity).toEqual([]);
    }
  });

  it("lets a tenant's client submit on its own tenant's intake subjects and read slices, nothing more", () => {
    const acme = of(clientIdentity('acme'));
    expect(acme.publish).toEqual([
      'plant.slice.intake.*.request.acme.*',
      'plant.slice.intake.*.change.acme.*',
      'plant.slice.intake.*.terminate.acme.*',
      s.sliceGet(),
      s.sliceList(),
    ]);
    // Its own slices' events only (another tenant's are under another token).
    expect(acme.subscribe).toEqual([
      'plant.slice.event.acme.*',
      `${s.inboxPrefix('client-acme')}.>`,
    ]);
    expect(of(clientIdentity('default')).publish).not.toContain(
      'plant.slice.intake.*.terminate.acme.*',
    );
    // No role sends requests, changes or terminations: only requesters do.
    for (const role of ROLES)
      expect(
        of(role).publish.some((subject) => /intake\.(request|change|terminate)/.test(subject)),
      ).toBe(false);
    expect(of('telemetry').publish).toContain(s.slaViolationsAll());
  });

  it('gives each role the JetStream API of its own streams, consumers and buckets only', () => {
    expect(of('interpreter').publish.some(isJetStream)).toBe(false);
    expect(of('slice-manager').publish).toContain(`$JS.API.STREAM.UPDATE.${s.intakeStream}`);
    expect(of('slice-manager').publish).toContain(`$KV.${s.snapshotBucket}.>`);
    expect(of('infrastructure').publish).toContain(`$KV.${s.infraStateBucket}.>`);
    expect(of('infrastructure').publish).not.toContain(`$KV.${s.snapshotBucket}.>`);
    // A consumer of a stream may create it when missing, never change it.
    expect(of('audit-log').publish).toContain(`$JS.API.STREAM.CREATE.${s.eventStream}`);
    expect(of('audit-log').publish).not.toContain(`$JS.API.STREAM.UPDATE.${s.eventStream}`);
    expect(of('audit-log').publish).toContain(
      `$JS.API.CONSUMER.MSG.NEXT.${s.eventStream}.audit-log`,
    );
    expect(of('audit-log').publish).not.toContain(
      `$JS.API.CONSUMER.MSG.NEXT.${s.eventStream}.telemetry`,
    );
    expect(streamAccess('slice-manager', 'intake')).toBe('manage');
    expect(streamAccess('telemetry', 'intake')).toBe('create');
    expect(streamAccess('interpreter', 'events')).toBe('none');
    expect(streamAccess(clientIdentity('acme'), 'intake')).toBe('none');
    expect(streamAccess(undefined, 'events')).toBe('manage');
  });

  it('lets the operator do everything', () => {
    expect(of(OPERATOR_IDENTITY)).toEqual({
      publish: ['>'],
      subscribe: ['>'],
      allowResponses: true,
    });
  });

  it('keeps every intake channel inside the intake stream', () => {
    for (const channel of Object.values(INTAKE))
      expect(channel.pattern(s, 'acme').startsWith('plant.slice.intake.')).toBe(true);
  });
});

describe('credentials and the server configuration', () => {
  it('writes one 0600 seed per identity, keeps them on a rerun and replaces them on rotate', () => {
    const creds = join(dir, 'creds');
    const first = ensureCredentials(creds, ['interpreter', 'operator']);
    expect(first.created).toEqual(['interpreter', 'operator']);
    expect(statSync(creds).mode & 0o777).toBe(0o700);
    for (const c of first.credentials) {
      expect(statSync(c.seedFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(c.seedFile, 'utf8')).toMatch(/^SU[A-Z2-7]{56}\n$/);
      expect(c.publicKey).toMatch(/^U[A-Z2-7]{55}$/);
    }
    const again = ensureCredentials(creds, ['interpreter', 'operator', 'client-acme']);
    expect(again.created).toEqual(['client-acme']);
    expect(again.credentials.slice(0, 2).map((c) => c.publicKey)).toEqual(
      first.credentials.map((c) => c.publicKey),
    );
    const rotated = ensureCredentials(creds, ['interpreter'], { rotate: true });
    expect(rotated.credentials[0]!.publicKey).not.toBe(first.credentials[0]!.publicKey);
  });

  it('configures one nkey user per identity with its permissions, no seed, TLS when given', () => {
    const prepared = prepareSecurity(join(dir, 'mesh'), { namespace: 'plant', tenants: TENANTS });
    const text = readFileSync(prepared.configFile, 'utf8');
    expect(statSync(prepared.configFile).mode & 0o777).toBe(0o600);
    for (const { identity, publicKey, seedFile } of prepared.credentials) {
      expect(text).toContain(`# ${identity}`);
      expect(text).toContain(`"nkey": "${publicKey}"`);
      expect(text).not.toContain(readFileSync(seedFile, 'utf8').trim());
    }
    expect(text.match(/"allow_responses": true/g)).toHaveLength(
      ROLES.filter((role) => servedBy(role).length > 0).length + 1,
    );
    expect(text).not.toMatch(/^tls/m);
    const withTls = renderServerConfig(prepared.credentials, {
      namespace: 'plant',
      tenants: TENANTS,
      tls: {
        certFile: '/certs/server.pem',
        keyFile: '/certs/server-key.pem',
        caFile: '/certs/ca.pem',
      },
    });
    expect(withTls).toMatch(
      /tls \{\n {2}cert_file: "\/certs\/server.pem"\n {2}key_file: "\/certs\/server-key.pem"\n {2}ca_file: "\/certs\/ca.pem"\n {2}verify: true\n\}/,
    );
  });
});

describe('who a request is answered for', () => {
  it("reads the requester off its reply inbox: a tenant's client, or anyone else (all slices)", () => {
    expect(requesterTenant(s, '_INBOX.plant.client-acme.Xy12.3')).toBe('acme');
    expect(inboxIdentity(s, '_INBOX.plant.slice-manager.Xy12')).toBe('slice-manager');
    expect(requesterTenant(s, '_INBOX.plant.slice-manager.Xy12')).toBeUndefined();
    expect(requesterTenant(s, '_INBOX.plant.operator.Xy12')).toBeUndefined();
    // Another namespace's inbox, the default inbox prefix of an open server, no reply at all.
    expect(requesterTenant(s, '_INBOX.other.client-acme.Xy12')).toBeUndefined();
    expect(requesterTenant(s, '_INBOX.Xy12Ab')).toBeUndefined();
    expect(requesterTenant(s, undefined)).toBeUndefined();
  });
});
