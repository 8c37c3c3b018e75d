import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nkeyAuthenticator } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { isPidAlive, readMeshFile } from '../../shared/runtime/embedded/index.js';
import { waitFor } from '../helpers/wait.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'slicemesh-up-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Pids of processes whose command line mentions `needle` (Linux /proc). */
function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      // process ended meanwhile
    }
  }
  return pids;
}

describe('slicemesh up', () => {
  it('starts embedded services and roles, announces itself, and stops everything on SIGINT', async () => {
    const dataDir = join(dir, 'data');
    // Cheap roles keep this test about `up` itself; whole-mesh runs are the e2e suite's job.
    const up = spawn(
      process.execPath,
      [join(root, 'bin/slicemesh.js'), 'up', '--roles', 'infrastructure,api'],
      {
        cwd: dir,
        env: {
          ...process.env,
          SLICEMESH_DATA_DIR: dataDir,
          SLICEMESH_TRACE_DIR: join(dir, 'traces'),
          NATS_URL: '',
          CHROMA_URL: '',
          // Any free port: the one bound is announced in mesh.json.
          SLICEMESH_HTTP_PORT: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    up.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => up.on('exit', (code) => resolve(code)));

    const mesh = await waitFor(() => readMeshFile(dataDir) ?? undefined, {
      timeoutMs: 100_000,
      intervalMs: 200,
      what: 'mesh.json',
    }).catch((error: unknown) => {
      up.kill('SIGKILL');
      throw new Error(`${String(error)}; stderr:\n${stderr}`);
    });
    expect(mesh.pid).toBe(up.pid);
    // Never open: no credentials, no connection; the mesh file points at them, never holds a seed.
    await expect(connect({ servers: mesh.natsUrl, reconnect: false })).rejects.toThrow(
      /authorization/i,
    );
    expect(mesh.credentialsDir).toBe(join(dataDir, 'security', 'slicemesh'));
    const meshText = readFileSync(join(dataDir, 'mesh.json'), 'utf8');
    const operatorSeed = readFileSync(join(mesh.credentialsDir!, 'operator.nk'), 'utf8').trim();
    expect(meshText).not.toContain(operatorSeed);
    expect(meshText).not.toMatch(/SU[A-Z2-7]{56}/);
    const nc = await connect({
      servers: mesh.natsUrl,
      authenticator: nkeyAuthenticator(new TextEncoder().encode(operatorSeed)),
    });
    await nc.flush();
    await nc.close();
    expect((await fetch(`${mesh.chromaUrl}/api/v2/heartbeat`)).ok).toBe(true);
    expect(stderr).toContain('SliceMesh is up');
    expect(stderr).toMatch(/roles\s+infrastructure, api/);

    // The api: its bound port and its token file (0600, next to the seeds) in the mesh file,
    // never the token itself.
    expect(mesh.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(mesh.apiUrl).not.toMatch(/:8080$/);
    expect(mesh.apiTokenFile).toBe(join(mesh.credentialsDir!, 'api.token'));
    expect(statSync(mesh.apiTokenFile!).mode & 0o777).toBe(0o600);
    const apiToken = readFileSync(mesh.apiTokenFile!, 'utf8').trim();
    expect(apiToken.length).toBeGreaterThanOrEqual(32);
    expect(meshText).not.toContain(apiToken);
    const intents = `${mesh.apiUrl}/tmf-api/intentManagement/v5/intent`;
    expect((await fetch(intents)).status).toBe(401);
    const authorized = await fetch(intents, { headers: { authorization: `Bearer ${apiToken}` } });
    // Past the token; no slice-manager runs here to list slices: the mesh is unavailable.
    expect(authorized.status).toBe(503);
    expect(stderr).toContain(`API     ${mesh.apiUrl}`);

    // The api also runs alone, joining this mesh through its mesh file, as its own identity.
    const agent = spawn(process.execPath, [join(root, 'bin/slicemesh.js'), 'agent', 'api'], {
      cwd: dir,
      env: {
        ...process.env,
        SLICEMESH_DATA_DIR: dataDir,
        SLICEMESH_TRACE_DIR: join(dir, 'traces'),
        NATS_URL: '',
        SLICEMESH_HTTP_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let agentLog = '';
    agent.stderr.on('data', (chunk: Buffer) => (agentLog += chunk.toString()));
    const agentExited = new Promise<number | null>((resolve) =>
      agent.on('exit', (code) => resolve(code)),
    );
    const served = await waitFor(
      () =>
        agentLog
          .split('\n')
          .map((line) => {
            try {
              return JSON.parse(line) as { msg?: string; url?: string };
            } catch {
              return undefined;
            }
          })
          .find((entry) => entry?.msg === 'api serving')?.url,
      { timeoutMs: 60_000, intervalMs: 200, what: 'slicemesh agent api serving' },
    ).catch((error: unknown) => {
      agent.kill('SIGKILL');
      throw new Error(`${String(error)}; stderr:\n${agentLog}`);
    });
    expect(served).not.toBe(mesh.apiUrl);
    expect((await fetch(`${served}/openapi.json`)).status).toBe(200);
    expect((await fetch(`${served}/tmf-api/intentManagement/v5/intent`)).status).toBe(401);
    agent.kill('SIGINT');
    expect(await agentExited).toBe(0);

    const servers = pidsMentioning(dataDir).filter((pid) => pid !== up.pid);
    // watchdog + nats-server, watchdog + chroma
    expect(servers.length).toBeGreaterThanOrEqual(4);

    up.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const pid of servers) {
      await waitFor(() => !isPidAlive(pid), { timeoutMs: 15_000, what: `pid ${pid} to exit` });
    }
    expect(pidsMentioning(dataDir)).toEqual([]);
    expect(existsSync(join(dataDir, 'mesh.json'))).toBe(false);
    const traces = readdirSync(join(dir, 'traces'));
    expect(traces.some((f) => /^mesh-.*\.json$/.test(f))).toBe(true);
  });
});
