/**
 * TLS on loopback with certificates made here (openssl): a CA, a server
 * certificate for 127.0.0.1 and a client certificate it signed. A client that
 * trusts the CA (SLICEMESH_NATS_TLS_CA) connects with its nkey; one that does
 * not is refused; a server that verifies clients (mutual TLS) refuses a
 * client without a certificate and accepts one with SLICEMESH_NATS_TLS_CERT
 * and _KEY.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OPERATOR_IDENTITY,
  clientIdentity,
  isSliceMeshError,
} from '../../shared/contracts/index.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { busIdentity } from '../../shared/runtime/security/index.js';
import { startSecuredTestNats, type SecuredTestNats } from '../helpers/nats.js';

const dir = mkdtempSync(join(tmpdir(), 'slicemesh-tls-'));
const file = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });

/** A CA, and a server (127.0.0.1) and a client certificate signed by it. */
function makeCertificates(): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-keyout',
    file('ca-key.pem'),
    '-out',
    file('ca.pem'),
    '-subj',
    '/CN=SliceMesh test CA',
  );
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  writeFileSync(file('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, subject] of [
    ['server', '/CN=127.0.0.1'],
    ['client', '/CN=slicemesh-client'],
  ] as const) {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      file(`${name}-key.pem`),
      '-out',
      file(`${name}.csr`),
      '-subj',
      subject,
    );
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca-key.pem'),
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      file(`${name}.pem`),
      '-extfile',
      file(`${name}.ext`),
    );
  }
}

let tls: SecuredTestNats;
let mutual: SecuredTestNats;

beforeAll(async () => {
  makeCertificates();
  const server = { certFile: file('server.pem'), keyFile: file('server-key.pem') };
  [tls, mutual] = await Promise.all([
    startSecuredTestNats({ tls: server }),
    startSecuredTestNats({ tls: { ...server, caFile: file('ca.pem') } }),
  ]);
});

afterAll(async () => {
  await Promise.allSettled([tls.dispose(), mutual.dispose()]);
  rmSync(dir, { recursive: true, force: true });
});

/** The identity options a process gets from its environment (what `slicemesh agent` does). */
function fromEnv(env: Record<string, string>, nats: SecuredTestNats, identity: string) {
  return busIdentity(
    loadConfig({ NATS_URL: nats.url, SLICEMESH_NATS_CREDENTIALS_DIR: nats.credentialsDir, ...env }),
    identity,
  );
}

describe('TLS to the bus', () => {
  it('connects a client that trusts the CA, over TLS, and refuses one that does not', async () => {
    const bus = await tls.connectAs(OPERATOR_IDENTITY, {
      ...fromEnv({ SLICEMESH_NATS_TLS_CA: file('ca.pem') }, tls, OPERATOR_IDENTITY),
    });
    await bus.ensureStreams();
    expect(bus.connection.info?.tls_required).toBe(true);

    const untrusted = await tls.connectAs(OPERATOR_IDENTITY, { connectTimeoutMs: 3_000 }).then(
      () => 'connected',
      (error: unknown) => error,
    );
    expect(isSliceMeshError(untrusted)).toBe(true);
    expect(String((untrusted as Error).message)).toMatch(/certificate/i);
  });

  it('with mutual TLS, refuses a client without a certificate and accepts one signed by the CA', async () => {
    const identity = clientIdentity('default');
    const ca = { SLICEMESH_NATS_TLS_CA: file('ca.pem') };
    const without = await mutual
      .connectAs(identity, { ...fromEnv(ca, mutual, identity), connectTimeoutMs: 3_000 })
      .then(
        () => 'connected',
        (error: unknown) => error,
      );
    expect(isSliceMeshError(without)).toBe(true);

    const withCertificate = fromEnv(
      {
        ...ca,
        SLICEMESH_NATS_TLS_CERT: file('client.pem'),
        SLICEMESH_NATS_TLS_KEY: file('client-key.pem'),
      },
      mutual,
      identity,
    );
    expect(withCertificate.tls).toEqual({
      caFile: file('ca.pem'),
      certFile: file('client.pem'),
      keyFile: file('client-key.pem'),
    });
    const bus = await mutual.connectAs(identity, withCertificate);
    await bus.flush();
    expect(bus.connection.info?.tls_verify).toBe(true);
  });
});
