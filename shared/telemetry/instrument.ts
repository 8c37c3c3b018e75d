/**
 * `instrument()` wraps one unit of work in a span: it becomes the active span
 * for the callback (so bus calls inside join the trace), exceptions are
 * recorded, the status is set and the span always ends.
 */
import {
  type Attributes,
  type Context,
  type Span,
  type SpanKind,
  SpanStatusCode,
  type Tracer,
  context as otelContext,
  trace,
} from '@opentelemetry/api';
import { isSliceMeshError } from '../contracts/errors.js';
import { ATTR } from './names.js';

export interface InstrumentOptions {
  kind?: SpanKind;
  /** Parent context; default: the active one. */
  context?: Context;
}

/** Marks `span` as failed with `error` (exception event, ERROR status, error code attribute). */
export function recordError(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  if (isSliceMeshError(error)) span.setAttribute(ATTR.errorCode, error.code);
}

/** Runs `fn` inside a new active span named `spanName`; rethrows whatever `fn` throws. */
export async function instrument<T>(
  tracer: Tracer,
  spanName: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T> | T,
  options: InstrumentOptions = {},
): Promise<T> {
  const parent = options.context ?? otelContext.active();
  const span = tracer.startSpan(
    spanName,
    options.kind === undefined ? { attributes } : { attributes, kind: options.kind },
    parent,
  );
  try {
    return await otelContext.with(trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    recordError(span, error);
    throw error;
  } finally {
    span.end();
  }
}
