import { z } from 'zod';

/** Every error code the mesh can put on the wire or throw across a module boundary. */
export const ERROR_CODES = [
  'invalid-json',
  'invalid-message',
  'payload-too-large',
  // A page cursor that was never issued, was altered, does not fit its request, or expired.
  'invalid-cursor',
  'unknown-slice',
  'duplicate',
  'infeasible',
  'stale-view',
  // The infrastructure's change log no longer covers what was asked for (or it restarted): take a snapshot.
  'view-expired',
  // The bus refused an identity or a subject (NATS authorization), or a tenant reached for another's slice.
  'forbidden',
  'timeout',
  'unavailable',
  'config',
  'missing-dependency',
  'scenario',
  'internal',
] as const;
export const ErrorCode = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** Codes whose cause may go away by itself, so a caller may try again. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['timeout', 'unavailable', 'stale-view']);

/**
 * The one error type of SliceMesh. It carries a code from a closed set and a
 * `retryable` flag, so callers branch on data rather than on message text.
 */
export class SliceMeshError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SliceMeshError';
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE.has(code);
    this.details = options.details;
  }
}

/** Structural guard: works across realms and module copies, unlike `instanceof`. */
export function isSliceMeshError(value: unknown): value is SliceMeshError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { name?: unknown }).name === 'SliceMeshError' &&
    ErrorCode.safeParse((value as { code?: unknown }).code).success
  );
}

/** Wraps anything thrown into a SliceMeshError, keeping the original as `cause`. */
export function toSliceMeshError(value: unknown, fallback: ErrorCode = 'internal'): SliceMeshError {
  if (isSliceMeshError(value)) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new SliceMeshError(fallback, message, { cause: value });
}
