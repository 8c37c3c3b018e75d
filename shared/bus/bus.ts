/**
 * connectBus(): the typed NATS bus every agent talks through. Validation,
 * typed errors, counters and trace propagation live here so agent code only
 * sees parsed messages and SliceMeshErrors.
 */
import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  type ConnectionOptions,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  createInbox,
  errors as natsErrors,
  headers as natsHeaders,
} from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  context as otelContext,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import type { z } from 'zod';
import type { BatchSchemas } from '../contracts/batch.js';
import type { Endpoint } from '../contracts/endpoints.js';
import { SliceMeshError, isSliceMeshError, toSliceMeshError } from '../contracts/errors.js';
import { schemaErrorCode } from '../contracts/limits.js';
import { BUCKETS, STREAMS, type StreamKey, streamAccess } from '../contracts/permissions.js';
import { createSubjects } from '../contracts/subjects.js';
import { type Logger, silentLogger } from '../runtime/logger.js';
import { recordError } from '../telemetry/instrument.js';
import { ATTR, SPAN } from '../telemetry/names.js';
import { traceIdOf } from '../telemetry/propagation.js';
import { ensureContextManager, noopTracer } from '../telemetry/setup.js';
import { type TlsFiles, isPrivateFile, seedFileAuthenticator, tlsOptions } from './auth.js';
import { CounterSet } from './counters.js';
import { type JsDeps, consume, ensureStream, jsPublish } from './jetstream.js';
import { openBucket, typedKv } from './kv.js';
import { DEFAULT_JETSTREAM_SETTINGS, type JetStreamSettings } from './limits.js';
import { messageAttributes, startHandlerSpan, startSendSpan } from './tracing.js';
import type {
  Bus,
  MessageContext,
  RequestOptions,
  ServeHandler,
  Subscription,
  SubscribeOptions,
  Handler,
  ConsumerHandle,
} from './types.js';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  decodeMessage,
  describeIssues,
  encodeMessage,
  errorFromReply,
  errorReply,
  fromNatsError,
} from './wire.js';

export interface BusOptions {
  /** NATS URL, e.g. `nats://127.0.0.1:4222` (comma-separated for several). */
  url: string;
  /** Subject prefix (SLICEMESH_NAMESPACE). */
  namespace: string;
  /** Client name, e.g. the role and instance id. */
  name: string;
  tracer?: Tracer;
  logger?: Logger;
  /** Largest inbound payload accepted by handlers (default 512 KiB). */
  maxPayloadBytes?: number;
  /** Give up the first connection attempt after this long (default 10 s); reconnects are unlimited. */
  connectTimeoutMs?: number;
  /**
   * Who connects: a role, `client-<tenant>` or `operator` (shared/contracts/permissions.ts).
   * Replies to its requests arrive under its own inbox prefix, and `ensureStreams()` creates
   * only what it manages. Unset: the anonymous connection of a test or a tool.
   */
  identity?: string;
  /** nkey seed file of the identity; unset: no authentication (an open server). */
  seedFile?: string;
  /** TLS files (CA, client certificate and key); a `tls://` URL needs none but the system CAs. */
  tls?: TlsFiles;
  /** How `ensureStreams()` and `kv()` create streams and buckets (default: DEFAULT_JETSTREAM_SETTINGS). */
  jetstream?: JetStreamSettings;
}

/** How many refusals per subject and code are logged at warn before dropping to debug. */
const LOUD_REFUSALS = 3;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const NON_RECORDING_SPAN: Span = trace.wrapSpanContext({
  traceId: '0'.repeat(32),
  spanId: '0'.repeat(16),
  traceFlags: 0,
});

