/**
 * Telemetry role: KPIs → per-slice QoE against the SLA, one durable SLA
 * violation per breach episode, running totals (`snapshot()` and the
 * summary service) and OpenTelemetry metrics (Prometheus scrape endpoint,
 * OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set).
 */
import {
  createAgentHandle,
  type AgentDeps,
  type AgentHandle,
  extendAgentHandle,
} from '../../shared/runtime/agent.js';
import type { SliceMeshConfig } from '../../shared/runtime/config.js';
import { createTelemetryCore, type TelemetryConfig, type TelemetryCore } from './agent.js';

export type { TelemetryConfig, TelemetryCore } from './agent.js';
export { DEFAULT_HYSTERESIS, type HysteresisOptions } from './breach.js';
export { METRIC } from './metrics.js';
export {
  judgeSample,
  slaLimits,
  type Breach,
  type JudgedFigures,
  type SampleVerdict,
  type SlaDimension,
  type SlaLimits,
} from './sla.js';

export type TelemetryAgent = AgentHandle & TelemetryCore;

/** The agent's settings from the environment configuration. */
export function telemetryConfigFrom(config: SliceMeshConfig): TelemetryConfig {
  return {
    prometheusPort: config.telemetry.prometheusPort,
    ...(config.tracing.otlpEndpoint === undefined
      ? {}
      : { otlpEndpoint: config.tracing.otlpEndpoint }),
  };
}

/** Creates the telemetry agent; start() rejects with `config` when the Prometheus port is taken. */
export function createTelemetryAgent(
  deps: AgentDeps,
  config: TelemetryConfig = telemetryConfigFrom(deps.config),
): TelemetryAgent {
  const core = createTelemetryCore(deps, config);
  const handle = createAgentHandle(deps, { start: () => core.start(), stop: () => core.stop() });
  return extendAgentHandle(handle, {
    snapshot: () => core.snapshot(),
    get prometheusUrl() {
      return core.prometheusUrl;
    },
  });
}
