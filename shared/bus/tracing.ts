/** Spans of the bus layer: one per send and one per handled message. */
import {
  type Context,
  type Span,
  SpanKind,
  context as otelContext,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/nats-core';
import { ATTR } from '../telemetry/names.js';
import { extractTraceContext, injectTraceContext } from '../telemetry/propagation.js';

/** Domain attributes read off a message, so spans can be found by slice id in Jaeger. */
export function messageAttributes(msg: unknown): Record<string, string> {
  const attrs: Record<string, string> = {};
  if (typeof msg === 'object' && msg !== null) {
    const { sliceId, type } = msg as { sliceId?: unknown; type?: unknown };
    if (typeof sliceId === 'string') attrs[ATTR.sliceId] = sliceId;
    if (typeof type === 'string') attrs[ATTR.messageType] = type;
  }
  return attrs;
}

/** Starts a PRODUCER/CLIENT span under the active context and writes its context into `headers`. */
export function startSendSpan(
  tracer: Tracer,
  kind: SpanKind,
  name: string,
  subject: string,
  msg: unknown,
  headers: MsgHdrs,
): Span {
  const parent = otelContext.active();
  const span = tracer.startSpan(
    `${name} ${subject}`,
    {
      kind,
      attributes: {
        [ATTR.messagingSystem]: 'nats',
        [ATTR.messagingDestination]: subject,
        [ATTR.messagingOperation]: 'send',
        ...messageAttributes(msg),
      },
    },
    parent,
  );
  injectTraceContext(headers, trace.setSpan(parent, span));
  return span;
}

/** Starts the SERVER/CONSUMER span of a handler, child of the sender's span found in `headers`. */
export function startHandlerSpan(
  tracer: Tracer,
  kind: SpanKind,
  name: string,
  pattern: string,
  subject: string,
  headers: MsgHdrs | undefined,
  attributes: Record<string, string | number>,
): { span: Span; context: Context } {
  const parent = extractTraceContext(headers);
  const span = tracer.startSpan(
    `${name} ${pattern}`,
    {
      kind,
      attributes: {
        [ATTR.messagingSystem]: 'nats',
        [ATTR.messagingDestination]: subject,
        [ATTR.messagingOperation]: kind === SpanKind.SERVER ? 'process' : 'receive',
        ...attributes,
      },
    },
    parent,
  );
  return { span, context: trace.setSpan(parent, span) };
}
