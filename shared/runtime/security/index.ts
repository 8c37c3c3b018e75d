/**
 * Identity on the bus: generating a mesh's credentials and server
 * configuration (`slicemesh up`, the replay's embedded mesh, `slicemesh
 * security init`), and telling each connection which identity it is and how
 * it authenticates.
 */
import { existsSync } from 'node:fs';
import type { BusOptions } from '../../bus/bus.js';
import { SliceMeshError } from '../../contracts/errors.js';
import { meshIdentities, parseIdentity } from '../../contracts/permissions.js';
import type { SliceMeshConfig } from '../config.js';
import { apiTokenPath, ensureApiToken } from './api-token.js';
import { ensureCredentials, seedFilePath, type IdentityCredential } from './credentials.js';
import { type ServerTls, writeServerConfig } from './server-config.js';

export {
  embeddedSecurityDir,
  ensureCredentials,
  publicKeyOf,
  seedFileName,
  seedFilePath,
  type IdentityCredential,
} from './credentials.js';
export { API_TOKEN_FILE, apiTokenPath, ensureApiToken, readApiToken } from './api-token.js';
export {
  AUTH_CONFIG_FILE,
  renderServerConfig,
  writeServerConfig,
  type ServerTls,
} from './server-config.js';

/** The tenants a mesh knows: the configured list, and the CLI's own tenant. */
export function meshTenants(config: Pick<SliceMeshConfig, 'mesh'>): string[] {
  return [...new Set([config.mesh.tenant, ...config.mesh.tenants])];
}

export interface SecurityOptions {
  readonly namespace: string;
  readonly tenants: readonly string[];
  readonly tls?: ServerTls;
  /** Replace every existing seed (default: keep them, add what is missing). */
  readonly rotate?: boolean;
}

export interface PreparedSecurity {
  /** The credentials directory (seed files and the server configuration). */
  readonly dir: string;
  /** The nats-server configuration with every identity's user and permissions. */
  readonly configFile: string;
  readonly credentials: readonly IdentityCredential[];
  /** Identities whose seed was generated now. */
  readonly created: readonly string[];
  /** The api role's bearer token file (mode 0600). */
  readonly apiTokenFile: string;
}

/** Seeds for every identity of the mesh plus the server configuration naming them, in `dir`. */
export function prepareSecurity(dir: string, options: SecurityOptions): PreparedSecurity {
  const { credentials, created } = ensureCredentials(dir, meshIdentities(options.tenants), {
    ...(options.rotate === undefined ? {} : { rotate: options.rotate }),
  });
  const configFile = writeServerConfig(dir, credentials, {
    namespace: options.namespace,
    tenants: options.tenants,
    ...(options.tls ? { tls: options.tls } : {}),
  });
  ensureApiToken(dir, options.rotate === undefined ? {} : { rotate: options.rotate });
  return { dir, configFile, credentials, created, apiTokenFile: apiTokenPath(dir) };
}

/** What `connectBus` needs to connect as `identity` with this configuration. */
export type IdentityBusOptions = Pick<BusOptions, 'identity' | 'seedFile' | 'tls'>;

/**
 * How `identity` connects: its seed from SLICEMESH_NATS_SEED_FILE (one identity for the
 * process), else `<credentials dir>/<identity>.nk` (a `security init` directory, or the
 * embedded mesh's), else none (an open server); TLS files from SLICEMESH_NATS_TLS_*.
 */
export function busIdentity(config: SliceMeshConfig, identity: string): IdentityBusOptions {
  const { seedFile, credentialsDir, tlsCa, tlsCert, tlsKey } = config.nats;
  let file = seedFile;
  if (file === undefined && credentialsDir !== undefined) {
    file = seedFilePath(credentialsDir, identity);
    if (!existsSync(file)) {
      throw new SliceMeshError(
        'config',
        `no credentials for ${identity} in ${credentialsDir}: add it with \`slicemesh security init ${credentialsDir}\`` +
          (parseIdentity(identity)?.kind === 'client' ? ' --tenants <every tenant>' : ''),
      );
    }
  }
  const tls = {
    ...(tlsCa === undefined ? {} : { caFile: tlsCa }),
    ...(tlsCert === undefined ? {} : { certFile: tlsCert }),
    ...(tlsKey === undefined ? {} : { keyFile: tlsKey }),
  };
  return {
    identity,
    ...(file === undefined ? {} : { seedFile: file }),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  };
}
