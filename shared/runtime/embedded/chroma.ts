/**
 * Embedded Chroma: the `chroma run` server bundled with the chromadb npm
 * package, loopback only, on a free port, owned by a watchdog.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { SliceMeshError } from '../../contracts/errors.js';
import { type SupervisedProcess, supervise, waitUntil } from './supervise.js';

/** Chroma's v2 liveness endpoint. */
export const CHROMA_HEARTBEAT_PATH = '/api/v2/heartbeat';
const START_ATTEMPTS = 3;

export interface ChromaServerOptions {
  /** Data goes to `<dataDir>/chroma`. */
  dataDir: string;
  /** Fixed port; default: a free port. */
  port?: number;
  /** Server log file; default: `<dataDir>/logs/chroma.log`. */
  logFile?: string;
  startTimeoutMs?: number;
  graceMs?: number;
}

export interface ChromaServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly process: SupervisedProcess;
  /** Graceful stop: SIGTERM, wait, SIGKILL fallback. Idempotent. */
  stop(): Promise<void>;
}

/** Path of the `chroma` CLI script shipped by the chromadb package. */
export function findChromaCli(): string {
  const require = createRequire(import.meta.url);
  let pkgDir: string;
  try {
    // The package does not export ./package.json: find it from the entry point.
    pkgDir = dirname(require.resolve('chromadb'));
    while (!existsSync(join(pkgDir, 'package.json')) && dirname(pkgDir) !== pkgDir)
      pkgDir = dirname(pkgDir);
  } catch (error) {
    throw new SliceMeshError(
      'missing-dependency',
      'the chromadb package is not installed: run `npm install` in the project, or set CHROMA_URL to a running Chroma server',
      { cause: error },
    );
  }
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
    bin?: Record<string, string> | string;
  };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.chroma;
  if (!bin)
    throw new SliceMeshError(
      'missing-dependency',
      'the installed chromadb package has no `chroma` CLI',
    );
  return join(pkgDir, bin);
}

/** Asks the OS for a free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function heartbeat(url: string): Promise<true | undefined> {
  try {
    const response = await fetch(`${url}${CHROMA_HEARTBEAT_PATH}`, {
      signal: AbortSignal.timeout(1_000),
    });
    return response.ok ? true : undefined;
  } catch {
    return undefined;
  }
}

/** Starts `chroma run` and waits until its heartbeat endpoint answers. */
export async function startChromaServer(options: ChromaServerOptions): Promise<ChromaServer> {
  const cli = findChromaCli();
  const path = resolve(options.dataDir, 'chroma');
  mkdirSync(path, { recursive: true });
  let lastError: unknown;
  // A free port can be taken between asking and binding; try a fresh one.
  for (let attempt = 0; attempt < (options.port === undefined ? START_ATTEMPTS : 1); attempt++) {
    const port = options.port ?? (await freePort());
    const url = `http://127.0.0.1:${port}`;
    const proc = await supervise({
      name: 'chroma',
      command: process.execPath,
      args: [cli, 'run', '--path', path, '--host', '127.0.0.1', '--port', String(port)],
      graceMs: options.graceMs ?? 5_000,
      logFile: options.logFile ?? resolve(options.dataDir, 'logs', 'chroma.log'),
    });
    try {
      await waitUntil(`chroma on ${url}`, () => heartbeat(url), {
        timeoutMs: options.startTimeoutMs ?? 60_000,
        intervalMs: 100,
        proc,
      });
      return {
        url,
        port,
        process: proc,
        stop: async () => {
          await proc.stop();
        },
      };
    } catch (error) {
      lastError = error;
      await proc.stop();
    }
  }
  throw lastError;
}
