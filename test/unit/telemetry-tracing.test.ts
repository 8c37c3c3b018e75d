import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import {
  ATTR,
  extractTraceContext,
  injectTraceContext,
  instrument,
  setupTracing,
  traceIdOf,
} from '../../shared/telemetry/index.js';
import { testTracing } from '../helpers/tracing.js';

const dir = mkdtempSync(join(tmpdir(), 'slicemesh-trace-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trace context in NATS headers', () => {
  it('round-trips the active span through traceparent', async () => {
    const tracing = testTracing();
    await instrument(tracing.tracer(), 'sender', {}, async (span) => {
      const h = natsHeaders();
      injectTraceContext(h);
      expect(h.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const extracted = extractTraceContext(h);
      const remote = trace.getSpanContext(extracted);
      expect(remote?.traceId).toBe(span.spanContext().traceId);
      expect(remote?.spanId).toBe(span.spanContext().spanId);
      expect(remote?.isRemote).toBe(true);
    });
    await tracing.shutdown();
  });

  it('extracts nothing from missing or garbage headers', () => {
    expect(traceIdOf(extractTraceContext(undefined))).toBeUndefined();
    const h = natsHeaders();
    h.set('traceparent', 'not-a-traceparent');
    expect(traceIdOf(extractTraceContext(h))).toBeUndefined();
  });
});

describe('instrument', () => {
  it('makes the span active across awaits and ends it', async () => {
    const tracing = testTracing();
    const inner = await instrument(
      tracing.tracer(),
      'outer',
      { [ATTR.sliceId]: 's1' },
      async () => {
        await new Promise((r) => setTimeout(r, 1));
        return trace.getSpan(context.active())?.spanContext().spanId;
      },
    );
    const [span] = tracing.spansNamed('outer');
    expect(span?.spanContext().spanId).toBe(inner);
    expect(span?.attributes[ATTR.sliceId]).toBe('s1');
    expect(span?.status.code).not.toBe(SpanStatusCode.ERROR);
    await tracing.shutdown();
  });

  it('records the exception, error status and code, and rethrows', async () => {
    const tracing = testTracing();
    await expect(
      instrument(tracing.tracer(), 'failing', {}, () => {
        throw new SliceMeshError('infeasible', 'no node fits');
      }),
    ).rejects.toThrow('no node fits');
    const [span] = tracing.spansNamed('failing');
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no node fits' });
    expect(span?.attributes[ATTR.errorCode]).toBe('infeasible');
    expect(span?.events.some((e) => e.name === 'exception')).toBe(true);
    await tracing.shutdown();
  });
});

describe('OTLP JSON trace file', () => {
  it('is one valid {"resourceSpans":[...]} document after every export, shared by providers', async () => {
    const file = join(dir, 'mesh.json');
    const a = setupTracing({ serviceName: 'slicemesh-a', traceFile: file, simple: true });
    const b = setupTracing({ serviceName: 'slicemesh-b', traceFile: file, simple: true });
    await instrument(a.tracer(), 'first', {}, () =>
      instrument(b.tracer(), 'second', {}, () => undefined),
    );
    const doc = JSON.parse(readFileSync(file, 'utf8')) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] };
        scopeSpans: {
          spans: { name: string; traceId: string; spanId: string; parentSpanId?: string }[];
        }[];
      }[];
    };
    expect(doc.resourceSpans).toHaveLength(2);
    const services = doc.resourceSpans.map(
      (r) => r.resource.attributes.find((x) => x.key === 'service.name')?.value.stringValue,
    );
    expect(services.sort()).toEqual(['slicemesh-a', 'slicemesh-b']);
    const spans = doc.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const first = spans.find((s) => s.name === 'first')!;
    const second = spans.find((s) => s.name === 'second')!;
    expect(first.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(second.traceId).toBe(first.traceId);
    expect(second.parentSpanId).toBe(first.spanId);
    await a.shutdown();
    // Still valid after one sharer shut down and the other keeps writing.
    await instrument(b.tracer(), 'third', {}, () => undefined);
    await b.shutdown();
    const after = JSON.parse(readFileSync(file, 'utf8')) as { resourceSpans: unknown[] };
    expect(after.resourceSpans).toHaveLength(3);
  });
});
