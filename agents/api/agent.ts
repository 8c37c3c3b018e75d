/**
 * The api role: TMF921 Intent Management over HTTP and the live dashboard, talking to
 * the mesh only over the bus, as its own identity. It starts last (it serves what the
 * other roles do) and stops first: HTTP closes before the bus drains.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { ConsumerHandle } from '../../shared/bus/index.js';
import { HubRegistration, StoredIntent } from '../../shared/contracts/api.js';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import { SliceEvent } from '../../shared/contracts/messages.js';
import {
  createAgentHandle,
  extendAgentHandle,
  type AgentDeps,
  type AgentHandle,
} from '../../shared/runtime/agent.js';
import type { SliceMeshConfig } from '../../shared/runtime/config.js';
import type { HttpEndpoint } from '../../shared/runtime/embedded/services.js';
import { apiTokenPath, meshTenants, readApiToken } from '../../shared/runtime/security/index.js';
import { dashboardPlugin } from './dashboard/index.js';
import { bearerAuth } from './auth.js';
import { createEventFeed } from './events.js';
import { createHub } from './hub.js';
import { buildServer } from './server.js';
import { createIntentService } from './service.js';

export const API_ROLE = 'api';

export interface ApiConfig {
  /** 0 = any free port. */
  readonly port: number;
  readonly host: string;
  /** The bearer token's file; undefined when none is configured (the agent refuses to start). */
  readonly tokenFile: string | undefined;
  readonly jaegerUrl?: string;
  /** Tenants the api may act for, and the one an intent naming none is for. */
  readonly tenants: readonly string[];
  readonly defaultTenant: string;
  readonly dataDir: string;
  /** Per bus call of a request (default 3 s). */
  readonly busTimeoutMs?: number;
}

export type ApiAgent = AgentHandle & {
  /** Where it serves, once started (null before). */
  readonly http: HttpEndpoint | null;
};

/** SLICEMESH_HTTP_*, the token file (configured, else the credentials directory's). */
export function apiConfigFrom(config: SliceMeshConfig): ApiConfig {
  const tokenFile =
    config.api.tokenFile ??
    (config.nats.credentialsDir === undefined
      ? undefined
      : apiTokenPath(config.nats.credentialsDir));
  return {
    port: config.api.httpPort,
    host: config.api.httpHost,
    tokenFile,
    ...(config.api.jaegerUrl === undefined ? {} : { jaegerUrl: config.api.jaegerUrl }),
    tenants: meshTenants(config),
    defaultTenant: config.mesh.tenant,
    dataDir: config.mesh.dataDir,
  };
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  // A wildcard address is reached on loopback from this machine.
  const reachable = host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;
  return `http://${reachable}:${address.port}`;
}

/** Creates the api agent; nothing happens until `start()`. */
export function createApiAgent(
  deps: AgentDeps,
  config: ApiConfig = apiConfigFrom(deps.config),
): ApiAgent {
  const { bus, logger } = deps;
  let app: FastifyInstance | undefined;
  let consumer: ConsumerHandle | undefined;
  let http: HttpEndpoint | null = null;

  const handle = createAgentHandle(deps, {
    async start() {
      const tokenFile = config.tokenFile;
      if (tokenFile === undefined) {
        throw new SliceMeshError(
          'config',
          'the api needs a bearer token: set SLICEMESH_API_TOKEN_FILE (or SLICEMESH_NATS_CREDENTIALS_DIR holding api.token, as `slicemesh security init` writes it)',
        );
      }
      const authenticate = bearerAuth(readApiToken(tokenFile));
      const [intents, hubs] = await Promise.all([
        bus.kv(bus.subjects.apiIntentBucket, StoredIntent, { history: 1 }),
        bus.kv(bus.subjects.apiHubBucket, HubRegistration, { history: 1 }),
      ]);
      const hub = createHub({ kv: hubs, logger, now: () => deps.clock.now() });
      await hub.load();
      const service = createIntentService({
        bus,
        intents,
        tenants: config.tenants,
        defaultTenant: config.defaultTenant,
        now: () => deps.clock.now(),
        tracer: deps.tracer,
        ...(config.busTimeoutMs === undefined ? {} : { timeoutMs: config.busTimeoutMs }),
      });
      app = await buildServer({
        service,
        hub,
        authenticate,
        logger,
        version: '5.0.0',
        dashboard: async (server) => {
          await server.register(dashboardPlugin, {
            bus,
            logger: logger.child({ part: 'dashboard' }),
            ...(config.jaegerUrl === undefined ? {} : { jaegerUrl: config.jaegerUrl }),
            authenticate,
            dataDir: config.dataDir,
          });
        },
      });
      await app.listen({ port: config.port, host: config.host });
      http = { url: urlOf(app.server.address() as AddressInfo), tokenFile };

      // The hub's feed: a durable consumer, so events that arrive while the api is down
      // reach the listeners when it is back; a new one starts at the stream's end.
      await bus.ensureStreams();
      consumer = await bus.consume(
        bus.subjects.eventStream,
        bus.subjects.queueGroup(API_ROLE),
        bus.subjects.sliceEventsAll(),
        SliceEvent,
        createEventFeed({ hub, intents, kpiOf: (id) => service.kpiOf(id) }),
        { deliverPolicy: 'new' },
      );
      logger.info('api serving', { url: http.url, hubListeners: hub.list().length });
    },
    async stop() {
      await app?.close();
      await consumer?.stop();
      http = null;
    },
  });

  return extendAgentHandle(handle, {
    get http() {
      return http;
    },
  });
}
