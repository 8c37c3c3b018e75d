/**
 * Starts a server process through the watchdog (watchdog.mjs) so that it dies
 * with us, even when we are SIGKILLed, and stops it gracefully on request.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SliceMeshError } from '../../contracts/errors.js';

const WATCHDOG = fileURLToPath(new URL('./watchdog.mjs', import.meta.url));
const OUTPUT_TAIL_BYTES = 16 * 1024;

export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

/** A server process running under a watchdog. */
export interface SupervisedProcess {
  /** Pid of the server itself (not of the watchdog). */
  readonly pid: number;
  /** Pid of the watchdog that owns the server. */
  readonly watchdogPid: number;
  /** Resolves when the server has exited (and the watchdog with it). */
  readonly exited: Promise<ExitInfo>;
  /** Whether the server has exited. */
  isRunning(): boolean;
  /** The last few KB of the server's stdout/stderr (for error messages). */
  output(): string;
  /** SIGTERM, wait up to the grace period, then SIGKILL. Idempotent. */
  stop(): Promise<ExitInfo>;
}

export interface SuperviseOptions {
  /** Human name used in errors, e.g. `nats-server`. */
  name: string;
  command: string;
  args: string[];
  /** How long the server may take to exit after SIGTERM before SIGKILL. */
  graceMs?: number;
  /** Append the server's output to this file as well. */
  logFile?: string;
}

/** True when a process with this pid exists (signal 0 probes without killing). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Spawns `command` under the watchdog and resolves once the server's pid is known. */
export async function supervise(options: SuperviseOptions): Promise<SupervisedProcess> {
  const graceMs = options.graceMs ?? 5_000;
  let log: WriteStream | undefined;
  if (options.logFile) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    log = createWriteStream(options.logFile, { flags: 'a' });
  }
  let tail = '';
  const collect = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
    log?.write(chunk);
  };

  // detached: its own process group, so a terminal Ctrl-C reaches only us and
  // the servers stay up until our ordered shutdown stops them.
  const watchdog: ChildProcess = spawn(
    process.execPath,
    [WATCHDOG, String(graceMs), options.command, ...options.args],
    { stdio: ['pipe', 'pipe', 'pipe', 'pipe'], detached: true },
  );
  watchdog.stdout?.on('data', collect);
  watchdog.stderr?.on('data', collect);

  let serverPid: number | undefined;
  let exitInfo: ExitInfo | undefined;
  let resolveExit!: (info: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((resolve) => (resolveExit = resolve));

  const pidKnown = new Promise<number>((resolve, reject) => {
    let buffered = '';
    const control = watchdog.stdio[3] as NodeJS.ReadableStream | null;
    control?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        let message: { pid?: number; error?: string; errno?: string };
        try {
          message = JSON.parse(line) as typeof message;
        } catch {
          continue;
        }
        if (typeof message.pid === 'number') {
          serverPid = message.pid;
          resolve(message.pid);
        } else if (message.error !== undefined) {
          reject(
            new SliceMeshError(
              message.errno === 'ENOENT' ? 'missing-dependency' : 'unavailable',
              `cannot start ${options.name} (${options.command}): ${message.error}`,
            ),
          );
        }
      }
    });
    control?.on('error', () => undefined);
    watchdog.on('error', (error) =>
      reject(
        new SliceMeshError(
          'internal',
          `cannot start the watchdog of ${options.name}: ${error.message}`,
        ),
      ),
    );
    watchdog.on('exit', (code, signal) => {
      reject(
        new SliceMeshError(
          'unavailable',
          `${options.name} exited before it started (code ${code}, signal ${signal}):\n${tail.trim()}`,
        ),
      );
    });
  });

  watchdog.on('exit', (code, signal) => {
    exitInfo = { code, signal };
    log?.end();
    resolveExit(exitInfo);
  });
  // Errors on the lifeline pipe only mean the watchdog is gone already.
  watchdog.stdin?.on('error', () => undefined);

  const pid = await pidKnown;
  const watchdogPid = watchdog.pid ?? -1;
  let stopping: Promise<ExitInfo> | undefined;

  const stop = (): Promise<ExitInfo> => {
    if (exitInfo) return Promise.resolve(exitInfo);
    stopping ??= (async () => {
      watchdog.kill('SIGTERM');
      // The watchdog escalates to SIGKILL itself; this is the fallback should
      // the watchdog itself be stuck.
      const fallback = setTimeout(() => {
        if (serverPid !== undefined && isPidAlive(serverPid)) process.kill(serverPid, 'SIGKILL');
        watchdog.kill('SIGKILL');
      }, graceMs + 2_000);
      try {
        return await exited;
      } finally {
        clearTimeout(fallback);
      }
    })();
    return stopping;
  };

  return {
    pid,
    watchdogPid,
    exited,
    isRunning: () => exitInfo === undefined,
    output: () => tail,
    stop,
  };
}

/**
 * Polls `check` until it returns a value other than undefined, failing with
 * `unavailable` after `timeoutMs` or as soon as `proc` exits.
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs: number; intervalMs?: number; proc?: SupervisedProcess },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 50;
  for (;;) {
    if (options.proc && !options.proc.isRunning()) {
      throw new SliceMeshError(
        'unavailable',
        `${what}: the process exited:\n${options.proc.output().trim()}`,
      );
    }
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const output = options.proc ? `:\n${options.proc.output().trim()}` : '';
      throw new SliceMeshError(
        'timeout',
        `${what}: not ready after ${options.timeoutMs} ms${output}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
