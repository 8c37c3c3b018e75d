/**
 * Bearer authentication: `Authorization: Bearer <token>`, or an `access_token` query
 * parameter (RFC 6750 §2.3) for what a browser opens without headers (the dashboard's
 * event stream). Compared in constant time on digests, so neither the token's content nor
 * its length shows in the timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { HttpError, sendError } from './errors.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The token a request presents, if any. */
export function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match) return match[1];
  }
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.access_token;
  return typeof fromQuery === 'string' && fromQuery.length > 0 ? fromQuery : undefined;
}

/** A hook that lets a request through with the right token and answers 401 otherwise. */
export function bearerAuth(token: string): preHandlerHookHandler {
  const expected = digest(token);
  return function authenticate(
    request: FastifyRequest,
    reply: FastifyReply,
    done: (error?: Error) => void,
  ): void {
    const presented = presentedToken(request);
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) {
      done();
      return;
    }
    reply.header('www-authenticate', 'Bearer realm="slicemesh"');
    void sendError(
      reply,
      new HttpError(
        401,
        'unauthorized',
        'Unauthorized',
        presented === undefined ? 'a bearer token is required' : 'the bearer token is not valid',
      ),
    );
  };
}
