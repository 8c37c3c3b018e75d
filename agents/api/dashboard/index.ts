/**
 * The live dashboard, served by the api role at its root: the page and its
 * modules (unauthenticated: they hold no data), and data routes under
 * `/dashboard/api` behind the api's bearer token: a page of slices, one
 * slice's detail, a Server-Sent Events stream of the mesh's slice
 * transitions, and finished replays' reports. Registered by the api server
 * as a Fastify plugin; everything it asks of the mesh goes over the api's
 * own bus connection.
 */
import { join, resolve } from 'node:path';
import type { FastifyInstance, FastifyReply, preHandlerHookHandler } from 'fastify';
import type { Bus } from '../../../shared/bus/index.js';
import {
  ENDPOINTS,
  MAX_SLICE_PAGE,
  SLICE_STATES,
  isSliceMeshError,
  type SliceState,
  type TelemetrySummary,
} from '../../../shared/contracts/index.js';
import { fetchSlicePage } from '../../../shared/clients/slice-list.js';
import type { Logger } from '../../../shared/runtime/logger.js';
import { statusOfCode } from '../errors.js';
import { ASSET_PREFIX, loadAssets } from './assets.js';
import { DEFAULT_HUB_OPTIONS, SliceEventHub } from './events.js';
import { ReportSummaries, findReports, readReport, reportSummary } from './reports.js';
import { sliceDetail, sliceRow } from './slices.js';

export interface DashboardOptions {
  /** The api role's own bus connection (the dashboard subscribes to slice events on it). */
  readonly bus: Bus;
  readonly logger: Logger;
  /** Base URL of the Jaeger UI (SLICEMESH_JAEGER_URL), for trace links; absent = no links. */
  readonly jaegerUrl?: string;
  /** Checks the bearer token (Authorization header or `access_token` query); for data routes. */
  readonly authenticate: preHandlerHookHandler;
  /** The mesh's data directory (reports of finished replays are looked for under it). */
  readonly dataDir: string;
  /**
   * Directories whose subdirectories are replay reports (default: `<dataDir>/reports` and
   * `reports/` of the working directory, where `npm start` writes `reports/latest`).
   */
  readonly reportDirs?: readonly string[];
  /** Keep-alive comment interval of the event stream (default 15 s). */
  readonly heartbeatMs?: number;
  /** Unsent bytes an event stream client may queue before it is dropped (default 1 MiB). */
  readonly clientBufferBytes?: number;
}

/** Where the data routes live. */
export const DASHBOARD_API = '/dashboard/api';

/** How long a data route waits on the mesh before answering 503. */
const MESH_TIMEOUT_MS = 5_000;
/** The telemetry summary is optional in a detail: waited on less. */
const TELEMETRY_TIMEOUT_MS = 2_000;

/**
 * The HTTP status of a mesh error (what a route answers when the bus call failed): the
 * api's mapping, except that an invalid message is a bad query here (400), not an intent
 * that could not be understood (422).
 */
export function httpStatusOf(error: unknown): number {
  if (!isSliceMeshError(error)) return 500;
  return error.code === 'invalid-message' ? 400 : statusOfCode(error.code);
}

function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const status = httpStatusOf(error);
  const code = isSliceMeshError(error) ? error.code : 'internal';
  const message = error instanceof Error ? error.message : String(error);
  return reply.code(status).send({ code, message });
}

