/**
 * The one shape of every agent (DESIGN §5): a factory taking `AgentDeps` and
 * returning an `AgentHandle` with start/stop, a state and a `stopped`
 * promise. `createAgentHandle()` builds a handle from two hooks so every role
 * gets the same state machine and heartbeats for free.
 */
import type { Tracer } from '@opentelemetry/api';
import type { Bus } from '../bus/types.js';
import { SliceMeshError, toSliceMeshError } from '../contracts/errors.js';
import { type AGENT_STATES, Heartbeat } from '../contracts/messages.js';
import { assertToken } from '../contracts/subjects.js';
import { systemClock, type Clock } from './clock.js';
import { loadConfig, type SliceMeshConfig } from './config.js';
import type { Logger } from './logger.js';

/** An agent's lifecycle state; heartbeats carry it. */
export type AgentState = (typeof AGENT_STATES)[number];

/** Everything an agent gets from outside; nothing else is global. */
export interface AgentDeps {
  /** Role name, e.g. `orchestrator` (also its queue group). */
  readonly role: string;
  /** Unique per running agent, e.g. `orchestrator-12345-ab12`. */
  readonly instanceId: string;
  readonly bus: Bus;
  readonly tracer: Tracer;
  readonly clock: Clock;
  /** Already tagged with role and instance id. */
  readonly logger: Logger;
  /** Seed of every stochastic part of the agent (SLICEMESH_SEED). */
  readonly seed: number;
  /** Validated configuration; `nats.url` and `chroma.url` hold the URLs actually in use. */
  readonly config: SliceMeshConfig;
}

export interface AgentHandle {
  readonly role: string;
  readonly instanceId: string;
  readonly state: AgentState;
  /** initialized → running; rejects (state `failed`) if the agent cannot start. */
  start(): Promise<void>;
  /** Stops taking work, finishes work in flight, releases resources. Idempotent. */
  stop(): Promise<void>;
  /** Resolves once stopped: null after a clean stop, the error after a failure. */
  readonly stopped: Promise<Error | null>;
}

/** How an agent is created; the roles registry maps role names to these. */
export type AgentFactory = (deps: AgentDeps) => AgentHandle | Promise<AgentHandle>;

/** Passed to the start hook so a running agent can report a fatal error. */
export interface AgentControl {
  /** Marks the agent failed (stop hook runs, `stopped` resolves with the error). */
  fail(error: unknown): void;
  /** Aborted when stopping begins: pass it to long-running loops. */
  readonly signal: AbortSignal;
}

export interface AgentHooks {
  /** Subscribe, open resources. Throwing makes the agent `failed`. */
  start(control: AgentControl): Promise<void> | void;
  /** Stop intake first, then wait for work in flight. */
  stop(): Promise<void> | void;
}

export interface AgentHandleOptions {
  /** Publish heartbeats (default true). */
  heartbeat?: boolean;
}

let instanceCounter = 0;

