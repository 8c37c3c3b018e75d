/**
 * A deployment the way docker-compose.yml runs one: `slicemesh security init
 * DIR` writes the credentials, nats-server starts from infra/nats.conf (which
 * includes the generated file), a role runs in its own process with its own
 * seed file (SLICEMESH_NATS_SEED_FILE), and the CLI connects as a tenant's
 * client (SLICEMESH_NATS_CREDENTIALS_DIR) or, without credentials, is refused.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { connectBus } from '../../shared/bus/index.js';
import { Heartbeat, OPERATOR_IDENTITY, meshIdentities } from '../../shared/contracts/index.js';
import { findNatsServer, startNatsServer } from '../../shared/runtime/embedded/index.js';
import { AUTH_CONFIG_FILE, seedFilePath } from '../../shared/runtime/security/index.js';
import { waitFor } from '../helpers/wait.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'slicemesh-security-init-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NAMESPACE = 'deploy';
const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(root, 'bin/slicemesh.js'), ...args], {
    cwd: dir,
    env: { ...process.env, SLICEMESH_LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('slicemesh security init and a deployment that uses it', () => {
  it('writes credentials nats-server accepts through infra/nats.conf, for roles and clients in their own processes', async () => {
    // The compose layout: the security volume next to nats.conf.
    const etc = join(dir, 'etc');
    const security = join(etc, 'security');
    const init = cli([
      'security',
      'init',
      security,
      '--namespace',
      NAMESPACE,
      '--tenants',
      'default,acme',
    ]);
    expect(init.status, init.stderr).toBe(0);
    for (const identity of meshIdentities(['default', 'acme']))
      expect(statSync(seedFilePath(security, identity)).mode & 0o777).toBe(0o600);
    expect(init.stdout).toContain(AUTH_CONFIG_FILE);
    // Run again: the identities are kept.
    const seed = readFileSync(seedFilePath(security, 'slice-manager'), 'utf8');
    expect(
      cli(['security', 'init', security, '--namespace', NAMESPACE, '--tenants', 'default,acme'])
        .stdout,
    ).toMatch(/kept/);
    expect(readFileSync(seedFilePath(security, 'slice-manager'), 'utf8')).toBe(seed);

    // infra/nats.conf as shipped, but on free ports and a temp store.
    const conf = readFileSync(join(root, 'infra/nats.conf'), 'utf8')
      .replace(/^http_port:.*$/m, '')
      // startNatsServer passes the store directory itself.
      .replace(/^\s*store_dir: .*$/m, '');
    mkdirSync(etc, { recursive: true });
    writeFileSync(join(etc, 'nats.conf'), conf);
    const check = spawnSync(findNatsServer()!, ['-t', '-c', join(etc, 'nats.conf')], {
      encoding: 'utf8',
    });
    expect(check.status, check.stderr).toBe(0);
    const server = await startNatsServer({
      dataDir: join(dir, 'data'),
      configFile: join(etc, 'nats.conf'),
    });
    try {
      const env = {
        NATS_URL: server.url,
        SLICEMESH_NAMESPACE: NAMESPACE,
        SLICEMESH_HEARTBEAT_MS: '200',
      };
      const operator = await connectBus({
        url: server.url,
        namespace: NAMESPACE,
        name: 'operator',
        identity: OPERATOR_IDENTITY,
        seedFile: seedFilePath(security, OPERATOR_IDENTITY),
      });
      const beats: Heartbeat[] = [];
      operator.subscribe(
        operator.subjects.heartbeatsAll(),
        Heartbeat,
        (beat) => void beats.push(beat),
      );
      await operator.flush();

      // One role per process, its own seed (what each compose service gets).
      const agent = spawn(
        process.execPath,
        [join(root, 'bin/slicemesh.js'), 'agent', 'slice-manager'],
        {
          cwd: dir,
          env: {
            ...process.env,
            ...env,
            SLICEMESH_NATS_SEED_FILE: seedFilePath(security, 'slice-manager'),
            SLICEMESH_TRACE_DIR: join(dir, 'traces'),
            SLICEMESH_RECONCILE_INTERVAL_MS: '0',
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderr = '';
      agent.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => agent.on('exit', resolve));
      try {
        await waitFor(
          () => beats.some((b) => b.role === 'slice-manager' && b.state === 'running'),
          {
            timeoutMs: 60_000,
            what: `the slice-manager's heartbeat; stderr:\n${stderr}`,
          },
        );
        expect(stderr).not.toMatch(/Violation|forbidden/);

        // The CLI as a tenant's client: it may list slices.
        const status = cli(['status', '--tenant', 'acme'], {
          ...env,
          SLICEMESH_NATS_CREDENTIALS_DIR: security,
        });
        expect(status.status, status.stderr).toBe(0);
        expect(status.stdout).toContain('(no slices)');
        // Without credentials the server refuses it.
        const anonymous = cli(['status'], env);
        expect(anonymous.status).not.toBe(0);
        expect(anonymous.stderr).toMatch(/forbidden/);
        expect(anonymous.stderr).toMatch(/SLICEMESH_NATS_SEED_FILE/);
      } finally {
        agent.kill('SIGINT');
        expect(await exited).toBe(0);
        await operator.drain();
      }
    } finally {
      await server.stop();
    }
  });
});
