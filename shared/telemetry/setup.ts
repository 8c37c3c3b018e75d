/**
 * Tracing setup: a BasicTracerProvider per service (role) whose spans go to an
 * OTLP/HTTP collector (Jaeger), to an OTLP JSON file, and/or to exporters the
 * caller passes (tests use InMemorySpanExporter).
 */
import {
  ProxyTracerProvider,
  context as otelContext,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { join } from 'node:path';
import { OtlpJsonFileExporter } from './file-exporter.js';
import type { TraceFileLimits } from './trace-files.js';

let contextManagerRegistered = false;

/**
 * Registers the AsyncLocalStorage context manager once per process, so the
 * active span survives `await`. Without it `context.with` is a no-op.
 */
export function ensureContextManager(): void {
  if (contextManagerRegistered) return;
  // Returns false when someone else registered one already; that one is used.
  otelContext.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  contextManagerRegistered = true;
}

export interface TracingOptions {
  /** `service.name` shown in Jaeger, e.g. `slicemesh-orchestrator`. */
  serviceName: string;
  /** OTLP/HTTP base URL (as in OTEL_EXPORTER_OTLP_ENDPOINT); spans go to `<url>/v1/traces`. */
  otlpEndpoint?: string;
  /** OTLP JSON file; providers given the same path share one file. */
  traceFile?: string;
  /** Size of the trace file before it rotates, and files kept (default DEFAULT_TRACE_FILE_LIMITS). */
  traceFileLimits?: TraceFileLimits;
  /** More exporters (e.g. InMemorySpanExporter in tests); shut down with the provider. */
  exporters?: SpanExporter[];
  /** Export each span as it ends (tests) instead of in batches (default). */
  simple?: boolean;
  /** Extra resource attributes. */
  resourceAttributes?: Record<string, string | number | boolean>;
  /** Also make this the global tracer provider (for libraries that use the global API). */
  registerGlobal?: boolean;
}

export interface Tracing {
  readonly tracerProvider: TracerProvider;
  /** The trace file spans are written to, if any. */
  readonly traceFile: string | undefined;
  /** A tracer of this provider (name defaults to the service name). */
  tracer(name?: string): Tracer;
  /** Exports every finished span now. */
  flush(): Promise<void>;
  /** Flushes and stops exporting. Idempotent. */
  shutdown(): Promise<void>;
}

/** File exporters shared by every provider writing the same path (one process, many roles). */
const sharedFiles = new Map<string, { exporter: OtlpJsonFileExporter; refs: number }>();

/** The first provider of a path opens it with its limits; later ones share that file. */
function acquireFileExporter(path: string, limits?: TraceFileLimits): SpanExporter {
  let entry = sharedFiles.get(path);
  if (!entry) {
    entry = { exporter: new OtlpJsonFileExporter(path, limits), refs: 0 };
    sharedFiles.set(path, entry);
  }
  entry.refs += 1;
  const shared = entry;
  let released = false;
  return {
    export: (spans, done) => shared.exporter.export(spans, done),
    forceFlush: () => shared.exporter.forceFlush(),
    shutdown: async () => {
      if (released) return;
      released = true;
      shared.refs -= 1;
      if (shared.refs === 0) {
        sharedFiles.delete(path);
        await shared.exporter.shutdown();
      }
    },
  };
}

/** A trace file name in `traceDir` unique to this run: `<name>-<timestamp>.json`. */
export function traceFilePath(traceDir: string, name: string, at: Date = new Date()): string {
  return join(traceDir, `${name}-${at.toISOString().replace(/[:.]/g, '-')}.json`);
}

/** Creates a tracer provider exporting to the configured destinations. */
export function setupTracing(options: TracingOptions): Tracing {
  ensureContextManager();
  const exporters: SpanExporter[] = [...(options.exporters ?? [])];
  if (options.otlpEndpoint) {
    exporters.push(
      new OTLPTraceExporter({ url: `${options.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` }),
    );
  }
  if (options.traceFile)
    exporters.push(acquireFileExporter(options.traceFile, options.traceFileLimits));
  const spanProcessors: SpanProcessor[] = exporters.map((exporter) =>
    options.simple ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter),
  );
  const tracerProvider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      ...options.resourceAttributes,
      [ATTR_SERVICE_NAME]: options.serviceName,
    }),
    spanProcessors,
  });
  if (options.registerGlobal) trace.setGlobalTracerProvider(tracerProvider);
  let shutdown: Promise<void> | undefined;
  return {
    tracerProvider,
    traceFile: options.traceFile,
    tracer: (name = options.serviceName) => tracerProvider.getTracer(name),
    flush: () => tracerProvider.forceFlush(),
    shutdown: () => (shutdown ??= tracerProvider.shutdown()),
  };
}

/** A tracer that records nothing (spans are non-recording), for callers without tracing. */
export function noopTracer(): Tracer {
  // A fresh proxy without a delegate always hands out the no-op tracer.
  return new ProxyTracerProvider().getTracer('slicemesh-noop');
}
