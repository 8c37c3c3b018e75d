/**
 * The public shape of the typed bus. Every message crossing it is a zod
 * schema from shared/contracts; handlers only ever see parsed, valid values.
 */
import type { MsgHdrs, NatsConnection } from '@nats-io/nats-core';
import type { Context, Span, Tracer } from '@opentelemetry/api';
import type { z } from 'zod';
import type { BatchSchemas } from '../contracts/batch.js';
import type { Endpoint } from '../contracts/endpoints.js';
import type { ErrorCode } from '../contracts/errors.js';
import type { Subjects } from '../contracts/subjects.js';
import type { Logger } from '../runtime/logger.js';

/** What a handler learns about the message besides its parsed body. */
export interface MessageContext {
  /** The concrete subject the message was sent to. */
  readonly subject: string;
  /** Request/reply: where the sender waits for the answer (its inbox). */
  readonly reply?: string;
  readonly headers: MsgHdrs | undefined;
  /** OpenTelemetry context of the handler span (parent: the sender's span). */
  readonly context: Context;
  /** The handler's span, e.g. to add attributes. */
  readonly span: Span;
  /** Trace id shared with the sender, if tracing is on. */
  readonly traceId: string | undefined;
  /** JetStream only: 1 on first delivery, more on redelivery. */
  readonly deliveryCount?: number;
  /** JetStream only: the message's sequence in its stream. */
  readonly streamSeq?: number;
}

export type Handler<T> = (msg: T, ctx: MessageContext) => Promise<void> | void;
export type ServeHandler<Req, Rep> = (req: Req, ctx: MessageContext) => Promise<Rep> | Rep;

export interface PublishOptions {
  headers?: MsgHdrs;
  /** Do not create a span or send trace context (heartbeats and other chatter). */
  trace?: boolean;
}

export interface RequestOptions {
  /** Default 10 s. Elapsed → SliceMeshError `timeout`. */
  timeoutMs?: number;
  headers?: MsgHdrs;
}

export interface SubscribeOptions {
  /** Queue group: each message goes to one member (name it after the role). */
  queue?: string;
  /** Largest accepted payload; default: the bus limit. */
  maxPayloadBytes?: number;
  /** Create a handler span (default true). */
  trace?: boolean;
}

export type ServeOptions = SubscribeOptions;

export interface Subscription {
  /** The subject (pattern) subscribed to. */
  readonly subject: string;
  /** Stops receiving and waits for handlers in flight. */
  stop(): Promise<void>;
}

export interface JsPublishOptions {
  /** Deduplication id: a second publish with the same id within the window is not stored again. */
  msgId: string;
  /** Per attempt; default 5 s. */
  timeoutMs?: number;
  /** Keep retrying transient failures (NATS restarting) for this long; default 0. */
  retryForMs?: number;
  /** Where the consumer sends an `error.v1` should the message be refused (header). */
  replyTo?: string;
  headers?: MsgHdrs;
}

export interface JsPublishResult {
  seq: number;
  /** True when JetStream had already stored a message with this msgId. */
  duplicate: boolean;
  stream: string;
}

export interface ConsumeOptions {
  /** Messages handled at the same time (default 1: in stream order). */
  concurrency?: number;
  /** Time a handler may hold a message before JetStream redelivers it (default 30 s; kept alive while running). */
  ackWaitMs?: number;
  /** Deliveries before a message is given up (default 20). */
  maxDeliver?: number;
  /** Largest accepted payload; default: the bus limit. */
  maxPayloadBytes?: number;
  /** Where a new durable starts (default: all messages). */
  deliverPolicy?: 'all' | 'new';
}

export interface ConsumerHandle {
  readonly stream: string;
  readonly durable: string;
  /** Stops pulling and waits (up to graceMs, default 10 s) for handlers in flight. */
  stop(graceMs?: number): Promise<void>;
}

export interface KvEntry<T> {
  value: T;
  revision: number;
}

