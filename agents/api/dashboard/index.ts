/**
 * The live dashboard, served by the api role at its root: static assets and a
 * stream of the mesh's slice events. Registered by the api server as a Fastify
 * plugin; until it is built it serves nothing.
 */
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import type { Bus } from '../../../shared/bus/index.js';
import type { Logger } from '../../../shared/runtime/logger.js';

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
}

export async function dashboardPlugin(
  _app: FastifyInstance,
  _options: DashboardOptions,
): Promise<void> {}
