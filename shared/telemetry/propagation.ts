/**
 * W3C trace context in NATS headers, so one slice request is one trace across
 * all agents. Works with any carrier shaped like nats.js `MsgHdrs`.
 */
import {
  type Context,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapSetter,
  context as otelContext,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** The part of nats.js `MsgHdrs` that propagation needs. */
export interface HeaderCarrier {
  get(key: string): string;
  set(key: string, value: string): void;
  has(key: string): boolean;
  keys(): string[];
}

const propagator = new W3CTraceContextPropagator();

const setter: TextMapSetter<HeaderCarrier> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

const getter: TextMapGetter<HeaderCarrier | undefined> = {
  keys: (carrier) => carrier?.keys() ?? [],
  get: (carrier, key) => {
    if (!carrier?.has(key)) return undefined;
    return carrier.get(key);
  },
};

/** Writes `traceparent`/`tracestate` of `ctx` (default: the active context) into `headers`. */
export function injectTraceContext(
  headers: HeaderCarrier,
  ctx: Context = otelContext.active(),
): void {
  propagator.inject(ctx, headers, setter);
}

/** Returns `base` with the remote span context found in `headers` (if any) as parent. */
export function extractTraceContext(
  headers: HeaderCarrier | undefined,
  base: Context = ROOT_CONTEXT,
): Context {
  return propagator.extract(base, headers, getter);
}

/** The trace id of the span in `ctx`, or undefined when there is none. */
export function traceIdOf(ctx: Context = otelContext.active()): string | undefined {
  const sc = trace.getSpanContext(ctx);
  return sc && trace.isSpanContextValid(sc) ? sc.traceId : undefined;
}
