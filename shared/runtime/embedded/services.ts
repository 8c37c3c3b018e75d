/**
 * Decides where the mesh's servers are: the URLs from the configuration, or
 * embedded servers started here. While a mesh runs, `<dataDir>/mesh.json`
 * tells other CLI commands (`request`, `status`, …) how to reach it.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { SliceMeshError } from '../../contracts/errors.js';
import type { SliceMeshConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { type ChromaServer, startChromaServer } from './chroma.js';
import { type NatsServer, startNatsServer } from './nats.js';
import { isPidAlive } from './supervise.js';
import { embeddedSecurityDir, meshTenants, prepareSecurity } from '../security/index.js';

export const MESH_FILE = 'mesh.json';

export const MeshFile = z.object({
  natsUrl: z.string().min(1),
  chromaUrl: z.string().min(1).nullable(),
  namespace: z.string().min(1),
  /**
   * The directory of the embedded mesh's seed files (`<identity>.nk`, mode 0600): who joins
   * the mesh connects with its own file from there. Seeds themselves are never in this file.
   * Null when the mesh runs on a server of its own (NATS_URL).
   */
  credentialsDir: z.string().min(1).nullable().optional(),
  pid: z.number().int().positive(),
  startedAt: z.number().int().nonnegative().optional(),
  /** Where the api role serves HTTP (TMF921, the dashboard): the port it bound. Null without it. */
  apiUrl: z.string().min(1).nullable().optional(),
  /** The file of the api's bearer token (mode 0600); the token itself is never in this file. */
  apiTokenFile: z.string().min(1).nullable().optional(),
});
export type MeshFile = z.infer<typeof MeshFile>;

/** What an agent serving HTTP tells the process that started it (the api role's handle). */
export interface HttpEndpoint {
  readonly url: string;
  readonly tokenFile: string;
}

/** The HTTP endpoint among started agents' handles, if one serves it (for the mesh file). */
export function httpEndpointOf(handles: readonly object[]): HttpEndpoint | null {
  for (const handle of handles) {
    const http = (handle as { http?: unknown }).http;
    if (
      typeof http === 'object' &&
      http !== null &&
      typeof (http as HttpEndpoint).url === 'string' &&
      typeof (http as HttpEndpoint).tokenFile === 'string'
    )
      return http as HttpEndpoint;
  }
  return null;
}

/** Path of the mesh file in `dataDir`. */
export function meshFilePath(dataDir: string): string {
  return resolve(dataDir, MESH_FILE);
}

/**
 * Reads `<dataDir>/mesh.json` of a running mesh. Returns null when there is
 * none, or when the process that wrote it is gone (a stale file).
 */
export function readMeshFile(dataDir: string): MeshFile | null {
  let text: string;
  try {
    text = readFileSync(meshFilePath(dataDir), 'utf8');
  } catch {
    return null;
  }
  let parsed: ReturnType<typeof MeshFile.safeParse>;
  try {
    parsed = MeshFile.safeParse(JSON.parse(text));
  } catch {
    return null;
  }
  if (!parsed.success || !isPidAlive(parsed.data.pid)) return null;
  return parsed.data;
}

/** Atomically writes the mesh file; returns a function that removes it (only if still ours). */
export function writeMeshFile(dataDir: string, mesh: MeshFile): () => void {
  mkdirSync(resolve(dataDir), { recursive: true });
  const path = meshFilePath(dataDir);
  const temp = join(resolve(dataDir), `.${MESH_FILE}.${process.pid}.tmp`);
  writeFileSync(temp, `${JSON.stringify(mesh, null, 2)}\n`);
  renameSync(temp, path);
  return () => {
    try {
      const current = MeshFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
      if (current.success && current.data.pid !== mesh.pid) return;
    } catch {
      // unreadable: ours to remove
    }
    rmSync(path, { force: true });
  };
}

