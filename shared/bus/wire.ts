/**
 * Encoding at the bus boundary: JSON bytes ⇄ schema-checked values, the
 * typed error reply, and the mapping of nats.js errors to SliceMeshError.
 */
import { isUtf8 } from 'node:buffer';
import { type MsgHdrs, errors as natsErrors, headers as natsHeaders } from '@nats-io/nats-core';
import type { z } from 'zod';
import {
  ErrorCode as ErrorCodeSchema,
  SliceMeshError,
  isSliceMeshError,
} from '../contracts/errors.js';
import { schemaErrorCode } from '../contracts/limits.js';
import { type ErrorReply, ErrorReply as ErrorReplySchema } from '../contracts/messages.js';

/** Header names the bus reads and writes. */
export const HEADER = {
  /** Set on every error reply: the SliceMeshError code. */
  errorCode: 'SliceMesh-Error-Code',
  /** On JetStream messages: where the consumer sends an `error.v1` should it refuse the message. */
  replyTo: 'SliceMesh-Reply-To',
  /** JetStream deduplication id (the standard NATS header). */
  msgId: 'Nats-Msg-Id',
} as const;

/** Default largest payload the bus accepts (NATS' own default limit is 1 MiB). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 512 * 1024;

const encoder = new TextEncoder();

/** Strict UTF-8 → string: a native validity check, then a plain (fast) decode. */
function utf8(data: Uint8Array): string {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (!isUtf8(buffer)) throw new SyntaxError('payload is not valid UTF-8');
  return buffer.toString('utf8');
}

/** Validates `value` against `schema` for sending; a bug on our side if it fails. */
export function encodeMessage<S extends z.ZodType>(
  schema: S,
  value: z.input<S>,
  what: string,
): Uint8Array {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new SliceMeshError(
      schemaErrorCode(parsed.error),
      `refusing to send an invalid ${what}: ${describeIssues(parsed.error)}`,
    );
  }
  return encoder.encode(JSON.stringify(parsed.data));
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: SliceMeshError };

/** Size check, JSON parse and schema check of an inbound payload, as data (never throws). */
export function decodeMessage<S extends z.ZodType>(
  schema: S,
  data: Uint8Array,
  maxPayloadBytes: number,
): Decoded<z.output<S>> {
  if (data.length > maxPayloadBytes) {
    return {
      ok: false,
      error: new SliceMeshError(
        'payload-too-large',
        `payload of ${data.length} bytes exceeds the limit of ${maxPayloadBytes}`,
        {
          details: { bytes: data.length, limit: maxPayloadBytes },
        },
      ),
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(utf8(data));
  } catch (error) {
    return {
      ok: false,
      error: new SliceMeshError(
        'invalid-json',
        `payload is not valid UTF-8 JSON: ${(error as Error).message}`,
      ),
    };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      error: new SliceMeshError(
        schemaErrorCode(parsed.error),
        `message does not match its schema: ${describeIssues(parsed.error)}`,
        {
          details: {
            issues: parsed.error.issues
              .slice(0, 10)
              .map((i) => ({ path: i.path.join('.'), message: i.message })),
          },
        },
      ),
    };
  }
  return { ok: true, value: parsed.data };
}