/** A KV bucket whose values are validated by a schema on put and on get. */
export interface TypedKv<T> {
  readonly bucket: string;
  get(key: string): Promise<KvEntry<T> | null>;
  /** Returns the new revision. */
  put(key: string, value: T): Promise<number>;
  /** Writes only if the key is at `revision` (optimistic concurrency); else throws `stale-view`. */
  update(key: string, value: T, revision: number): Promise<number>;
  /** Writes only if the key holds nothing (never written, deleted or expired); else throws `stale-view`. */
  create(key: string, value: T): Promise<number>;
  delete(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

/** Refusals and failures counted by the bus, keyed by subscription subject (or durable). */
export interface BusCounters {
  /** Inbound messages refused before a handler ran, per subject and code. */
  invalid: Record<string, Partial<Record<ErrorCode, number>>>;
  /** Handler failures per subject and code. */
  handlerErrors: Record<string, Partial<Record<ErrorCode, number>>>;
  /** JetStream messages handed back for redelivery, per durable. */
  retried: Record<string, number>;
  /** JetStream messages terminated (never redelivered), per durable. */
  terminated: Record<string, number>;
}

export interface StreamSpec {
  name: string;
  subjects: string[];
  /** Deduplication window (ms) for msgIds; default 2 min, at most `maxAgeMs`. */
  duplicateWindowMs?: number;
  /** Keep messages at most this long (ms); 0 or unset: forever. */
  maxAgeMs?: number;
  /** Keep at most this many bytes, dropping the oldest messages (0 or unset: no limit). */
  maxBytes?: number;
  /** Keep at most this many messages, dropping the oldest (0 or unset: no limit). */
  maxMessages?: number;
  /** Copies on the nodes of a cluster (num_replicas); default 1. */
  replicas?: number;
  /** Update an existing stream whose definition differs (default true); false leaves that to its owner. */
  update?: boolean;
}

export interface Bus {
  readonly namespace: string;
  readonly subjects: Subjects;
  /** Client name (shown by the server; also the logger's `bus` field). */
  readonly name: string;
  /** The identity it connected as (undefined: anonymous). */
  readonly identity: string | undefined;
  /** A fresh inbox subject under this connection's own inbox prefix (the only one it may read). */
  inbox(): string;
  readonly tracer: Tracer;
  readonly logger: Logger;
  /** The raw connection, for what the bus does not wrap. */
  readonly connection: NatsConnection;

  /** Validates and publishes (fire and forget). */
  publish<S extends z.ZodType>(
    subject: string,
    schema: S,
    msg: z.input<S>,
    options?: PublishOptions,
  ): void;
  /** Handles every valid message on `subject`; invalid ones are counted and dropped. */
  subscribe<S extends z.ZodType>(
    subject: string,
    schema: S,
    handler: Handler<z.output<S>>,
    options?: SubscribeOptions,
  ): Subscription;
  /**
   * Handles each item of every batch on `subject` (shared/contracts/batch.ts), in order.
   * An invalid envelope refuses the whole message; an invalid item is refused alone
   * (counted and logged under `<subject>#item` with its own typed error), the rest go on.
   */
  subscribeBatch<T extends z.ZodType>(
    subject: string,
    batch: BatchSchemas<T>,
    handler: Handler<z.output<T>>,
    options?: SubscribeOptions,
  ): Subscription;
  /**
   * Typed request/reply to an endpoint (shared/contracts/endpoints.ts): its subject in this
   * bus's namespace, its request and reply schemas. Error replies throw SliceMeshError with
   * their code; timeout → `timeout`; nobody listening → `unavailable`.
   */
  request<Q extends z.ZodType, R extends z.ZodType>(
    endpoint: Endpoint<Q, R>,
    msg: z.input<Q>,
    options?: RequestOptions,
  ): Promise<z.output<R>>;
  /** Typed request/reply on a subject named by hand (an endpoint without a descriptor, tests). */
  request<Q extends z.ZodType, R extends z.ZodType>(
    subject: string,
    requestSchema: Q,
    msg: z.input<Q>,
    replySchema: R,
    options?: RequestOptions,
  ): Promise<z.output<R>>;
  /**
   * Answers an endpoint's requests (shared/contracts/endpoints.ts); bad input gets a typed
   * `error.v1` reply and never reaches the handler. Give the handler a return type (e.g.
   * `async (req): Promise<InferenceReply> => …`) or write `type: 'x.v1' as const`:
   * TypeScript widens literals in inline object returns here.
   */
  serve<Q extends z.ZodType, R extends z.ZodType>(
    endpoint: Endpoint<Q, R>,
    handler: ServeHandler<z.output<Q>, z.input<R>>,
    options?: ServeOptions,
  ): Subscription;
  /** Answers requests on a subject named by hand (an endpoint without a descriptor, tests). */
  serve<Q extends z.ZodType, R extends z.ZodType>(
    subject: string,
    requestSchema: Q,
    replySchema: R,
    handler: ServeHandler<z.output<Q>, z.input<R>>,
    options?: ServeOptions,
  ): Subscription;

  /**
   * Makes sure the mesh's streams exist, as far as this identity's permissions go (see
   * `streamAccess`): the slice-manager, the operator and an anonymous connection create or
   * update the intake and event streams and the snapshot KV bucket; a role that consumes or
   * sends into a stream creates it when missing; others do nothing. The streams get the
   * limits of `BusOptions.jetstream` (an owner updates an existing stream to them). Idempotent.
   */
  ensureStreams(): Promise<void>;
  /** Creates or updates one stream (file storage). Idempotent. */
  ensureStream(spec: StreamSpec): Promise<void>;
  /** Validates and stores a message in JetStream, deduplicated by msgId. Resolves once JetStream acknowledged it. */
  jsPublish<S extends z.ZodType>(
    subject: string,
    schema: S,
    msg: z.input<S>,
    options: JsPublishOptions,
  ): Promise<JsPublishResult>;
  /** Durable pull consumer: ack after the handler resolves, nak with backoff on retryable errors, term on invalid payloads. */
  consume<S extends z.ZodType>(
    stream: string,
    durable: string,
    filterSubject: string,
    schema: S,
    handler: Handler<z.output<S>>,
    options?: ConsumeOptions,
  ): Promise<ConsumerHandle>;
  /** Opens (creating if needed) a KV bucket typed by `schema`. */
  kv<S extends z.ZodType>(
    bucket: string,
    schema: S,
    options?: {
      history?: number;
      /** Entries vanish this long after their last write (the bucket's max age); none by default. */
      ttlMs?: number;
    },
  ): Promise<TypedKv<z.output<S>>>;

  /** A snapshot of the counters. */
  counters(): BusCounters;
  /** Waits until the server has processed everything sent so far. */
  flush(): Promise<void>;
  /** Stops subscriptions and consumers, delivers what is pending, closes. Idempotent. */
  drain(): Promise<void>;
  /** Resolves when the connection is closed for good. */
  closed(): Promise<void>;
}