/** Throws `config` when another live process serves a mesh from `dataDir`. */
export function assertNoRunningMesh(dataDir: string): void {
  const running = readMeshFile(dataDir);
  if (running && running.pid !== process.pid) {
    throw new SliceMeshError(
      'config',
      `a mesh is already running from ${meshFilePath(dataDir)} (pid ${running.pid}, NATS ${running.natsUrl}); ` +
        'stop it first or use another SLICEMESH_DATA_DIR',
    );
  }
}

export interface ResolvedServices {
  readonly natsUrl: string;
  /** The embedded server's generated credentials (null with NATS_URL: the configured ones apply). */
  readonly credentialsDir: string | null;
  /** null when Chroma was not asked for. */
  readonly chromaUrl: string | null;
  /** The servers started here (absent when a URL came from the config). */
  readonly embedded: { nats?: NatsServer; chroma?: ChromaServer };
  /** Stops the embedded servers. */
  stop(): Promise<void>;
}

export interface ResolveOptions {
  logger?: Logger;
  /** Start/resolve Chroma too (default true). */
  chroma?: boolean;
}

/**
 * Returns the NATS/Chroma URLs from `config`, starting embedded servers under
 * `config.mesh.dataDir` for those not configured.
 */
export async function resolveServices(
  config: SliceMeshConfig,
  options: ResolveOptions = {},
): Promise<ResolvedServices> {
  const dataDir = config.mesh.dataDir;
  const log = options.logger;
  const embedded: { nats?: NatsServer; chroma?: ChromaServer } = {};
  const stopEmbedded = async () => {
    // Chroma first: it does not depend on NATS, and NATS should outlive clients.
    await embedded.chroma?.stop();
    await embedded.nats?.stop();
  };
  try {
    let natsUrl = config.nats.url;
    let credentialsDir: string | null = null;
    if (!natsUrl) {
      // Never open: every identity gets its own seed and the server only its permissions.
      const security = prepareSecurity(embeddedSecurityDir(dataDir, config.mesh.namespace), {
        namespace: config.mesh.namespace,
        tenants: meshTenants(config),
      });
      credentialsDir = security.dir;
      embedded.nats = await startNatsServer({ dataDir, configFile: security.configFile });
      natsUrl = embedded.nats.url;
      log?.info('embedded nats-server started', {
        url: natsUrl,
        pid: embedded.nats.process.pid,
        storeDir: embedded.nats.storeDir,
        credentialsDir,
        generated: security.created.length,
      });
    }
    let chromaUrl: string | null = null;
    if (options.chroma !== false) {
      chromaUrl = config.chroma.url ?? null;
      if (!chromaUrl) {
        embedded.chroma = await startChromaServer({ dataDir });
        chromaUrl = embedded.chroma.url;
        log?.info('embedded chroma started', {
          url: chromaUrl,
          pid: embedded.chroma.process.pid,
          path: resolve(dataDir, 'chroma'),
        });
      }
    }
    let stopped: Promise<void> | undefined;
    return {
      natsUrl,
      credentialsDir,
      chromaUrl,
      embedded,
      stop: () => (stopped ??= stopEmbedded()),
    };
  } catch (error) {
    await stopEmbedded();
    throw error;
  }
}

/**
 * A copy of `config` whose NATS/Chroma URLs (and namespace) are the ones actually in use.
 * With a `credentialsDir` (an embedded mesh's), each identity connects with its seed from
 * there, in plain text on loopback, whatever seed file or TLS files were configured.
 */
export function withServiceUrls(
  config: SliceMeshConfig,
  urls: {
    natsUrl: string;
    chromaUrl?: string | null;
    namespace?: string;
    credentialsDir?: string | null;
  },
): SliceMeshConfig {
  const nats =
    urls.credentialsDir === undefined || urls.credentialsDir === null
      ? { ...config.nats, url: urls.natsUrl }
      : {
          url: urls.natsUrl,
          credentialsDir: urls.credentialsDir,
          seedFile: undefined,
          tlsCa: undefined,
          tlsCert: undefined,
          tlsKey: undefined,
        };
  return {
    ...config,
    nats,
    chroma: { ...config.chroma, url: urls.chromaUrl ?? config.chroma.url },
    mesh: { ...config.mesh, namespace: urls.namespace ?? config.mesh.namespace },
  };
}
