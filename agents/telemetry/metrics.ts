/**
 * OpenTelemetry metrics of the mesh: a Prometheus scrape endpoint (our own
 * HTTP server around the exporter's request handler, so port 0 can pick a
 * free port) and, when an OTLP endpoint is configured, periodic OTLP/HTTP
 * export to `<endpoint>/v1/metrics`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Attributes, Counter, Histogram } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type IMetricReader,
} from '@opentelemetry/sdk-metrics';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { SliceMeshError } from '../../shared/contracts/index.js';

/** The metric names, as Prometheus shows them. */
export const METRIC = {
  slicesActive: 'slicemesh_slices_active',
  sliceLatency: 'slicemesh_slice_latency_ms',
  sliceQoe: 'slicemesh_slice_qoe',
  /** Prometheus adds `_total` to counters: scraped as `slicemesh_sla_violations_total`. */
  slaViolations: 'slicemesh_sla_violations',
  availability: 'slicemesh_availability_ratio',
  requests: 'slicemesh_slice_requests',
  served: 'slicemesh_slices_served',
  adaptations: 'slicemesh_adaptations',
  kpiSamples: 'slicemesh_kpi_samples',
} as const;

/** Latency buckets around the class limits (30 / 100 / 150 ms). */
const LATENCY_BUCKETS_MS = [5, 10, 20, 30, 40, 50, 75, 100, 125, 150, 200, 300, 500, 1000];
const QOE_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1];

/** Where gauge and counter values are read at collection time. */
export interface MetricsSource {
  activeSlices(): number;
  availabilityRatio(): number;
  requests(): number;
  served(): number;
  adaptations(): number;
}

export interface MetricsOptions {
  /** `service.name` of the exported metrics. */
  serviceName: string;
  /** Prometheus scrape port: 0 picks a free one, -1 disables the endpoint. */
  prometheusPort: number;
  /** Interface to listen on (default: all). */
  prometheusHost?: string;
  /** OTLP/HTTP base URL; metrics go to `<url>/v1/metrics`. */
  otlpEndpoint?: string;
  /** OTLP export interval (default 15 s). */
  otlpIntervalMs?: number;
  /** More readers (tests). */
  readers?: IMetricReader[];
}

export interface TelemetryMetrics {
  /** The scrape URL, when the Prometheus endpoint runs. */
  readonly prometheusUrl: string | undefined;
  /** One judged KPI sample. */
  recordSample(latencyMs: number, qoe: number | undefined, attributes: Attributes): void;
  recordViolation(dimension: string): void;
  /** Flushes and stops the readers and the HTTP server. Idempotent. */
  shutdown(): Promise<void>;
}

async function listen(server: Server, port: number, host: string | undefined): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new SliceMeshError(
          'config',
          error.code === 'EADDRINUSE'
            ? `Prometheus port ${port} is in use: set SLICEMESH_PROMETHEUS_PORT to a free port, 0 for any, or -1 to disable`
            : `cannot serve Prometheus metrics on port ${port}: ${error.message}`,
          { cause: error },
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Creates the meter provider and instruments, and starts the scrape endpoint if enabled. */
export async function startMetrics(
  options: MetricsOptions,
  source: MetricsSource,
): Promise<TelemetryMetrics> {
  const readers: IMetricReader[] = [...(options.readers ?? [])];
  let server: Server | undefined;
  let prometheusUrl: string | undefined;
  if (options.prometheusPort >= 0) {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    readers.push(exporter);
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/metrics') {
        exporter.getMetricsRequestHandler(req, res);
        return;
      }
      res.statusCode = 404;
      res.end('not found: metrics are served at /metrics\n');
    });
    const port = await listen(server, options.prometheusPort, options.prometheusHost);
    prometheusUrl = `http://${options.prometheusHost ?? 'localhost'}:${port}/metrics`;
  }
  if (options.otlpEndpoint !== undefined) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({
          url: `${options.otlpEndpoint.replace(/\/+$/, '')}/v1/metrics`,
        }),
        exportIntervalMillis: options.otlpIntervalMs ?? 15_000,
      }),
    );
  }
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    readers,
  });
  const meter = provider.getMeter('slicemesh-telemetry');

  const latency: Histogram = meter.createHistogram(METRIC.sliceLatency, {
    description: 'End-to-end latency of active slices, per KPI sample',
    unit: 'ms',
    advice: { explicitBucketBoundaries: LATENCY_BUCKETS_MS },
  });
  const qoe: Histogram = meter.createHistogram(METRIC.sliceQoe, {
    description: 'Preference-weighted QoE of active slices against their SLA (1 = every limit met)',
    advice: { explicitBucketBoundaries: QOE_BUCKETS },
  });
  const violations: Counter = meter.createCounter(METRIC.slaViolations, {
    description: 'SLA violations published (one per breach episode)',
  });
  const samples: Counter = meter.createCounter(METRIC.kpiSamples, {
    description: 'KPI samples received',
  });
  meter
    .createObservableGauge(METRIC.slicesActive, { description: 'Slices holding resources' })
    .addCallback((r) => r.observe(source.activeSlices()));
  meter
    .createObservableGauge(METRIC.availability, {
      description: 'Served slices / requested slices',
    })
    .addCallback((r) => r.observe(source.availabilityRatio()));
  meter
    .createObservableCounter(METRIC.requests, { description: 'Slices requested' })
    .addCallback((r) => r.observe(source.requests()));
  meter
    .createObservableCounter(METRIC.served, {
      description: 'Slices served with every QoE constraint met',
    })
    .addCallback((r) => r.observe(source.served()));
  meter
    .createObservableCounter(METRIC.adaptations, { description: 'Slice adaptations started' })
    .addCallback((r) => r.observe(source.adaptations()));

  let stopped: Promise<void> | undefined;
  return {
    prometheusUrl,
    recordSample(latencyMs, qoeValue, attributes) {
      samples.add(1, attributes);
      latency.record(latencyMs, attributes);
      if (qoeValue !== undefined) qoe.record(qoeValue, attributes);
    },
    recordViolation(dimension) {
      violations.add(1, { dimension });
    },
    shutdown: () =>
      (stopped ??= (async () => {
        try {
          await provider.shutdown();
        } finally {
          if (server !== undefined) {
            const s = server;
            const closed = new Promise<void>((resolve) => s.close(() => resolve()));
            // Scrapers keep connections alive; close() alone would wait for them.
            s.closeAllConnections();
            await closed;
          }
        }
      })()),
  };
}