export async function dashboardPlugin(app: FastifyInstance, options: DashboardOptions) {
  const { bus, logger, authenticate } = options;
  const assets = loadAssets();
  const hub = new SliceEventHub(bus, logger, {
    heartbeatMs: options.heartbeatMs ?? DEFAULT_HUB_OPTIONS.heartbeatMs,
    maxBufferedBytes: options.clientBufferBytes ?? DEFAULT_HUB_OPTIONS.maxBufferedBytes,
  });
  const reportDirs = options.reportDirs ?? [join(options.dataDir, 'reports'), resolve('reports')];
  const summaries = new ReportSummaries();
  // Before the server stops listening: it waits for open connections, and an event
  // stream stays open until it is ended here.
  app.addHook('preClose', async () => hub.close());

  // The only inline script is the import map; the policy allows exactly it.
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'sha256-${assets.importMapHash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

  app.get('/', async (_request, reply) =>
    reply
      .header('content-type', assets.page.contentType)
      .header('content-security-policy', csp)
      .header('cache-control', 'no-cache')
      .send(assets.page.body),
  );

  app.get<{ Params: { '*': string } }>(`${ASSET_PREFIX}/*`, async (request, reply) => {
    const asset = assets.files.get(request.params['*']);
    if (!asset) return reply.code(404).send({ code: 'not-found', message: 'no such asset' });
    return reply
      .header('content-type', asset.contentType)
      .header('cache-control', 'no-cache')
      .send(asset.body);
  });

  app.get<{ Querystring: { state?: SliceState; limit?: string; cursor?: string } }>(
    `${DASHBOARD_API}/slices`,
    {
      preHandler: authenticate,
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            state: { type: 'string', enum: [...SLICE_STATES] },
            // A string: the api's validator does not coerce query values (checked below).
            limit: { type: 'string', pattern: '^[1-9][0-9]{0,2}$' },
            cursor: { type: 'string', minLength: 1, maxLength: 512 },
            access_token: { type: 'string' },
          },
        },
      },
    },
    async (request, reply) => {
      try {
        const { state, cursor } = request.query;
        const limit = request.query.limit === undefined ? undefined : Number(request.query.limit);
        if (limit !== undefined && limit > MAX_SLICE_PAGE) {
          return await reply
            .code(400)
            .send({ code: 'invalid-message', message: `limit is at most ${MAX_SLICE_PAGE}` });
        }
        const page = await fetchSlicePage(bus, {
          timeoutMs: MESH_TIMEOUT_MS,
          ...(state === undefined ? {} : { state }),
          ...(limit === undefined ? {} : { pageSize: limit }),
          ...(cursor === undefined ? {} : { cursor }),
        });
        return {
          slices: page.slices.map(sliceRow),
          ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
        };
      } catch (error) {
        return sendError(reply, error);
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    `${DASHBOARD_API}/slices/:id`,
    {
      preHandler: authenticate,
      schema: {
        params: {
          type: 'object',
          properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
          required: ['id'],
        },
      },
    },
    async (request, reply) => {
      try {
        const [got, summary] = await Promise.all([
          bus.request(
            ENDPOINTS.sliceGet,
            { type: 'slice.get.request.v1', sliceId: request.params.id },
            { timeoutMs: MESH_TIMEOUT_MS },
          ),
          // The detail still shows the record when telemetry is not answering.
          bus
            .request(
              ENDPOINTS.telemetrySummary,
              // Only this slice's figures (a summary lists at most a page of live slices).
              { type: 'telemetry.summary.request.v1', sliceIds: [request.params.id] },
              { timeoutMs: TELEMETRY_TIMEOUT_MS },
            )
            .catch((error: unknown): TelemetrySummary | null => {
              logger.debug('dashboard: no telemetry summary for a detail', {
                error: String(error),
              });
              return null;
            }),
        ]);
        return sliceDetail(got.slice, summary, options.jaegerUrl);
      } catch (error) {
        return sendError(reply, error);
      }
    },
  );

  app.get(`${DASHBOARD_API}/events`, { preHandler: authenticate }, async (request, reply) => {
    // The stream outlives the handler: Fastify hands the raw response over.
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Reverse proxies (nginx) would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    hub.add(reply.raw);
    await hub.flush().catch(() => undefined);
    request.log.debug({ clients: hub.clients }, 'dashboard event stream opened');
  });

  app.get(`${DASHBOARD_API}/reports`, { preHandler: authenticate }, async () => ({
    reports: await summaries.list(reportDirs),
  }));

  app.get<{ Params: { id: string } }>(
    `${DASHBOARD_API}/reports/:id`,
    { preHandler: authenticate },
    async (request, reply) => {
      // Resolved through the listing: a request never names a path.
      const entry = (await findReports(reportDirs)).find((e) => e.id === request.params.id);
      const report = entry ? await readReport(entry) : null;
      if (!entry || !report) {
        return reply
          .code(404)
          .send({ code: 'not-found', message: `no report ${request.params.id}` });
      }
      return {
        ...reportSummary(entry, report),
        context: report.context,
        slices: report.result.slices,
      };
    },
  );
}
