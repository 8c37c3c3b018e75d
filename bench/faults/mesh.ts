/**
 * The mesh a fault run breaks: a nats-server with the credentials `slicemesh up`
 * generates, a Chroma server, and each role started in its own process
 * (`bin/slicemesh.js agent <role>`, connecting with the role's own seed).
 * Each role process leads its own process group, so a kill reaches whatever it
 * started and nothing outlives the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectBus, type Bus } from '../../shared/bus/index.js';
import { OPERATOR_IDENTITY } from '../../shared/contracts/permissions.js';
import {
  type ChromaServer,
  type NatsServer,
  startChromaServer,
  startNatsServer,
} from '../../shared/runtime/embedded/index.js';
import { prepareSecurity, seedFilePath } from '../../shared/runtime/security/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The project's data dir: the agents read the embedding cache from it, nothing else. */
const PROJECT_DATA_DIR = resolve(ROOT, '.data');

export interface RoleProcess {
  readonly role: string;
  readonly child: ChildProcess;
  readonly startedAt: number;
  readonly exited: Promise<void>;
}

export interface FaultMeshOptions {
  readonly namespace: string;
  /** Extra environment for every role (retry budget, orchestrator method…). */
  readonly env?: Record<string, string>;
  /** Where a role's stderr goes (default: dropped). */
  readonly onStderr?: (role: string, chunk: string) => void;
}

export interface FaultMesh {
  readonly namespace: string;
  readonly natsUrl: string;
  readonly chromaUrl: string;
  /** The live process of each role (replaced on restart). */
  readonly processes: ReadonlyMap<string, RoleProcess>;
  /** An operator connection (may watch and call everything). */
  connectOperator(name: string): Promise<Bus>;
  /** SIGKILL to the role's process group; resolves once it is gone. */
  killRole(role: string): Promise<void>;
  startRole(role: string): RoleProcess;
  /** Stops and starts nats-server on the same port with the same JetStream data. */
  restartNats(downMs: number): Promise<void>;
  stopChroma(): Promise<void>;
  startChroma(): Promise<void>;
  /** Kills every role, stops the servers, removes the temp dir. Safe to call twice. */
  dispose(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** Last resort on exit: no role process survives the run, whatever ended it. */
function killAllNow(): void {
  for (const child of live) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}
process.once('exit', killAllNow);

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export async function startFaultMesh(options: FaultMeshOptions): Promise<FaultMesh> {
  const dir = mkdtempSync(join(tmpdir(), 'slicemesh-faults-'));
  const security = prepareSecurity(join(dir, 'security'), {
    namespace: options.namespace,
    tenants: ['default'],
  });
  let nats: NatsServer = await startNatsServer({ dataDir: dir, configFile: security.configFile });
  let chroma: ChromaServer | undefined;
  try {
    chroma = await startChromaServer({ dataDir: dir });
  } catch (error) {
    await nats.stop();
    throw error;
  }
  const natsPort = nats.port;
  const chromaPort = chroma.port;
  const natsUrl = nats.url;
  const chromaUrl = chroma.url;
  const env: Record<string, string> = {
    NATS_URL: natsUrl,
    CHROMA_URL: chromaUrl,
    SLICEMESH_NAMESPACE: options.namespace,
    SLICEMESH_NATS_CREDENTIALS_DIR: security.dir,
    SLICEMESH_DATA_DIR: PROJECT_DATA_DIR,
    SLICEMESH_TRACE_DIR: join(dir, 'traces'),
    SLICEMESH_AUDIT_DIR: join(dir, 'audit'),
    SLICEMESH_MODEL_DIR: join(dir, 'models'),
    SLICEMESH_PROMETHEUS_PORT: '-1',
    SLICEMESH_LOG_LEVEL: 'warn',
    OTEL_EXPORTER_OTLP_ENDPOINT: '',
    ...options.env,
  };
  const processes = new Map<string, RoleProcess>();
  const buses = new Set<Bus>();

  const startRole = (role: string): RoleProcess => {
    const child = spawn(process.execPath, ['bin/slicemesh.js', 'agent', role], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
      // Its own process group: kill -9 of the group takes anything it started along.
      detached: true,
    });
    live.add(child);
    child.stderr
      ?.setEncoding('utf8')
      .on('data', (chunk: string) => options.onStderr?.(role, chunk));
    const exited = new Promise<void>((done) =>
      child.once('exit', () => {
        live.delete(child);
        done();
      }),
    );
    const proc = { role, child, startedAt: Date.now(), exited };
    processes.set(role, proc);
    return proc;
  };

  const killRole = async (role: string) => {
    const proc = processes.get(role);
    if (!proc || proc.child.pid === undefined) return;
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      try {
        process.kill(-proc.child.pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    await proc.exited;
  };

  let disposed: Promise<void> | undefined;
  const dispose = () =>
    (disposed ??= (async () => {
      await Promise.allSettled([...buses].map((bus) => bus.connection.close()));
      await Promise.allSettled([...processes.keys()].map(killRole));
      await chroma?.stop().catch(() => undefined);
      await nats.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    })());

  return {
    namespace: options.namespace,
    natsUrl,
    chromaUrl,
    processes,
    async connectOperator(name) {
      const bus = await connectBus({
        url: natsUrl,
        namespace: options.namespace,
        name,
        identity: OPERATOR_IDENTITY,
        seedFile: seedFilePath(security.dir, OPERATOR_IDENTITY),
      });
      buses.add(bus);
      return bus;
    },
    killRole,
    startRole,
    async restartNats(downMs) {
      await nats.stop();
      await sleep(downMs);
      nats = await startNatsServer({
        dataDir: dir,
        configFile: security.configFile,
        port: natsPort,
      });
    },
    async stopChroma() {
      await chroma?.stop();
      chroma = undefined;
    },
    async startChroma() {
      chroma = await startChromaServer({ dataDir: dir, port: chromaPort });
    },
    dispose,
  };
}

/** Resident set size of a process in MB (Linux /proc), or null when it is gone. */
export function rssMb(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb === undefined ? null : Math.round(Number(kb) / 102.4) / 10;
  } catch {
    return null;
  }
}
