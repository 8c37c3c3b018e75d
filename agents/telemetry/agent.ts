/**
 * The telemetry agent: learns each slice's SLA from slice events, judges its
 * KPI samples (QoE, breach episodes with hysteresis), publishes one durable
 * SLA violation per breach episode to the slice-manager's intake, keeps the
 * running totals and exports them as OpenTelemetry metrics (Prometheus
 * scrape endpoint, OTLP/HTTP when configured).
 */
import type { Context } from '@opentelemetry/api';
import type { MessageContext, Subscription } from '../../shared/bus/index.js';
import { ENDPOINTS } from '../../shared/contracts/endpoints.js';
import {
  KpiSample,
  SliceEvent,
  SlaViolation,
  type TelemetrySummary,
  isSliceMeshError,
} from '../../shared/contracts/index.js';
import type { ModelConfig } from '../../shared/model/index.js';
import type { AgentDeps } from '../../shared/runtime/agent.js';
import { ATTR, SPAN, extractTraceContext, instrument } from '../../shared/telemetry/index.js';
import { DEFAULT_HYSTERESIS, type HysteresisOptions } from './breach.js';
import { TelemetryLedger } from './ledger.js';
import { startMetrics, type TelemetryMetrics } from './metrics.js';

export interface TelemetryConfig {
  /** Prometheus scrape port: 0 picks a free one (logged), -1 disables it. */
  readonly prometheusPort: number;
  /** Interface of the scrape endpoint (default: all). */
  readonly prometheusHost?: string;
  /** OTLP/HTTP base URL for metrics (OTEL_EXPORTER_OTLP_ENDPOINT). */
  readonly otlpEndpoint?: string;
  readonly otlpIntervalMs?: number;
  readonly hysteresis?: Partial<HysteresisOptions>;
  readonly modelConfig?: ModelConfig;
  /** `service.name` of the metrics (default `slicemesh-telemetry`). */
  readonly serviceName?: string;
}

/** What the core needs of the agent's dependencies. */
export type TelemetryDeps = Pick<AgentDeps, 'bus' | 'clock' | 'logger' | 'tracer'>;

/** What the agent offers beyond start/stop. */
export interface TelemetryCore {
  /** Running totals and per-slice QoE now. */
  snapshot(): TelemetrySummary;
  /** The Prometheus scrape URL while the endpoint runs. */
  readonly prometheusUrl: string | undefined;
}

interface Running {
  readonly subscriptions: Subscription[];
  readonly metrics: TelemetryMetrics;
}

export function createTelemetryCore(deps: TelemetryDeps, config: TelemetryConfig) {
  const { bus, clock, logger, tracer } = deps;
  const subjects = bus.subjects;
  const ledgerOptions = {
    hysteresis: { ...DEFAULT_HYSTERESIS, ...config.hysteresis },
    ...(config.modelConfig === undefined ? {} : { modelConfig: config.modelConfig }),
  };
  let ledger = new TelemetryLedger(ledgerOptions);
  let running: Running | undefined;

  const publishViolation = (violation: SlaViolation, msgId: string, parent: Context) =>
    instrument(
      tracer,
      SPAN.telemetryViolation,
      { [ATTR.sliceId]: violation.sliceId, [ATTR.slaDimension]: violation.dimension },
      async () => {
        const result = await bus.jsPublish(
          subjects.slaViolation(violation.sliceId),
          SlaViolation,
          violation,
          { msgId, retryForMs: 10_000 },
        );
        if (result.duplicate) {
          logger.debug('violation already stored', { sliceId: violation.sliceId, msgId });
          return;
        }
        ledger.noteViolation(violation.sliceId);
        running?.metrics.recordViolation(violation.dimension);
        logger.info('SLA violation', {
          sliceId: violation.sliceId,
          dimension: violation.dimension,
          observed: violation.observed,
          limit: violation.limit,
        });
      },
      { context: parent },
    );

  const handleKpi = async (sample: KpiSample, ctx: MessageContext) => {
    const outcome = ledger.onKpi(sample, clock.now());
    if (!outcome.known || outcome.verdict === undefined) return;
    const profile = outcome.record?.profile;
    running?.metrics.recordSample(sample.latencyMs, outcome.verdict.qoe, {
      service_type: profile?.serviceType ?? 'unknown',
      latency_class: profile?.latency ?? 'unknown',
    });
    if (outcome.opened === undefined) return;
    const { breach, msgId } = outcome.opened;
    try {
      await publishViolation(
        {
          type: 'sla.violation.v1',
          sliceId: sample.sliceId,
          at: sample.at,
          dimension: breach.dimension,
          observed: breach.observed,
          limit: breach.limit,
        },
        msgId,
        // Samples sent on an apply or a load change carry the slice's trace; periodic ones start a new one.
        extractTraceContext(ctx.headers),
      );
    } catch (error) {
      // The episode stays open: the slice-manager learns of it from the next episode.
      logger.error('could not publish an SLA violation', {
        sliceId: sample.sliceId,
        code: isSliceMeshError(error) ? error.code : 'internal',
        error,
      });
    }
  };

  const snapshot = () => ledger.summary(clock.now());

  const core: TelemetryCore & { start(): Promise<void>; stop(): Promise<void> } = {
    snapshot,
    get prometheusUrl() {
      return running?.metrics.prometheusUrl;
    },
    async start() {
      if (running !== undefined) return;
      ledger = new TelemetryLedger(ledgerOptions);
      // The violation intake is the slice-manager's stream; make sure it exists whoever starts first.
      await bus.ensureStreams();
      const metrics = await startMetrics(
        {
          serviceName: config.serviceName ?? 'slicemesh-telemetry',
          prometheusPort: config.prometheusPort,
          ...(config.prometheusHost === undefined ? {} : { prometheusHost: config.prometheusHost }),
          ...(config.otlpEndpoint === undefined ? {} : { otlpEndpoint: config.otlpEndpoint }),
          ...(config.otlpIntervalMs === undefined ? {} : { otlpIntervalMs: config.otlpIntervalMs }),
        },
        {
          activeSlices: () => ledger.activeCount(),
          availabilityRatio: () => ledger.availabilityRatio(),
          requests: () => ledger.totals().requests,
          served: () => ledger.totals().served,
          adaptations: () => ledger.totals().adaptations,
        },
      );
      const r: Running = { subscriptions: [], metrics };
      running = r;
      const queue = subjects.queueGroup('telemetry');
      r.subscriptions.push(
        bus.subscribe(subjects.sliceEventsAll(), SliceEvent, (e) => ledger.onSliceEvent(e), {
          trace: false,
        }),
        bus.subscribe(subjects.kpiAll(), KpiSample, handleKpi, { trace: false }),
        bus.serve(ENDPOINTS.telemetrySummary, snapshot, { queue }),
      );
      // Live once the server has processed the subscriptions: start() means listening.
      await bus.flush();
      if (metrics.prometheusUrl !== undefined)
        logger.info('Prometheus metrics served', { url: metrics.prometheusUrl });
      if (config.otlpEndpoint !== undefined)
        logger.info('exporting metrics over OTLP', { endpoint: config.otlpEndpoint });
    },
    async stop() {
      const r = running;
      if (r === undefined) return;
      await Promise.allSettled(r.subscriptions.map((s) => s.stop()));
      running = undefined;
      await r.metrics.shutdown();
    },
  };
  return core;
}
