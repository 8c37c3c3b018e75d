/**
 * The HTTP server: TMF921 v5 under /tmf-api/intentManagement/v5 (bearer token on every
 * route), its OpenAPI document at /openapi.json (public), and the dashboard at /.
 */
import Fastify, { type FastifyInstance, type preHandlerHookHandler } from 'fastify';
import type { Logger } from '../../shared/runtime/logger.js';
import { errorHandler, HttpError, notFound, sendError } from './errors.js';
import type { Hub } from './hub.js';
import { BASE_PATH, type IntentInput, type IntentPatch } from './intent.js';
import { openApiDocument } from './openapi.js';
import { filtersOf, matches, project, type ListQuery } from './query.js';
import {
  Hub_FVO,
  IdParams,
  IntentListQuery,
  Intent_FVO,
  Intent_MVO,
  ReportParams,
} from './schemas.js';
import type { IntentService } from './service.js';

/** Largest request body: an intent is a paragraph and a few targets, not a document. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export interface ServerOptions {
  readonly service: IntentService;
  readonly hub: Hub;
  readonly authenticate: preHandlerHookHandler;
  readonly logger: Logger;
  readonly version: string;
  /** Registers the dashboard at `/` (given the app). */
  readonly dashboard?: (app: FastifyInstance) => Promise<void>;
}

function pagingOf(query: Record<string, unknown>): { offset: number; limit: number } {
  const int = (value: unknown, fallback: number) =>
    typeof value === 'string' && value !== '' ? Number.parseInt(value, 10) : fallback;
  return { offset: int(query.offset, 0), limit: int(query.limit, 100) };
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { service, hub, logger } = options;
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    logger: false,
    // A number sent for a string is a malformed body, not something to convert.
    ajv: { customOptions: { coerceTypes: false, allErrors: false } },
  });
  // TMF630 PATCH bodies are JSON merge patches.
  app.addContentTypeParser(
    'application/merge-patch+json',
    { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
    app.getDefaultJsonParser('error', 'error'),
  );
  app.setErrorHandler(
    errorHandler((error, request) =>
      logger.error('api request failed', { method: request.method, url: request.url, error }),
    ),
  );
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, notFound(`no route ${request.method} ${request.url.split('?')[0]}`)),
  );

  const document = openApiDocument(options.version);
  app.get('/openapi.json', async () => document);

  await app.register(
    async (api) => {
      api.addHook('onRequest', options.authenticate);

      api.post('/intent', { schema: { body: Intent_FVO } }, async (request, reply) => {
        const intent = await service.create(request.body as IntentInput);
        return reply.code(201).header('location', intent.href).send(intent);
      });

      api.get('/intent', { schema: { querystring: IntentListQuery } }, async (request, reply) => {
        const query = request.query as Record<string, unknown>;
        const { offset, limit } = pagingOf(query);
        const fields = typeof query.fields === 'string' ? query.fields : undefined;
        const filters = filtersOf({ ...query, offset, limit } as ListQuery);
        const page: unknown[] = [];
        let total = 0;
        // The walk ends at the first match past the page: counting every intent would read
        // every slice of the mesh for each page. So the total is known, and sent, on the
        // last page only (a full page without it says more follow).
        let more = false;
        for await (const intent of service.list()) {
          if (!matches(intent, filters)) continue;
          if (total >= offset + limit) {
            more = true;
            break;
          }
          if (total >= offset) page.push(project(intent, fields));
          total += 1;
        }
        if (!more) reply.header('x-total-count', String(total));
        return reply.header('x-result-count', String(page.length)).send(page);
      });

      api.get('/intent/:id', { schema: { params: IdParams } }, async (request) => {
        const { id } = request.params as { id: string };
        const query = request.query as Record<string, unknown>;
        const intent = await service.get(id);
        return project(intent, typeof query.fields === 'string' ? query.fields : undefined);
      });

      api.patch(
        '/intent/:id',
        { schema: { params: IdParams, body: Intent_MVO } },
        async (request) => {
          const { id } = request.params as { id: string };
          return service.patch(id, request.body as IntentPatch);
        },
      );

      api.delete('/intent/:id', { schema: { params: IdParams } }, async (request, reply) => {
        const { id } = request.params as { id: string };
        await service.terminate(id);
        return reply.code(204).send();
      });

      api.get('/intent/:id/intentReport', { schema: { params: IdParams } }, async (request) => {
        const { id } = request.params as { id: string };
        return service.reports(id);
      });

      api.get(
        '/intent/:id/intentReport/:reportId',
        { schema: { params: ReportParams } },
        async (request) => {
          const { id, reportId } = request.params as { id: string; reportId: string };
          const report = (await service.reports(id)).find((r) => r.id === reportId);
          if (!report) throw notFound(`intent ${id} has no report ${reportId}`);
          return report;
        },
      );

      api.post('/hub', { schema: { body: Hub_FVO } }, async (request, reply) => {
        const body = request.body as { callback: string; query?: string };
        const registration = await hub.register(body.callback, body.query);
        return reply.code(201).send({
          '@type': 'Hub',
          id: registration.id,
          callback: registration.callback,
          ...(registration.query === undefined ? {} : { query: registration.query }),
        });
      });

      api.delete('/hub/:id', { schema: { params: IdParams } }, async (request, reply) => {
        const { id } = request.params as { id: string };
        if (!(await hub.unregister(id))) throw notFound(`no hub listener ${id}`);
        return reply.code(204).send();
      });
    },
    { prefix: BASE_PATH },
  );

  if (options.dashboard) await options.dashboard(app);
  return app;
}

export { HttpError };