/** Connects to NATS and returns the typed bus. Throws `unavailable` when NATS cannot be reached. */
export async function connectBus(options: BusOptions): Promise<Bus> {
  ensureContextManager();
  const subjects = createSubjects(options.namespace);
  const tracer = options.tracer ?? noopTracer();
  const logger = (options.logger ?? silentLogger).child({ bus: options.name });
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const jetstreamSettings = options.jetstream ?? DEFAULT_JETSTREAM_SETTINGS;
  const servers = options.url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

  const inboxPrefix =
    options.identity === undefined ? undefined : subjects.inboxPrefix(options.identity);
  const tls = tlsOptions(options.tls);
  const connectOptions: ConnectionOptions = {
    servers,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    timeout: options.connectTimeoutMs ?? 10_000,
    // nats.js otherwise builds an Error (a stack trace) for every request just in case it
    // fails; failures here are rethrown as SliceMeshErrors naming the subject anyway.
    noAsyncTraces: true,
    ...(inboxPrefix === undefined ? {} : { inboxPrefix }),
    ...(tls === undefined ? {} : { tls }),
  };
  if (options.seedFile !== undefined) {
    connectOptions.authenticator = seedFileAuthenticator(options.seedFile);
    if (!isPrivateFile(options.seedFile))
      logger.warn('the NATS seed file is readable by other users: chmod 600 it', {
        file: options.seedFile,
      });
  }
  let nc: NatsConnection;
  try {
    nc = await connect(connectOptions);
  } catch (error) {
    throw connectError(error, options);
  }
  watchStatus(nc, logger);
  warnIfOpen(nc, options.url, logger);

  const counters = new CounterSet();
  const js = jetstream(nc);
  let jsmPromise: Promise<JetStreamManager> | undefined;
  const jsm = () =>
    (jsmPromise ??= jetstreamManager(nc).catch((error: unknown) => {
      jsmPromise = undefined;
      throw new SliceMeshError(
        'unavailable',
        `JetStream is not available on ${options.url} (start nats-server with -js)`,
        {
          cause: error,
        },
      );
    }));

  /** Counts a refused inbound message and logs it: the first few per key and code at warn. */
  const noteInvalid = (key: string, error: SliceMeshError, subject: string) => {
    const count = counters.invalid(key, error.code);
    const fields = { subject, code: error.code, count, reason: error.message.slice(0, 300) };
    if (count <= LOUD_REFUSALS) logger.warn('refused an invalid message', fields);
    else logger.debug('refused an invalid message', fields);
  };

  const jsDeps: JsDeps = { nc, js, jsm, tracer, logger, counters, maxPayloadBytes, noteInvalid };
  const subscriptions = new Set<Subscription>();
  const consumers = new Set<ConsumerHandle>();

  /** Runs a subscription handler in its span's context; a throw is counted and logged, never propagated. */
  const runHandler = async (
    subject: string,
    m: Msg,
    span: Span,
    context: Context,
    run: () => unknown,
  ) => {
    try {
      await otelContext.with(context, async () => run());
    } catch (error) {
      counters.handlerError(subject, toSliceMeshError(error).code);
      recordError(span, error);
      logger.warn('subscription handler failed', { subject: m.subject, error });
    }
  };

  /**
   * A subscription whose messages are decoded with `schema` in a receive span: an invalid
   * one is counted, recorded and, when someone waits for a reply, answered with its error;
   * a valid one goes to `onValue`.
   */
  const listenDecoded = <S extends z.ZodType>(
    subject: string,
    schema: S,
    subOptions: SubscribeOptions,
    onValue: (value: z.output<S>, m: Msg, span: Span, context: Context) => Promise<void>,
  ): Subscription => {
    const limit = subOptions.maxPayloadBytes ?? maxPayloadBytes;
    const traced = subOptions.trace !== false;
    return listen(subject, subOptions, async (m) => {
      const { span, context } = handlerSpan(traced, SpanKind.CONSUMER, SPAN.busReceive, subject, m);
      try {
        const decoded = decodeMessage(schema, m.data, limit);
        if (!decoded.ok) {
          noteInvalid(subject, decoded.error, m.subject);
          recordError(span, decoded.error);
          // Someone waits for an answer: tell them why, rather than letting them time out.
          if (m.reply) respondError(m, decoded.error);
          return;
        }
        await onValue(decoded.value, m, span, context);
      } finally {
        span.end();
      }
    });
  };

  /** Shared plumbing of subscribe() and serve(): one NATS subscription, in-flight tracking, stop(). */
  const listen = (
    subject: string,
    options: SubscribeOptions,
    onMessage: (m: Msg) => Promise<void>,
  ): Subscription => {
    const inFlight = new Set<Promise<void>>();
    const sub = nc.subscribe(subject, {
      ...(options.queue === undefined ? {} : { queue: options.queue }),
      callback: (error, m) => {
        if (error) {
          logger.warn('subscription error', { subject, error });
          return;
        }
        const task: Promise<void> = onMessage(m).then(
          () => void inFlight.delete(task),
          (e: unknown) => {
            inFlight.delete(task);
            logger.error('message handling failed', { subject, error: e });
          },
        );
        inFlight.add(task);
      },
    });
    let stopped: Promise<void> | undefined;
    const handle: Subscription = {
      subject,
      stop: () =>
        (stopped ??= (async () => {
          subscriptions.delete(handle);
          try {
            if (!nc.isClosed()) await sub.drain();
          } catch {
            // closing anyway
          }
          await Promise.allSettled([...inFlight]);
        })()),
    };
    subscriptions.add(handle);
    return handle;
  };

  const handlerSpan = (enabled: boolean, kind: SpanKind, name: string, pattern: string, m: Msg) =>
    enabled
      ? startHandlerSpan(tracer, kind, name, pattern, m.subject, m.headers, {
          [ATTR.messagingBodySize]: m.data.length,
        })
      : { span: NON_RECORDING_SPAN, context: ROOT_CONTEXT };

  /** request() on a subject named with its schemas: what both forms of `bus.request` run. */
  const requestOn = async <Q extends z.ZodType, R extends z.ZodType>(
    subject: string,
    requestSchema: Q,
    msg: z.input<Q>,
    replySchema: R,
    requestOptions: RequestOptions = {},
  ): Promise<z.output<R>> => {
    const timeout = requestOptions.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const data = encodeMessage(requestSchema, msg, `request to ${subject}`);
    const headers = requestOptions.headers ?? natsHeaders();
    const span = startSendSpan(tracer, SpanKind.CLIENT, SPAN.busRequest, subject, msg, headers);
    try {
      let reply: Msg;
      try {
        reply = await nc.request(subject, data, { timeout, ...withHeaders(headers) });
      } catch (error) {
        throw fromNatsError(error, subject, timeout);
      }
      const remoteError = errorFromReply(reply.data, reply.headers, subject);
      if (remoteError) throw remoteError;
      const decoded = decodeMessage(replySchema, reply.data, Number.POSITIVE_INFINITY);
      if (!decoded.ok) {
        counters.invalid(`reply:${subject}`, decoded.error.code);
        throw new SliceMeshError(
          decoded.error.code,
          `reply from ${subject}: ${decoded.error.message}`,
          {
            details: { subject },
          },
        );
      }
      return decoded.value;
    } catch (error) {
      recordError(span, error);
      throw error;
    } finally {
      span.end();
    }
  };

  /** serve() on a subject named with its schemas: what both forms of `bus.serve` run. */
  const serveOn = <Q extends z.ZodType, R extends z.ZodType>(
    subject: string,
    requestSchema: Q,
    replySchema: R,
    handler: ServeHandler<z.output<Q>, z.input<R>>,
    serveOptions: SubscribeOptions = {},
  ): Subscription => {
    const limit = serveOptions.maxPayloadBytes ?? maxPayloadBytes;
    const traced = serveOptions.trace !== false;
    return listen(subject, serveOptions, async (m) => {
      const { span, context } = handlerSpan(traced, SpanKind.SERVER, SPAN.busServe, subject, m);
      try {
        const decoded = decodeMessage(requestSchema, m.data, limit);
        if (!decoded.ok) {
          noteInvalid(subject, decoded.error, m.subject);
          recordError(span, decoded.error);
          respondError(m, decoded.error);
          return;
        }
        span.setAttributes(messageAttributes(decoded.value));
        const ctx = messageContext(m, span, context);
        let reply: Uint8Array;
        try {
          const value = await otelContext.with(context, () => handler(decoded.value, ctx));
          reply = encodeMessage(replySchema, value, `reply on ${subject}`);
          // The server would refuse it and the caller see only a timeout: say why instead.
          const serverLimit = nc.info?.max_payload;
          if (serverLimit !== undefined && reply.length > serverLimit) {
            throw new SliceMeshError(
              'payload-too-large',
              `the reply on ${subject} would be ${reply.length} bytes, over the server's limit of ${serverLimit}`,
              { retryable: false, details: { bytes: reply.length, limit: serverLimit } },
            );
          }
        } catch (error) {
          recordError(span, error);
          let err: SliceMeshError;
          if (isSliceMeshError(error)) {
            err = error;
            logger.debug('request refused by its handler', {
              subject: m.subject,
              code: err.code,
              reason: err.message,
            });
          } else {
            // Not an expected outcome: log the details here, send none of them.
            err = new SliceMeshError('internal', `internal error in the ${subject} service`);
            logger.error('request handler crashed', { subject: m.subject, error });
          }
          counters.handlerError(subject, err.code);
          respondError(m, err);
          return;
        }
        try {
          m.respond(reply);
        } catch (respondFailure) {
          recordError(span, respondFailure);
          respondError(
            m,
            new SliceMeshError('unavailable', `the reply on ${subject} could not be sent`, {
              retryable: true,
            }),
          );
        }
      } finally {
        span.end();
      }
    });
  };

  // The endpoint form resolves the descriptor and runs the same code as the subject form. Both
  // stay synchronous up to the publish: the slice-manager relies on a request being on the
  // connection once request() has returned.
  const request = ((...args: unknown[]) => {
    if (typeof args[0] === 'string') {
      const [subject, requestSchema, msg, replySchema, requestOptions] = args as [
        string,
        z.ZodType,
        unknown,
        z.ZodType,
        RequestOptions | undefined,
      ];
      return requestOn(subject, requestSchema, msg, replySchema, requestOptions);
    }
    const [endpoint, msg, requestOptions] = args as [Endpoint, unknown, RequestOptions | undefined];
    let subject: string;
    try {
      subject = endpoint.subject(subjects);
    } catch (error) {
      return Promise.reject(error);
    }
    return requestOn(subject, endpoint.request, msg, endpoint.reply, requestOptions);
  }) as Bus['request'];

  const serve = ((...args: unknown[]) => {
    if (typeof args[0] === 'string') {
      const [subject, requestSchema, replySchema, handler, serveOptions] = args as [
        string,
        z.ZodType,
        z.ZodType,
        ServeHandler<unknown, unknown>,
        SubscribeOptions | undefined,
      ];
      return serveOn(subject, requestSchema, replySchema, handler, serveOptions);
    }
    const [endpoint, handler, serveOptions] = args as [
      Endpoint,
      ServeHandler<unknown, unknown>,
      SubscribeOptions | undefined,
    ];
    return serveOn(
      endpoint.subject(subjects),
      endpoint.request,
      endpoint.reply,
      handler,
      serveOptions,
    );
  }) as Bus['serve'];

  const bus: Bus = {
    namespace: subjects.namespace,
    subjects,
    name: options.name,
    identity: options.identity,
    inbox: () => createInbox(inboxPrefix),
    tracer,
    logger,
    connection: nc,

    publish(subject, schema, msg, publishOptions = {}) {
      const data = encodeMessage(schema, msg, `message to ${subject}`);
      const headers = publishOptions.headers ?? natsHeaders();
      if (publishOptions.trace === false) {
        nc.publish(subject, data, withHeaders(headers));
        return;
      }
      const span = startSendSpan(tracer, SpanKind.PRODUCER, SPAN.busPublish, subject, msg, headers);
      try {
        nc.publish(subject, data, withHeaders(headers));
      } catch (error) {
        const err = fromNatsError(error, subject);
        recordError(span, err);
        throw err;
      } finally {
        span.end();
      }
    },

    subscribe<S extends z.ZodType>(
      subject: string,
      schema: S,
      handler: Handler<z.output<S>>,
      subOptions: SubscribeOptions = {},
    ) {
      return listenDecoded(subject, schema, subOptions, async (value, m, span, context) => {
        span.setAttributes(messageAttributes(value));
        await runHandler(subject, m, span, context, () =>
          handler(value, messageContext(m, span, context)),
        );
      });
    },

    subscribeBatch<T extends z.ZodType>(
      subject: string,
      batch: BatchSchemas<T>,
      handler: Handler<z.output<T>>,
      subOptions: SubscribeOptions = {},
    ) {
      const itemKey = `${subject}#item`;
      return listenDecoded(
        subject,
        batch.envelope,
        subOptions,
        async ({ items }, m, span, context) => {
          const ctx = messageContext(m, span, context);
          span.setAttribute(ATTR.batchItems, items.length);
          for (const [index, raw] of items.entries()) {
            const item = batch.item.safeParse(raw);
            if (!item.success) {
              const error = new SliceMeshError(
                schemaErrorCode(item.error),
                `item ${index} of a ${batch.type} batch does not match its schema: ${describeIssues(item.error)}`,
                { details: { index } },
              );
              noteInvalid(itemKey, error, m.subject);
              recordError(span, error);
              continue;
            }
            await runHandler(subject, m, span, context, () => handler(item.data, ctx));
          }
        },
      );
    },

    request,
    serve,

    ensureStreams: async () => {
      // What the permission table lets this identity do to each stream: its owner creates
      // and updates it, its users create it when missing, anyone else leaves it alone.
      for (const key of Object.keys(STREAMS) as StreamKey[]) {
        const access = streamAccess(options.identity, key);
        if (access === 'none') continue;
        const stream = STREAMS[key];
        await ensureStream(jsDeps, {
          name: stream.name(subjects),
          subjects: stream.subjects(subjects),
          ...jetstreamSettings.limits[key],
          replicas: jetstreamSettings.replicas,
          ...(access === 'create' ? { update: false } : {}),
        });
      }
      if (streamAccess(options.identity, 'intake') !== 'manage') return;
      const bucket = BUCKETS.snapshots.name(subjects);
      try {
        await openBucket(js, await jsm(), bucket, SNAPSHOT_HISTORY, jetstreamSettings.replicas);
      } catch (error) {
        throw fromNatsError(error, `KV ${bucket}`);
      }
    },
    ensureStream: (spec) => ensureStream(jsDeps, spec),
    jsPublish: (subject, schema, msg, jsOptions) =>
      jsPublish(jsDeps, subject, schema, msg, jsOptions),
    consume: async (stream, durable, filterSubject, schema, handler, consumeOptions) => {
      const handle = await consume(
        jsDeps,
        stream,
        durable,
        filterSubject,
        schema,
        handler,
        consumeOptions,
      );
      consumers.add(handle);
      return {
        stream: handle.stream,
        durable: handle.durable,
        stop: async (graceMs?: number) => {
          consumers.delete(handle);
          await handle.stop(graceMs);
        },
      };
    },
    kv: async (bucket, schema, kvOptions = {}) => {
      let kv;
      try {
        kv = await openBucket(
          js,
          await jsm(),
          bucket,
          kvOptions.history ?? SNAPSHOT_HISTORY,
          jetstreamSettings.replicas,
          kvOptions.ttlMs,
        );
      } catch (error) {
        throw fromNatsError(error, `KV ${bucket}`);
      }
      return typedKv(kv, bucket, schema, await jsm());
    },

    counters: () => counters.snapshot(),
    flush: async () => {
      try {
        await nc.flush();
      } catch (error) {
        throw fromNatsError(error, 'flush');
      }
    },
    drain: () =>
      (draining ??= (async () => {
        await Promise.allSettled([...consumers].map((c) => c.stop()));
        await Promise.allSettled([...subscriptions].map((s) => s.stop()));
        if (!nc.isClosed()) {
          try {
            await nc.drain();
          } catch {
            await nc.close();
          }
        }
      })()),
    closed: async () => {
      await nc.closed();
    },
  };
  let draining: Promise<void> | undefined;
  return bus;

  function respondError(m: Msg, error: SliceMeshError) {
    const { data, headers } = errorReply(error);
    try {
      m.respond(data, { headers });
    } catch (respondFailure) {
      logger.warn('could not send an error reply', { subject: m.subject, error: respondFailure });
    }
  }
}

