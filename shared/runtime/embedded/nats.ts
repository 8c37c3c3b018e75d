/**
 * Embedded nats-server: JetStream on, loopback only, on a free port, owned by
 * a watchdog so it never outlives this process.
 */
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { SliceMeshError } from '../../contracts/errors.js';
import { type SupervisedProcess, supervise, waitUntil } from './supervise.js';

export const NATS_INSTALL_HINT =
  'nats-server was not found. Install it, then run again:\n' +
  '  Debian/Ubuntu: sudo apt-get install nats-server\n' +
  '  macOS:         brew install nats-server\n' +
  '  other:         download the release binary from https://github.com/nats-io/nats-server/releases and put it on PATH\n' +
  'Or point NATS_URL at a running server (e.g. nats://localhost:4222).';

// Debian installs the binary in /usr/sbin, which is not on a normal user's PATH.
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/opt/homebrew/bin'];

/** Finds the nats-server binary on PATH (and the usual sbin/Homebrew dirs), or undefined. */
export function findNatsServer(pathEnv: string | undefined = process.env.PATH): string | undefined {
  const dirs = [...(pathEnv ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface NatsServerOptions {
  /** JetStream data goes to `<dataDir>/nats`. */
  dataDir: string;
  /** Fixed port (e.g. to restart on the same one); default: a free port. */
  port?: number;
  /** Path of the binary; default: found on PATH. */
  binary?: string;
  /** Server log file; default: `<dataDir>/logs/nats-server.log`. */
  logFile?: string;
  /**
   * Configuration file (users and permissions, TLS); the listen address, port and
   * JetStream store from the options above take precedence. Without one the server is open.
   */
  configFile?: string;
  /** Max wait for the server to accept connections. */
  startTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace on stop. */
  graceMs?: number;
}

export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The JetStream store directory (`<dataDir>/nats`). */
  readonly storeDir: string;
  readonly process: SupervisedProcess;
  /** Graceful stop: SIGTERM, wait, SIGKILL fallback. Idempotent. */
  stop(): Promise<void>;
}

function readPortsFile(dir: string, pid: number): number | undefined {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return undefined;
  }
  const file = files.find((f) => f.endsWith(`_${pid}.ports`));
  if (!file) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nats?: string[] };
    const first = parsed.nats?.[0];
    const port = first ? Number(new URL(first).port) : NaN;
    return Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    // Written but not complete yet; try again.
    return undefined;
  }
}

/** Resolves true once the server greets a TCP client with its INFO line. */
function greets(port: number): Promise<true | undefined> {
  return new Promise((resolvePromise) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolvePromise(ok ? true : undefined);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('data', (chunk: Buffer) => done(chunk.toString('utf8').startsWith('INFO ')));
    socket.once('error', () => done(false));
  });
}

/** Starts nats-server with JetStream and waits until it accepts connections. */
export async function startNatsServer(options: NatsServerOptions): Promise<NatsServer> {
  const binary = options.binary ?? findNatsServer();
  if (!binary) throw new SliceMeshError('missing-dependency', NATS_INSTALL_HINT);
  const storeDir = resolve(options.dataDir, 'nats');
  mkdirSync(storeDir, { recursive: true });
  const portsDir = mkdtempSync(join(tmpdir(), 'slicemesh-nats-ports-'));
  const cleanupPorts = () => rmSync(portsDir, { recursive: true, force: true });
  const args = [
    '-a',
    '127.0.0.1',
    '-p',
    String(options.port ?? -1),
    '-js',
    '-sd',
    storeDir,
    '--ports_file_dir',
    portsDir,
    ...(options.configFile === undefined ? [] : ['-c', options.configFile]),
  ];
  let proc: SupervisedProcess;
  try {
    proc = await supervise({
      name: 'nats-server',
      command: binary,
      args,
      graceMs: options.graceMs ?? 5_000,
      logFile: options.logFile ?? resolve(options.dataDir, 'logs', 'nats-server.log'),
    });
  } catch (error) {
    cleanupPorts();
    if (error instanceof SliceMeshError && error.code === 'missing-dependency') {
      throw new SliceMeshError('missing-dependency', NATS_INSTALL_HINT, { cause: error });
    }
    throw error;
  }
  try {
    const timeoutMs = options.startTimeoutMs ?? 20_000;
    const port = await waitUntil(
      'nats-server ports file',
      () => readPortsFile(portsDir, proc.pid),
      {
        timeoutMs,
        proc,
      },
    );
    await waitUntil(`nats-server on port ${port}`, () => greets(port), { timeoutMs, proc });
    const stop = async () => {
      await proc.stop();
      cleanupPorts();
    };
    return { url: `nats://127.0.0.1:${port}`, port, storeDir, process: proc, stop };
  } catch (error) {
    await proc.stop();
    cleanupPorts();
    throw error;
  }
}
