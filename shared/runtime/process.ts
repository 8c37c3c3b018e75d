/**
 * The one process entry: only here are signals handled. On SIGINT/SIGTERM
 * the registered shutdown steps run phase by phase (DESIGN §5):
 * stop intake → drain in-flight work → flush traces → drain NATS → stop
 * embedded services → exit. A second Ctrl-C exits at once; embedded servers
 * still go down with us because their watchdogs see our pipe close.
 */
import { isSliceMeshError } from '../contracts/errors.js';
import { type Logger, createLogger } from './logger.js';

/** Shutdown phases in the order they run. */
export const SHUTDOWN_PHASES = [
  'stop-intake',
  'drain',
  'flush-traces',
  'drain-bus',
  'stop-services',
] as const;
export type ShutdownPhase = (typeof SHUTDOWN_PHASES)[number];

export interface ProcessContext {
  readonly logger: Logger;
  /** Aborted when shutdown begins. */
  readonly signal: AbortSignal;
  /**
   * Registers a shutdown step. Phases run in order; within a phase, steps run
   * concurrently. Each step is bounded by the grace time.
   */
  onShutdown(phase: ShutdownPhase, name: string, step: ShutdownStep): void;
  /** Starts the shutdown from inside (e.g. an agent failed); `exitCode` defaults to 0. */
  shutdown(reason: string, exitCode?: number): void;
}

/** A shutdown step: what `onShutdown` registers. */
export type ShutdownStep = () => Promise<void> | void;

/**
 * Shutdown steps registered by phase and run once, in phase order: the one
 * runner behind the process entry and any other owner of agents' lifetimes
 * (the replay's local mesh).
 */
export interface ShutdownRunner {
  /** Aborted when run() begins. */
  readonly signal: AbortSignal;
  /** Registers a step (a ProcessContext's `onShutdown`). */
  add(phase: ShutdownPhase, name: string, step: ShutdownStep): void;
  /**
   * Runs the phases in order. Within a phase, steps run concurrently, later
   * registrations first (reverse start order); each is bounded by the grace
   * time, and a step that fails or times out is logged and does not stop the
   * others. Never rejects; a second call returns the first run.
   */
  run(): Promise<void>;
}

export function createShutdownRunner(options: {
  logger: Logger;
  /** Upper bound of each step. */
  graceMs: number;
}): ShutdownRunner {
  const { logger, graceMs } = options;
  const steps = new Map<ShutdownPhase, { name: string; step: ShutdownStep }[]>();
  const abort = new AbortController();
  let running: Promise<void> | undefined;

  const runStep = async (phase: ShutdownPhase, name: string, step: ShutdownStep) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    try {
      const outcome = await Promise.race([Promise.resolve().then(step), timeout]);
      if (outcome === 'timeout')
        logger.warn('shutdown step timed out', { phase, step: name, graceMs });
      return outcome !== 'timeout';
    } catch (error) {
      logger.warn('shutdown step failed', { phase, step: name, error });
      return false;
    } finally {
      clearTimeout(timer);
    }
  };

  const runAll = async () => {
    abort.abort();
    for (const phase of SHUTDOWN_PHASES) {
      const list = steps.get(phase) ?? [];
      if (list.length === 0) continue;
      const results = await Promise.all(
        [...list].reverse().map(({ name, step }) => runStep(phase, name, step)),
      );
      logger.debug('shutdown phase done', { phase, ok: results.every(Boolean) });
    }
  };

  return {
    signal: abort.signal,
    add: (phase, name, step) => {
      const list = steps.get(phase) ?? [];
      list.push({ name, step });
      steps.set(phase, list);
    },
    run: () => (running ??= runAll()),
  };
}

export interface RunProcessOptions {
  logger?: Logger;
  /** Upper bound for each shutdown phase (default 15 s). */
  graceMs?: number;
  /** For tests: how to end the process (default process.exit). */
  exit?: (code: number) => void;
  /** For tests: the signals source (default process). */
  signals?: NodeJS.EventEmitter;
}

/**
 * Runs `main`, then keeps the process alive until a signal or `shutdown()`;
 * runs the shutdown steps and exits. Returns the exit code (after exit() ran).
 */
export async function runProcess(
  main: (ctx: ProcessContext) => Promise<void>,
  options: RunProcessOptions = {},
): Promise<number> {
  const logger = options.logger ?? createLogger();
  const graceMs = options.graceMs ?? 15_000;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? process;
  const shutdownSteps = createShutdownRunner({ logger, graceMs });
  let exitCode = 0;
  let requested!: (reason: string) => void;
  const shutdownRequested = new Promise<string>((resolve) => (requested = resolve));
  let signalCount = 0;

  const onSignal = (signal: NodeJS.Signals) => {
    signalCount += 1;
    if (signalCount === 1) {
      logger.info('shutting down (press Ctrl-C again to force)', { signal });
      // 128 + signal number is the shell convention; a clean shutdown after a signal is still success.
      requested(signal);
    } else {
      logger.warn('forced exit', { signal });
      exit(130);
    }
  };
  signals.on('SIGINT', onSignal);
  signals.on('SIGTERM', onSignal);

  const ctx: ProcessContext = {
    logger,
    signal: shutdownSteps.signal,
    onShutdown: shutdownSteps.add,
    shutdown: (reason, code = 0) => {
      exitCode = Math.max(exitCode, code);
      requested(reason);
    },
  };

  try {
    await Promise.race([main(ctx), shutdownRequested]);
    const reason = await shutdownRequested;
    logger.debug('shutdown requested', { reason });
  } catch (error) {
    exitCode = 1;
    if (isSliceMeshError(error)) logger.error(error.message, { code: error.code });
    else logger.error('startup failed', { error });
  }

  await shutdownSteps.run();
  signals.off('SIGINT', onSignal);
  signals.off('SIGTERM', onSignal);
  logger.info('stopped', { exitCode });
  exit(exitCode);
  return exitCode;
}
