/**
 * How the mesh's JetStream streams and buckets are created: their replica count and
 * their retention. Every stream is bounded by age and by size, so nothing on the server
 * grows with the plant (docs/operations.md#retention). The defaults live here so a bus
 * without configuration (a test, a tool) creates the same streams as a configured mesh;
 * SLICEMESH_JETSTREAM_REPLICAS and SLICEMESH_STREAM_* override them.
 */
import type { StreamKey } from '../contracts/permissions.js';

/** Limits of one stream; 0 means "no limit" for each. */
export interface StreamLimits {
  /** Messages older than this are removed (ms). */
  readonly maxAgeMs: number;
  /** Once the stream holds more, its oldest messages are removed (bytes). */
  readonly maxBytes: number;
  /** Once the stream holds more messages, its oldest are removed. */
  readonly maxMessages: number;
}

const MIB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The intake is a work queue: a request is handled within seconds and its copy afterwards
 * only serves inspection, so a week covers any outage of the slice-manager an operator
 * would leave unattended, and 256 MiB holds well over 100,000 requests. The events are the
 * mesh's history, replayed by a consumer that starts late (audit-log, telemetry): a month,
 * in at most 1 GiB. Both fit together in a server's file store several times over.
 */
export const DEFAULT_STREAM_LIMITS: Readonly<Record<StreamKey, StreamLimits>> = Object.freeze({
  intake: { maxAgeMs: 7 * DAY_MS, maxBytes: 256 * MIB, maxMessages: 0 },
  events: { maxAgeMs: 30 * DAY_MS, maxBytes: 1024 * MIB, maxMessages: 0 },
});

/** How long a msgId is remembered, so a retried publish is stored once (default of StreamSpec). */
export const DUPLICATE_WINDOW_MS = 2 * 60_000;

/**
 * The shortest age limit a configuration may set: the deduplication window, which
 * JetStream cannot keep longer than the messages themselves.
 */
export const MIN_STREAM_MAX_AGE_MS = DUPLICATE_WINDOW_MS;

/** The smallest size limit a configuration may set: a stream must hold its largest message (1 MB on the server). */
export const MIN_STREAM_MAX_BYTES = MIB;

/** How the mesh's streams and KV buckets are created. */
export interface JetStreamSettings {
  /**
   * Copies of each stream and bucket (num_replicas) on the nodes of a NATS cluster: with 3, a
   * stream stays available and loses nothing when one node fails. 1 on a single server.
   */
  readonly replicas: number;
  /** Retention of each of the mesh's streams. */
  readonly limits: Readonly<Record<StreamKey, StreamLimits>>;
}

export const DEFAULT_JETSTREAM_SETTINGS: JetStreamSettings = Object.freeze({
  replicas: 1,
  limits: DEFAULT_STREAM_LIMITS,
});

/** JetStream's spelling of a limit: 0 (ours: none) is -1 for sizes and counts. */
export function jetstreamLimit(value: number): number {
  return value > 0 ? value : -1;
}
