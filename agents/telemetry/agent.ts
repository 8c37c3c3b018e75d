/**
 * The telemetry agent: learns each slice's SLA from slice events, judges its
 * KPI samples (QoE, breach episodes with hysteresis), publishes one durable
 * SLA violation per breach episode to the slice-manager's intake, keeps the
 * running totals and exports them as OpenTelemetry metrics (Prometheus
 * scrape endpoint, OTLP/HTTP when configured).
 *
 * The totals survive a restart: slice events come from a durable consumer of
 * the event stream, and the ledger is checkpointed in a KV bucket after every
 * event it applies (before the event is acknowledged), with the stream
 * sequence it reached; KPI counts are checkpointed every few seconds and on
 * stop. One telemetry agent per namespace: the checkpoint is the namespace's.
 */
import type { Context } from '@opentelemetry/api';
import type { ConsumerHandle, MessageContext, Subscription } from '../../shared/bus/index.js';
import { ChunkedRecord } from '../../shared/bus/chunked-record.js';
import { subscribeKpis } from '../../shared/clients/kpis.js';
import { ENDPOINTS } from '../../shared/contracts/endpoints.js';
import {
  type KpiSample,
  SliceEvent,
  SliceMeshError,
  SlaViolation,
  SUMMARY_SLICES_LIMIT,
  type TelemetrySummary,
  type TelemetrySummaryRequest,
  isSliceMeshError,
} from '../../shared/contracts/index.js';
import type { ModelConfig } from '../../shared/model/index.js';
import type { AgentDeps } from '../../shared/runtime/agent.js';
import { PacedWriter } from '../../shared/runtime/paced-writer.js';
import { ATTR, SPAN, extractTraceContext, instrument } from '../../shared/telemetry/index.js';
import { DEFAULT_HYSTERESIS, type HysteresisOptions } from './breach.js';
import { LEDGER_KEY, StoredLedger } from './checkpoint.js';
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
  /** How often KPI counts are checkpointed (default 5 s; slice events are checkpointed at once). */
  readonly checkpointIntervalMs?: number;
}

/** Durable consumer of the slice-event stream. */
export const TELEMETRY_DURABLE = 'telemetry';

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
  readonly store: ChunkedRecord<typeof StoredLedger>;
  events?: ConsumerHandle;
  timer?: NodeJS.Timeout;
}

/** Slice events handled at once, all acknowledged by the ledger write that follows them. */
const EVENTS_IN_FLIGHT = 256;