/** A fresh instance id for `role`: `<role>-<pid>-<n><random>` (subject-token safe). */
export function newInstanceId(role: string): string {
  instanceCounter += 1;
  const random = Math.floor(Math.random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0');
  return assertToken(`${role}-${process.pid}-${instanceCounter}${random}`, 'instance id');
}

/** Builds an AgentHandle with the standard state machine and heartbeats from two hooks. */
export function createAgentHandle(
  deps: AgentDeps,
  hooks: AgentHooks,
  options: AgentHandleOptions = {},
): AgentHandle {
  const { role, instanceId, bus, clock, logger } = deps;
  const heartbeatSubject = bus.subjects.heartbeat(role, instanceId);
  let state: AgentState = 'initialized';
  let timer: NodeJS.Timeout | undefined;
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  const abort = new AbortController();
  let resolveStopped!: (value: Error | null) => void;
  const stopped = new Promise<Error | null>((resolve) => (resolveStopped = resolve));

  const beat = () => {
    if (options.heartbeat === false) return;
    try {
      bus.publish(
        heartbeatSubject,
        Heartbeat,
        { type: 'heartbeat.v1', role, instanceId, at: clock.now(), state },
        { trace: false },
      );
    } catch (error) {
      logger.debug('heartbeat not sent', { error });
    }
  };

  const startHeartbeats = () => {
    if (options.heartbeat === false) return;
    beat();
    timer = setInterval(beat, deps.config.mesh.heartbeatMs);
    timer.unref();
  };

  const stopHeartbeats = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };

  /** Runs the stop hook once and settles in `finalState`. */
  const shutdown = (finalState: 'stopped' | 'failed', cause: Error | null): Promise<void> =>
    (stopping ??= (async () => {
      state = 'stopping';
      abort.abort();
      stopHeartbeats();
      beat();
      let error = cause;
      try {
        await hooks.stop();
      } catch (stopError) {
        logger.error('agent did not stop cleanly', { error: stopError });
        error ??= toSliceMeshError(stopError);
      }
      state = error ? 'failed' : finalState;
      beat();
      logger.info(state === 'failed' ? 'agent failed' : 'agent stopped', error ? { error } : {});
      resolveStopped(error);
    })());

  const control: AgentControl = {
    signal: abort.signal,
    fail: (error) => {
      if (state === 'stopped' || state === 'failed') return;
      const err = error instanceof Error ? error : toSliceMeshError(error);
      logger.error('agent reported a fatal error', { error: err });
      void shutdown('failed', err);
    },
  };

  return {
    role,
    instanceId,
    get state() {
      return state;
    },
    stopped,
    start: () => {
      // Starting or running: the same start; anything later cannot start again.
      if (starting && (state === 'initialized' || state === 'running')) return starting;
      if (state !== 'initialized') {
        return Promise.reject(
          new SliceMeshError('internal', `cannot start ${role} agent: it is ${state}`),
        );
      }
      starting = (async () => {
        try {
          await hooks.start(control);
        } catch (error) {
          const err = error instanceof Error ? error : toSliceMeshError(error);
          state = 'failed';
          // Release whatever the start hook opened before it failed.
          try {
            await hooks.stop();
          } catch (stopError) {
            logger.debug('cleanup after a failed start failed too', { error: stopError });
          }
          beat();
          logger.error('agent failed to start', { error: err });
          resolveStopped(err);
          throw err;
        }
        // The agent reported a fatal error while starting: it is already shutting down.
        if (state !== 'initialized') return;
        state = 'running';
        startHeartbeats();
        logger.info('agent running');
      })();
      return starting;
    },
    stop: async () => {
      if (state === 'stopped' || state === 'failed') return;
      if (state === 'initialized' && !starting) {
        state = 'stopped';
        resolveStopped(null);
        return;
      }
      if (starting) {
        try {
          await starting;
        } catch {
          return; // start failed; already cleaned up
        }
      }
      await shutdown('stopped', null);
    },
  };
}

/**
 * A handle with role-specific members added (e.g. `snapshot()`), keeping
 * `state` live. Getters in `extras` stay getters.
 */
export function extendAgentHandle<T extends object>(
  handle: AgentHandle,
  extras: T,
): AgentHandle & T {
  const base: AgentHandle = {
    role: handle.role,
    instanceId: handle.instanceId,
    get state() {
      return handle.state;
    },
    stopped: handle.stopped,
    start: () => handle.start(),
    stop: () => handle.stop(),
  };
  return Object.defineProperties(base, Object.getOwnPropertyDescriptors(extras)) as AgentHandle & T;
}

/**
 * Full agent dependencies from the few an in-process caller gives (at least a
 * bus): the tracer and logger of the bus, the system clock, seed 1 and the
 * configuration of an empty environment.
 */
export function completeAgentDeps(
  partial: Pick<AgentDeps, 'bus'> & Partial<AgentDeps>,
  defaultRole: string,
): AgentDeps {
  const { bus } = partial;
  const role = partial.role ?? defaultRole;
  const instanceId = partial.instanceId ?? newInstanceId(role);
  return {
    role,
    instanceId,
    bus,
    tracer: partial.tracer ?? bus.tracer,
    clock: partial.clock ?? systemClock,
    logger: partial.logger ?? bus.logger.child({ role, instanceId }),
    seed: partial.seed ?? 1,
    config: partial.config ?? loadConfig({}),
  };
}