/** The SliceMeshError of a failed first connection: refused credentials are `forbidden`. */
function connectError(error: unknown, options: BusOptions): SliceMeshError {
  const reason = error instanceof Error ? error.message : String(error);
  if (error instanceof natsErrors.AuthorizationError || /authorization/i.test(reason)) {
    const who = options.identity ?? 'an anonymous client';
    return new SliceMeshError(
      'forbidden',
      `NATS at ${options.url} refused ${who} (${reason}). ` +
        (options.seedFile === undefined
          ? 'The server requires credentials: set SLICEMESH_NATS_SEED_FILE or SLICEMESH_NATS_CREDENTIALS_DIR (see `slicemesh security init`).'
          : `Is ${options.seedFile} a seed the server's configuration knows?`),
      { retryable: false, cause: error },
    );
  }
  return new SliceMeshError(
    'unavailable',
    `cannot connect to NATS at ${options.url}: ${reason}. ` +
      'Is the server running? Unset NATS_URL to let `slicemesh up` start an embedded one.',
    { cause: error },
  );
}

/** URLs of servers this process was already warned about. */
const openServersWarned = new Set<string>();

/**
 * Running on a server without authentication is the operator's choice, but a loud one:
 * every client there may read and write every subject. Said once per server and process.
 */
function warnIfOpen(nc: NatsConnection, url: string, logger: Logger): void {
  if (nc.info?.auth_required === true || openServersWarned.has(url)) return;
  openServersWarned.add(url);
  logger.warn(
    'the NATS server accepts connections without authentication: the bus is open, any client may read and write every subject (see docs/operations.md#security)',
    { url },
  );
}

/** Sends headers only when there are some: an empty header block still costs encoding and parsing. */
function withHeaders(headers: MsgHdrs): { headers?: MsgHdrs } {
  return headers.keys().length > 0 ? { headers } : {};
}

/** Snapshots keep a few revisions so a bad write can be inspected. */
const SNAPSHOT_HISTORY = 5;

function messageContext(m: Msg, span: Span, context: MessageContext['context']): MessageContext {
  return {
    subject: m.subject,
    ...(m.reply ? { reply: m.reply } : {}),
    headers: m.headers,
    context,
    span,
    traceId: traceIdOf(context),
  };
}

/** Logs disconnects and reconnects; nats.js reconnects by itself. */
function watchStatus(nc: NatsConnection, logger: Logger): void {
  void (async () => {
    try {
      for await (const status of nc.status()) {
        switch (status.type) {
          case 'disconnect':
            logger.warn('NATS disconnected, reconnecting', { server: status.server });
            break;
          case 'reconnect':
            logger.info('NATS reconnected', { server: status.server });
            break;
          case 'error':
            logger.warn('NATS error', { error: status.error });
            break;
          default:
            break;
        }
      }
    } catch {
      // status iterator ends with the connection
    }
  })();
}