/** A short human-readable summary of zod issues. */
export function describeIssues(error: z.ZodError): string {
  const shown = error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`);
  const more = error.issues.length > 5 ? ` (+${error.issues.length - 5} more)` : '';
  return shown.join('; ') + more;
}

/** The `error.v1` body and headers for `error`. */
export function errorReply(error: SliceMeshError): { data: Uint8Array; headers: MsgHdrs } {
  const body: ErrorReply = {
    type: 'error.v1',
    code: error.code,
    message: error.message,
    retryable: error.retryable,
    ...(error.details === undefined ? {} : { details: error.details }),
  };
  const headers = natsHeaders();
  headers.set(HEADER.errorCode, error.code);
  let data: Uint8Array;
  try {
    data = encoder.encode(JSON.stringify(body));
  } catch {
    // details that cannot be serialised must not stop the reply
    data = encoder.encode(JSON.stringify({ ...body, details: undefined }));
  }
  return { data, headers };
}

/**
 * If a reply is an error (an error code header or an `error.v1` body),
 * returns it as a SliceMeshError; otherwise undefined.
 */
export function errorFromReply(
  data: Uint8Array,
  headers: MsgHdrs | undefined,
  subject: string,
): SliceMeshError | undefined {
  const headerCode = headers?.has(HEADER.errorCode) ? headers.get(HEADER.errorCode) : undefined;
  let body: unknown;
  if (headerCode !== undefined || looksLikeErrorReply(data)) {
    try {
      body = JSON.parse(utf8(data));
    } catch {
      body = undefined;
    }
    const parsed = ErrorReplySchema.safeParse(body);
    if (parsed.success) {
      return new SliceMeshError(parsed.data.code, parsed.data.message, {
        retryable: parsed.data.retryable,
        details: { ...parsed.data.details, subject },
      });
    }
    if (headerCode !== undefined) {
      const code = ErrorCodeSchema.safeParse(headerCode);
      return new SliceMeshError(
        code.success ? code.data : 'internal',
        `error reply from ${subject} (${headerCode})`,
        {
          details: { subject },
        },
      );
    }
  }
  return undefined;
}

const ERROR_TYPE_MARK = Buffer.from('"error.v1"');

/** Cheap native pre-check so ordinary replies are not parsed twice. */
function looksLikeErrorReply(data: Uint8Array): boolean {
  if (data.length > 64 * 1024) return false;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).indexOf(ERROR_TYPE_MARK) >= 0;
}

function isNoResponders(error: unknown): boolean {
  return (
    error instanceof natsErrors.NoRespondersError ||
    (error instanceof natsErrors.RequestError && error.isNoResponders())
  );
}

/** Maps anything nats.js throws to a SliceMeshError with a meaningful code. */
export function fromNatsError(error: unknown, subject: string, timeoutMs?: number): SliceMeshError {
  if (isSliceMeshError(error)) return error;
  const permission =
    error instanceof natsErrors.PermissionViolationError
      ? error
      : error instanceof natsErrors.RequestError &&
          error.cause instanceof natsErrors.PermissionViolationError
        ? error.cause
        : undefined;
  if (permission) {
    // The server refused this identity the subject: a fixed permission, not worth a retry.
    return new SliceMeshError('forbidden', `not permitted: ${permission.message}`, {
      cause: error,
      retryable: false,
      details: { subject },
    });
  }
  if (error instanceof natsErrors.TimeoutError) {
    return new SliceMeshError('timeout', `no reply from ${subject} within ${timeoutMs ?? '?'} ms`, {
      cause: error,
      details: { subject },
    });
  }
  if (isNoResponders(error)) {
    return new SliceMeshError('unavailable', `no service is listening on ${subject}`, {
      cause: error,
      details: { subject },
    });
  }
  // nats.js reports a JetStream request nobody answered as "jetstream is not enabled". On a
  // cluster that is what a publish meets while the stream elects a new leader after a node
  // died: passing, so worth a retry, like any other service not listening yet.
  if (error instanceof Error && isNoResponders(error.cause)) {
    return new SliceMeshError(
      'unavailable',
      `JetStream did not answer on ${subject} (no stream leader elected yet, or no stream for the subject)`,
      { cause: error, details: { subject } },
    );
  }
  if (error instanceof natsErrors.RequestError && error.cause instanceof natsErrors.TimeoutError) {
    return new SliceMeshError('timeout', `no reply from ${subject} within ${timeoutMs ?? '?'} ms`, {
      cause: error,
      details: { subject },
    });
  }
  if (
    error instanceof natsErrors.ClosedConnectionError ||
    error instanceof natsErrors.DrainingConnectionError ||
    error instanceof natsErrors.ConnectionError
  ) {
    return new SliceMeshError('unavailable', `NATS connection unavailable (${error.message})`, {
      cause: error,
      details: { subject },
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/max_payload|maximum payload/i.test(message)) {
    return new SliceMeshError(
      'payload-too-large',
      `message to ${subject} exceeds the server's max payload`,
      { cause: error },
    );
  }
  return new SliceMeshError('internal', `NATS error on ${subject}: ${message}`, {
    cause: error,
    details: { subject },
  });
}
