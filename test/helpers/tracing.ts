/** In-memory tracing for tests: spans are exported as they end and can be inspected. */
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { type Tracing, setupTracing } from '../../shared/telemetry/index.js';

export interface TestTracing extends Tracing {
  readonly exporter: InMemorySpanExporter;
  /** Finished spans so far. */
  spans(): ReadableSpan[];
  /** Finished spans with this exact name. */
  spansNamed(name: string): ReadableSpan[];
}

/** A tracer provider with an InMemorySpanExporter and a SimpleSpanProcessor. */
export function testTracing(serviceName = 'test'): TestTracing {
  const exporter = new InMemorySpanExporter();
  const tracing = setupTracing({ serviceName, exporters: [exporter], simple: true });
  return {
    ...tracing,
    exporter,
    spans: () => exporter.getFinishedSpans(),
    spansNamed: (name) => exporter.getFinishedSpans().filter((s) => s.name === name),
  };
}
