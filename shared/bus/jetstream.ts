/**
 * Durable messaging on JetStream: idempotent stream setup, deduplicated
 * publishing, and durable pull consumers that ack only after the handler
 * finished, so an accepted message is handled at least once even across
 * agent crashes and NATS restarts.
 */
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { type NatsConnection, headers as natsHeaders, nanos } from '@nats-io/nats-core';
import { SpanKind, context as otelContext, type Tracer } from '@opentelemetry/api';
import type { z } from 'zod';
import { SliceMeshError, toSliceMeshError } from '../contracts/errors.js';
import type { Logger } from '../runtime/logger.js';
import { recordError } from '../telemetry/instrument.js';
import { ATTR, SPAN } from '../telemetry/names.js';
import { traceIdOf } from '../telemetry/propagation.js';
import type { CounterSet } from './counters.js';
import { isStreamNotFound } from './kv.js';
import { DUPLICATE_WINDOW_MS, jetstreamLimit } from './limits.js';
import { messageAttributes, startHandlerSpan, startSendSpan } from './tracing.js';
import type {
  ConsumeOptions,
  ConsumerHandle,
  Handler,
  JsPublishOptions,
  JsPublishResult,
  MessageContext,
  StreamSpec,
} from './types.js';
import { HEADER, decodeMessage, encodeMessage, errorReply, fromNatsError } from './wire.js';

/** What the JetStream functions need from the bus. */
export interface JsDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm(): Promise<JetStreamManager>;
  tracer: Tracer;
  logger: Logger;
  counters: CounterSet;
  maxPayloadBytes: number;
  /** Counts a refused message and logs it (rate-limited by the bus). */
  noteInvalid(key: string, error: SliceMeshError, subject: string): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Redelivery delay after the n-th failed delivery: 250 ms doubling, capped at 30 s. */
export function retryDelayMs(deliveryCount: number): number {
  return Math.min(30_000, 250 * 2 ** Math.max(0, deliveryCount - 1));
}

/**
 * Creates the stream, or updates subjects, limits and replica count of an existing one.
 * Lowering a limit of a stream that holds more removes its oldest messages at once
 * (JetStream's doing); a changed replica count is copied to or removed from the nodes.
 */
export async function ensureStream(deps: JsDeps, spec: StreamSpec): Promise<void> {
  const jsm = await deps.jsm();
  const maxAgeMs = spec.maxAgeMs ?? 0;
  const duplicateWindowMs = spec.duplicateWindowMs ?? DUPLICATE_WINDOW_MS;
  const wanted = {
    // JetStream refuses a deduplication window longer than the stream keeps its messages.
    duplicate_window: nanos(
      maxAgeMs > 0 ? Math.min(duplicateWindowMs, maxAgeMs) : duplicateWindowMs,
    ),
    max_age: nanos(maxAgeMs),
    max_bytes: jetstreamLimit(spec.maxBytes ?? 0),
    max_msgs: jetstreamLimit(spec.maxMessages ?? 0),
    num_replicas: spec.replicas ?? 1,
  };
  try {
    try {
      const info = await jsm.streams.info(spec.name);
      const current = info.config;
      const same =
        JSON.stringify([...(current.subjects ?? [])].sort()) ===
          JSON.stringify([...spec.subjects].sort()) &&
        current.duplicate_window === wanted.duplicate_window &&
        current.max_age === wanted.max_age &&
        current.max_bytes === wanted.max_bytes &&
        current.max_msgs === wanted.max_msgs &&
        current.num_replicas === wanted.num_replicas;
      if (!same && spec.update !== false) {
        await jsm.streams.update(spec.name, { subjects: spec.subjects, ...wanted });
        deps.logger.info('stream updated', {
          stream: spec.name,
          maxAgeMs: spec.maxAgeMs ?? 0,
          maxBytes: spec.maxBytes ?? 0,
          maxMessages: spec.maxMessages ?? 0,
          replicas: wanted.num_replicas,
        });
      }
      return;
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
    }
    await jsm.streams.add({
      name: spec.name,
      subjects: spec.subjects,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      ...wanted,
    });
  } catch (error) {
    throw placementError(error, spec) ?? fromNatsError(error, `stream ${spec.name}`);
  }
}

const REPLICAS_NOT_SUPPORTED = 10074;

/**
 * A stream the server cannot hold as configured: the operator's to fix, not worth a retry,
 * so the error says which setting it comes from.
 */
