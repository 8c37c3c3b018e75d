/**
 * Errors as TMF630 error bodies ({code, reason, message, status, @type: 'Error'}), and
 * which HTTP status each of the mesh's error codes becomes.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  isSliceMeshError,
  type ErrorCode,
  type SliceMeshError,
} from '../../shared/contracts/errors.js';

export interface TmfErrorBody {
  readonly '@type': 'Error';
  readonly code: string;
  readonly reason: string;
  readonly message: string;
  readonly status: string;
}

/** An HTTP error with a TMF body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The HTTP status of a mesh error: the intent was not understood, the bus is down, … */
export function statusOfCode(code: ErrorCode): number {
  switch (code) {
    case 'invalid-json':
    case 'invalid-cursor':
      return 400;
    case 'invalid-message':
    case 'infeasible':
      return 422;
    case 'payload-too-large':
      return 413;
    case 'unknown-slice':
      return 404;
    case 'duplicate':
      return 409;
    case 'forbidden':
      return 403;
    case 'timeout':
    case 'unavailable':
      return 503;
    default:
      return 500;
  }
}

export function errorBody(status: number, code: string, message: string): TmfErrorBody {
  return {
    '@type': 'Error',
    code,
    reason: REASONS[status] ?? 'Error',
    message,
    status: String(status),
  };
}

function fromMeshError(error: SliceMeshError): HttpError {
  const status = statusOfCode(error.code);
  // A 503 says when to come back; a 500 does not leak internals beyond the message.
  return new HttpError(status, error.code, REASONS[status] ?? 'Error', error.message);
}

/** Anything thrown by a route or by Fastify itself, as an HttpError. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (isSliceMeshError(error)) return fromMeshError(error);
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    return new HttpError(400, 'invalid-message', 'Bad Request', String(fastifyError.message));
  }
  const status = fastifyError.statusCode;
  if (status === 413)
    return new HttpError(
      413,
      'payload-too-large',
      'Payload Too Large',
      String(fastifyError.message),
    );
  if (status === 415)
    return new HttpError(
      415,
      'unsupported-media-type',
      'Unsupported Media Type',
      String(fastifyError.message),
    );
  if (status !== undefined && status >= 400 && status < 500)
    // Bad JSON, an empty body where one is needed, …: the request is malformed.
    return new HttpError(
      status,
      'invalid-json',
      REASONS[status] ?? 'Bad Request',
      String(fastifyError.message),
    );
  return new HttpError(500, 'internal', 'Internal Server Error', 'internal error');
}

export function sendError(reply: FastifyReply, error: HttpError): FastifyReply {
  return reply
    .code(error.status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(errorBody(error.status, error.code, error.message));
}

/** Fastify's error handler: every failure leaves as a TMF error body. */
export function errorHandler(
  log: (error: unknown, request: FastifyRequest) => void,
): (error: unknown, request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (error, request, reply) => {
    const http = toHttpError(error);
    if (http.status >= 500) log(error, request);
    return sendError(reply, http);
  };
}

export function notFound(what: string): HttpError {
  return new HttpError(404, 'not-found', 'Not Found', what);
}