export function createTelemetryCore(deps: TelemetryDeps, config: TelemetryConfig) {
  const { bus, clock, logger, tracer } = deps;
  const subjects = bus.subjects;
  const ledgerOptions = {
    hysteresis: { ...DEFAULT_HYSTERESIS, ...config.hysteresis },
    ...(config.modelConfig === undefined ? {} : { modelConfig: config.modelConfig }),
  };
  let ledger = new TelemetryLedger(ledgerOptions);
  let running: Running | undefined;
  /** Last slice-event stream sequence the ledger has applied. */
  let lastSeq = 0;
  /** The ledger changed since the last checkpoint. */
  let dirty = false;
  /**
   * Writes the ledger as it is when each write starts, coalesced and paced: events that
   * arrive while a write runs share the next one, so a large ledger is written less
   * often rather than once per event.
   */
  const writeLedger = async () => {
    const store = running?.store;
    if (store === undefined) return;
    dirty = false;
    try {
      await store.save({
        type: 'telemetry.ledger.v1',
        lastSeq,
        at: clock.now(),
        ledger: ledger.checkpoint(),
      });
    } catch (error) {
      dirty = true;
      throw error;
    }
  };
  const writer = new PacedWriter(writeLedger);
  const checkpoint = (): Promise<void> => writer.request();

  /** A checkpoint whose failure is only logged (the next one carries the same state). */
  const checkpointQuietly = (why: string) =>
    checkpoint().catch((error: unknown) =>
      logger.warn('could not checkpoint the telemetry ledger', { why, error }),
    );

  const handleSliceEvent = async (event: SliceEvent, ctx: MessageContext) => {
    const seq = ctx.streamSeq;
    if (seq === undefined)
      throw new SliceMeshError('internal', 'slice event without a stream sequence');
    if (seq > lastSeq) {
      ledger.onSliceEvent(event);
      lastSeq = seq;
      dirty = true;
    } else if (!dirty) {
      return; // applied and checkpointed before: a redelivery
    }
    // Acknowledged only once checkpointed: a crash before that redelivers the event to a
    // ledger restored without it. A failed write is retried through the redelivery.
    if (running !== undefined) await checkpoint();
  };

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
        dirty = true;
        running?.metrics.recordViolation(violation.dimension);
        if (running !== undefined) void checkpointQuietly('violation');
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
    dirty = true;
    if (!outcome.known || outcome.verdict === undefined) return;
    const profile = outcome.profile;
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
  /** The endpoint's answer: always one bounded page of the live slices. */
  const summaryPage = (request: TelemetrySummaryRequest) =>
    ledger.summary(clock.now(), { ...request, limit: request.limit ?? SUMMARY_SLICES_LIMIT });

  const core: TelemetryCore & { start(): Promise<void>; stop(): Promise<void> } = {
    snapshot,
    get prometheusUrl() {
      return running?.metrics.prometheusUrl;
    },
    async start() {
      if (running !== undefined) return;
      // The violation intake is the slice-manager's stream; make sure it exists whoever starts first.
      await bus.ensureStreams();
      const store = await ChunkedRecord.open(
        bus,
        subjects.telemetryBucket,
        LEDGER_KEY,
        StoredLedger,
      );
      ledger = new TelemetryLedger(ledgerOptions);
      lastSeq = 0;
      dirty = false;
      try {
        const stored = await store.load();
        if (stored !== null) {
          ledger = TelemetryLedger.restore(stored.ledger, ledgerOptions);
          lastSeq = stored.lastSeq;
          logger.info('telemetry ledger restored', {
            lastSeq,
            requests: stored.ledger.totals.requests,
          });
        }
      } catch (error) {
        // Unreadable (e.g. written by an incompatible version): start from zero rather than not at all.
        logger.error('could not restore the telemetry ledger; totals start from zero', { error });
      }
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
      const r: Running = { subscriptions: [], metrics, store };
      running = r;
      const queue = subjects.queueGroup('telemetry');
      r.subscriptions.push(
        subscribeKpis(bus, handleKpi),
        bus.serve(ENDPOINTS.telemetrySummary, summaryPage, { queue }),
      );
      r.events = await bus.consume(
        subjects.eventStream,
        TELEMETRY_DURABLE,
        subjects.sliceEventsAll(),
        SliceEvent,
        handleSliceEvent,
        // Events are applied to the ledger in stream order as they arrive (the handler's
        // synchronous part), then wait for a ledger write that includes them: many in flight
        // share one write. One at a time, each waited for its own write, and at a few hundred
        // live slices telemetry fell thousands of events behind the mesh.
        { concurrency: EVENTS_IN_FLIGHT },
      );
      const interval = config.checkpointIntervalMs ?? 5_000;
      r.timer = setInterval(() => {
        if (dirty) void checkpointQuietly('interval');
      }, interval);
      r.timer.unref();
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
      clearInterval(r.timer);
      await Promise.allSettled([
        ...r.subscriptions.map((s) => s.stop()),
        ...(r.events === undefined ? [] : [r.events.stop()]),
      ]);
      // What came in since the last checkpoint (KPI counts): a clean restart loses nothing.
      if (dirty) await checkpointQuietly('stop');
      else await writer.flush();
      running = undefined;
      await r.metrics.shutdown();
    },
  };
  return core;
}