function placementError(error: unknown, spec: StreamSpec): SliceMeshError | undefined {
  if (!(error instanceof JetStreamApiError)) return undefined;
  if (error.code === REPLICAS_NOT_SUPPORTED) {
    return new SliceMeshError(
      'config',
      `stream ${spec.name}: ${spec.replicas ?? 1} replicas need a NATS cluster with JetStream on at least as many nodes, and this server runs alone (SLICEMESH_JETSTREAM_REPLICAS=1 on a single server)`,
      { retryable: false, cause: error },
    );
  }
  if (/insufficient storage resources/i.test(error.message)) {
    return new SliceMeshError(
      'config',
      `stream ${spec.name}: the server's JetStream file store has no room left for its size limit of ${spec.maxBytes ?? 0} bytes ` +
        '(raise max_file_store of nats-server, or lower SLICEMESH_STREAM_*_MAX_BYTES: docs/operations.md#retention)',
      { retryable: false, cause: error },
    );
  }
  return undefined;
}

/** Publishes into JetStream with a msgId, retrying transient failures within `retryForMs`. */
export async function jsPublish<S extends z.ZodType>(
  deps: JsDeps,
  subject: string,
  schema: S,
  msg: z.input<S>,
  options: JsPublishOptions,
): Promise<JsPublishResult> {
  const data = encodeMessage(schema, msg, `message to ${subject}`);
  const headers = options.headers ?? natsHeaders();
  if (options.replyTo) headers.set(HEADER.replyTo, options.replyTo);
  const timeout = options.timeoutMs ?? 5_000;
  const deadline = Date.now() + (options.retryForMs ?? 0);
  const span = startSendSpan(
    deps.tracer,
    SpanKind.PRODUCER,
    SPAN.busJsPublish,
    subject,
    msg,
    headers,
  );
  span.setAttribute(ATTR.messagingMessageId, options.msgId);
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const ack = await deps.js.publish(subject, data, {
          msgID: options.msgId,
          headers,
          timeout,
        });
        span.setAttribute(ATTR.messagingStreamSeq, ack.seq);
        return { seq: ack.seq, duplicate: ack.duplicate, stream: ack.stream };
      } catch (error) {
        const err = fromNatsError(error, subject, timeout);
        // A msgId makes a retry safe: JetStream stores the message once.
        if (!err.retryable || Date.now() >= deadline || deps.nc.isClosed()) throw err;
        deps.logger.debug('jetstream publish failed, retrying', {
          subject,
          attempt,
          code: err.code,
        });
        await sleep(Math.min(1_000, 100 * attempt));
      }
    }
  } catch (error) {
    recordError(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Creates or updates the durable consumer, then runs it until stopped. */
export async function consume<S extends z.ZodType>(
  deps: JsDeps,
  stream: string,
  durable: string,
  filterSubject: string,
  schema: S,
  handler: Handler<z.output<S>>,
  options: ConsumeOptions = {},
): Promise<ConsumerHandle> {
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  const maxDeliver = options.maxDeliver ?? 20;
  const maxPayloadBytes = options.maxPayloadBytes ?? deps.maxPayloadBytes;
  const log = deps.logger.child({ stream, durable });
  const jsm = await deps.jsm();
  const config = {
    durable_name: durable,
    filter_subject: filterSubject,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(ackWaitMs),
    max_deliver: maxDeliver,
    deliver_policy: options.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
  };
  try {
    try {
      await jsm.consumers.info(stream, durable);
      await jsm.consumers.update(stream, durable, {
        filter_subject: filterSubject,
        ack_wait: config.ack_wait,
        max_deliver: maxDeliver,
      });
    } catch (error) {
      if (!(error instanceof Error && /consumer not found/i.test(error.message))) throw error;
      await jsm.consumers.add(stream, config);
    }
  } catch (error) {
    throw fromNatsError(error, `consumer ${stream}/${durable}`);
  }
  const consumer = await deps.js.consumers.get(stream, durable);

  let stopping = false;
  let messages: ConsumerMessages | undefined;
  const inFlight = new Set<Promise<void>>();
  let wake: (() => void) | undefined;

  const sendRefusal = (m: JsMsg, error: SliceMeshError) => {
    const replyTo = m.headers?.has(HEADER.replyTo) ? m.headers.get(HEADER.replyTo) : undefined;
    if (!replyTo) return;
    const { data, headers } = errorReply(error);
    try {
      deps.nc.publish(replyTo, data, { headers });
    } catch (publishError) {
      log.warn('could not send the error reply', { replyTo, error: publishError });
    }
  };

  // A plain TERM, never `term(reason)`: nats-server 2.9 does not recognise a TERM with a
  // reason and leaves the message pending, so a flood of invalid messages reached max ack
  // pending (1,000) and the consumer stopped delivering. The reason is logged and counted
  // by the callers (noteInvalid, handlerError) instead of travelling in the advisory.
  const terminate = (m: JsMsg, error: SliceMeshError) => {
    m.term();
    deps.counters.terminated(durable);
    sendRefusal(m, error);
  };

  const handle = async (m: JsMsg): Promise<void> => {
    const deliveryCount = m.info.deliveryCount;
    const streamSeq = m.seq;
    const { span, context } = startHandlerSpan(
      deps.tracer,
      SpanKind.CONSUMER,
      SPAN.busConsume,
      filterSubject,
      m.subject,
      m.headers,
      {
        [ATTR.messagingConsumerGroup]: durable,
        [ATTR.messagingDeliveryCount]: deliveryCount,
        [ATTR.messagingStreamSeq]: streamSeq,
        [ATTR.messagingBodySize]: m.data.length,
      },
    );
    try {
      const decoded = decodeMessage(schema, m.data, maxPayloadBytes);
      if (!decoded.ok) {
        deps.noteInvalid(filterSubject, decoded.error, m.subject);
        recordError(span, decoded.error);
        terminate(m, decoded.error);
        return;
      }
      span.setAttributes(messageAttributes(decoded.value));
      const ctx: MessageContext = {
        subject: m.subject,
        headers: m.headers,
        context,
        span,
        traceId: traceIdOf(context),
        deliveryCount,
        streamSeq,
      };
      // Tell JetStream we are still working so a long handler is not redelivered meanwhile.
      const keepAlive = setInterval(() => m.working(), Math.max(1_000, ackWaitMs / 2));
      try {
        await otelContext.with(context, () => handler(decoded.value, ctx));
        m.ack();
      } catch (error) {
        const err = toSliceMeshError(error);
        recordError(span, err);
        if (err.retryable && deliveryCount < maxDeliver) {
          deps.counters.retried(durable);
          m.nak(retryDelayMs(deliveryCount));
          log.info('handler failed, message will be redelivered', {
            seq: streamSeq,
            deliveryCount,
            code: err.code,
          });
        } else {
          deps.counters.handlerError(filterSubject, err.code);
          log.warn('handler failed, message dropped', {
            seq: streamSeq,
            deliveryCount,
            error: err,
          });
          terminate(m, err);
        }
      } finally {
        clearInterval(keepAlive);
      }
    } catch (error) {
      // Only ack/nak/term on a closed connection end up here; JetStream redelivers.
      log.warn('could not settle a message', { seq: streamSeq, error });
    } finally {
      span.end();
    }
  };

  const loop = async () => {
    let failures = 0;
    while (!stopping) {
      try {
        messages = await consumer.consume({ max_messages: Math.max(2, concurrency * 2) });
        for await (const m of messages) {
          while (inFlight.size >= concurrency)
            await new Promise<void>((resolve) => (wake = resolve));
          const task = handle(m).finally(() => {
            inFlight.delete(task);
            wake?.();
          });
          inFlight.add(task);
          failures = 0;
          if (stopping) break;
        }
      } catch (error) {
        if (stopping || deps.nc.isClosed()) break;
        failures++;
        log.warn('consumer interrupted, resuming', { error, failures });
        await sleep(Math.min(5_000, 200 * failures));
      }
      if (!stopping && !deps.nc.isClosed()) await sleep(100);
      if (deps.nc.isClosed()) break;
    }
  };
  const running = loop();

  let stopped: Promise<void> | undefined;
  return {
    stream,
    durable,
    stop: (graceMs = 10_000) =>
      (stopped ??= (async () => {
        stopping = true;
        try {
          await messages?.close();
        } catch {
          // the connection may already be gone
        }
        wake?.();
        const all = Promise.allSettled([running, ...inFlight]);
        const timer = sleep(graceMs).then(() => 'timeout' as const);
        if ((await Promise.race([all, timer])) === 'timeout') {
          log.warn('handlers still running at shutdown; their messages will be redelivered', {
            inFlight: inFlight.size,
          });
        }
      })()),
  };
}
