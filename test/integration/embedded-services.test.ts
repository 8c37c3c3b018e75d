import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { connectBus } from '../../shared/bus/index.js';
import { OPERATOR_IDENTITY, meshIdentities } from '../../shared/contracts/index.js';
import {
  CHROMA_HEARTBEAT_PATH,
  isPidAlive,
  readMeshFile,
  resolveServices,
  startChromaServer,
  startNatsServer,
  withServiceUrls,
  writeMeshFile,
} from '../../shared/runtime/embedded/index.js';
import { busIdentity, prepareSecurity, seedFilePath } from '../../shared/runtime/security/index.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { waitFor } from '../helpers/wait.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'slicemesh-embedded-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('embedded nats-server', () => {
  it('starts with JetStream on loopback, accepts clients, and stops gracefully', async () => {
    const server = await startNatsServer({ dataDir: tempDir() });
    expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    const nc = await connect({ servers: server.url });
    expect(nc.info?.jetstream).toBe(true);
    await nc.close();
    const pid = server.process.pid;
    await server.stop();
    expect(isPidAlive(pid)).toBe(false);
    expect(isPidAlive(server.process.watchdogPid)).toBe(false);
    await server.stop(); // idempotent
  });

  it('explains how to install nats-server when the binary is missing', async () => {
    await expect(
      startNatsServer({ dataDir: tempDir(), binary: join(tempDir(), 'no-such-nats-server') }),
    ).rejects.toMatchObject({
      code: 'missing-dependency',
      message: expect.stringContaining('sudo apt-get install nats-server'),
    });
  });
});

describe('embedded Chroma', () => {
  it('starts on a free port, answers its heartbeat, and stops', async () => {
    const server = await startChromaServer({ dataDir: tempDir() });
    const response = await fetch(`${server.url}${CHROMA_HEARTBEAT_PATH}`);
    expect(response.ok).toBe(true);
    await server.stop();
    expect(isPidAlive(server.process.pid)).toBe(false);
  });
});

describe('resolveServices and the mesh file', () => {
  it('uses configured URLs without starting anything', async () => {
    const config = loadConfig({
      NATS_URL: 'nats://10.0.0.1:4222',
      CHROMA_URL: 'http://10.0.0.1:8000',
      SLICEMESH_DATA_DIR: tempDir(),
    });
    const services = await resolveServices(config);
    expect(services).toMatchObject({
      natsUrl: 'nats://10.0.0.1:4222',
      chromaUrl: 'http://10.0.0.1:8000',
    });
    expect(services.embedded).toEqual({});
    await services.stop();
  });

  it('writes mesh.json while running (as up does), ignores stale files and removes it at shutdown', async () => {
    const dataDir = tempDir();
    const config = loadConfig({ SLICEMESH_DATA_DIR: dataDir, CHROMA_URL: 'http://127.0.0.1:1' });
    const services = await resolveServices(config);
    const removeMeshFile = writeMeshFile(dataDir, {
      natsUrl: services.natsUrl,
      chromaUrl: services.chromaUrl,
      namespace: config.mesh.namespace,
      credentialsDir: services.credentialsDir,
      pid: process.pid,
    });
    expect(readMeshFile(dataDir)).toMatchObject({
      natsUrl: services.natsUrl,
      credentialsDir: services.credentialsDir,
      pid: process.pid,
    });
    removeMeshFile();
    await services.stop();
    expect(readMeshFile(dataDir)).toBeNull();
    // A file left by a dead process is not a running mesh.
    writeMeshFile(dataDir, {
      natsUrl: 'nats://x:1',
      chromaUrl: null,
      namespace: 'n',
      pid: 2 ** 22 + 7,
    });
    expect(readMeshFile(dataDir)).toBeNull();
  });
});

describe('the embedded nats-server is never open', () => {
  it('generates one seed per identity (mode 0600) and refuses anyone without one', async () => {
    const dataDir = tempDir();
    const config = loadConfig({
      SLICEMESH_DATA_DIR: dataDir,
      SLICEMESH_NAMESPACE: 'plant',
      SLICEMESH_TENANTS: 'acme',
      CHROMA_URL: 'http://127.0.0.1:1',
    });
    const services = await resolveServices(config, { chroma: false });
    try {
      const dir = services.credentialsDir;
      expect(dir).toBe(join(dataDir, 'security', 'plant'));
      expect(statSync(dir!).mode & 0o777).toBe(0o700);
      // The CLI's own tenant (default) and the listed ones each get a client identity.
      for (const identity of meshIdentities(['default', 'acme'])) {
        expect(statSync(seedFilePath(dir!, identity)).mode & 0o777).toBe(0o600);
      }
      await expect(connect({ servers: services.natsUrl, reconnect: false })).rejects.toThrow(
        /authorization/i,
      );
      const inUse = withServiceUrls(config, services);
      const bus = await connectBus({
        url: services.natsUrl,
        namespace: 'plant',
        name: 'operator',
        ...busIdentity(inUse, OPERATOR_IDENTITY),
      });
      await bus.flush();
      await bus.drain();
      // A restart keeps the identities: nothing is generated again.
      const again = prepareSecurity(dir!, { namespace: 'plant', tenants: ['default', 'acme'] });
      expect(again.created).toEqual([]);
    } finally {
      await services.stop();
    }
  });
});

describe('no orphans', () => {
  it('kills nats-server and Chroma when their parent is SIGKILLed', async () => {
    const fixture = fileURLToPath(new URL('../helpers/embedded-child.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, tempDir()], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const pids = await waitFor(
      () => {
        const line = out.split('\n')[0];
        return line && out.includes('\n')
          ? (JSON.parse(line) as Record<
              'natsPid' | 'chromaPid' | 'natsWatchdogPid' | 'chromaWatchdogPid',
              number
            >)
          : undefined;
      },
      { timeoutMs: 60_000, what: 'the fixture to report its server pids' },
    );
    expect(isPidAlive(pids.natsPid)).toBe(true);
    expect(isPidAlive(pids.chromaPid)).toBe(true);
    child.kill('SIGKILL');
    for (const pid of Object.values(pids)) {
      await waitFor(() => !isPidAlive(pid), { timeoutMs: 15_000, what: `pid ${pid} to exit` });
    }
  });
});
