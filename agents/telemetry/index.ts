/**
 * Telemetry role: KPIs → per-slice QoE against the SLA, one durable SLA
 * violation per breach episode, running totals and OpenTelemetry metrics.
 */
import { SliceMeshError, toSliceMeshError } from '../../shared/contracts/index.js';
import type { SliceMeshConfig } from '../../shared/runtime/config.js';
import {
  createTelemetryCore,
  type TelemetryConfig,
  type TelemetryCore,
  type TelemetryDeps,
} from './agent.js';

export type { TelemetryConfig, TelemetryCore, TelemetryDeps } from './agent.js';
export { DEFAULT_HYSTERESIS, type HysteresisOptions } from './breach.js';
export { METRIC } from './metrics.js';

export type AgentState = 'initialized' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface TelemetryAgent extends TelemetryCore {
  readonly role: 'telemetry';
  readonly state: AgentState;
  /** Resolves when the agent has stopped: null after stop(), the error if it failed. */
  readonly stopped: Promise<Error | null>;
  /** Subscribes and starts the metrics endpoint; `config` error when its port is taken. */
  start(): Promise<void>;
  /** Stops listening, flushes metrics and closes the scrape endpoint. Idempotent. */
  stop(): Promise<void>;
}

/** The agent's settings from the environment configuration. */
export function telemetryConfigFrom(config: SliceMeshConfig): TelemetryConfig {
  return {
    prometheusPort: config.telemetry.prometheusPort,
    ...(config.tracing.otlpEndpoint === undefined
      ? {}
      : { otlpEndpoint: config.tracing.otlpEndpoint }),
  };
}

export function createTelemetryAgent(deps: TelemetryDeps, config: TelemetryConfig): TelemetryAgent {
  const core = createTelemetryCore(deps, config);
  let state: AgentState = 'initialized';
  let settle: (result: Error | null) => void = () => undefined;
  const stopped = new Promise<Error | null>((resolve) => (settle = resolve));
  let stopping: Promise<void> | undefined;

  return {
    role: 'telemetry',
    get state() {
      return state;
    },
    stopped,
    snapshot: () => core.snapshot(),
    get prometheusUrl() {
      return core.prometheusUrl;
    },
    async start() {
      if (state !== 'initialized') {
        throw new SliceMeshError('internal', `the telemetry agent cannot start when ${state}`);
      }
      try {
        await core.start();
        state = 'running';
      } catch (error) {
        state = 'failed';
        await core.stop().catch(() => undefined);
        const err = toSliceMeshError(error);
        settle(err);
        throw err;
      }
    },
    stop() {
      if (state === 'initialized' || state === 'failed') {
        if (state === 'initialized') {
          state = 'stopped';
          settle(null);
        }
        return Promise.resolve();
      }
      return (stopping ??= (async () => {
        state = 'stopping';
        try {
          await core.stop();
          state = 'stopped';
          settle(null);
        } catch (error) {
          state = 'failed';
          settle(toSliceMeshError(error));
        }
      })());
    },
  };
}
