/**
 * The nats-server configuration of a secured mesh: one nkey user per
 * identity with the permissions the table generates (nats-server 2.9
 * `authorization { users: [...] }`), and an optional `tls` block. It is a
 * complete config for the embedded server (ports and JetStream come from
 * the command line) and an include file for a deployment's own nats.conf.
 */
import { resolve } from 'node:path';
import { permissionsOf, type Permissions } from '../../contracts/permissions.js';
import { createSubjects } from '../../contracts/subjects.js';
import { writePrivateFile, type IdentityCredential } from './credentials.js';

/** File name of the generated configuration. */
export const AUTH_CONFIG_FILE = 'nats-auth.conf';

/** The server's certificate and key; with `caFile` it also demands client certificates signed by it. */
export interface ServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile?: string;
}

export interface ServerConfigOptions {
  readonly namespace: string;
  readonly tenants: readonly string[];
  readonly tls?: ServerTls;
}

/** A NATS user entry; the config format is a superset of JSON, so JSON is written. */
function userEntry(publicKey: string, permissions: Permissions): Record<string, unknown> {
  return {
    nkey: publicKey,
    permissions: {
      publish: { allow: permissions.publish },
      subscribe: { allow: permissions.subscribe },
      ...(permissions.allowResponses ? { allow_responses: true } : {}),
    },
  };
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((line) => by + line)
    .join('\n');
}

/** The configuration text for these credentials. */
export function renderServerConfig(
  credentials: readonly IdentityCredential[],
  options: ServerConfigOptions,
): string {
  const subjects = createSubjects(options.namespace);
  const users = credentials.map(({ identity, publicKey }) => {
    const entry = JSON.stringify(
      userEntry(publicKey, permissionsOf(identity, subjects, options.tenants)),
      null,
      2,
    );
    return `    # ${identity}\n${indent(entry, '    ')}`;
  });
  const lines = [
    `# SliceMesh: one NATS user per identity of namespace ${subjects.namespace} (tenants ${options.tenants.join(', ')}).`,
    '# Generated from shared/contracts/permissions.ts by `slicemesh security init` / `slicemesh up`:',
    '# regenerate it rather than edit it. It holds public keys only; the seeds are in the *.nk files.',
    'authorization {',
    '  users: [',
    users.join(',\n'),
    '  ]',
    '}',
  ];
  if (options.tls) {
    const { certFile, keyFile, caFile } = options.tls;
    lines.push(
      'tls {',
      `  cert_file: ${JSON.stringify(resolve(certFile))}`,
      `  key_file: ${JSON.stringify(resolve(keyFile))}`,
      ...(caFile === undefined
        ? []
        : [`  ca_file: ${JSON.stringify(resolve(caFile))}`, '  verify: true']),
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Writes the configuration into `dir` (mode 0600) and returns its path. */
export function writeServerConfig(
  dir: string,
  credentials: readonly IdentityCredential[],
  options: ServerConfigOptions,
): string {
  const file = resolve(dir, AUTH_CONFIG_FILE);
  writePrivateFile(file, renderServerConfig(credentials, options));
  return file;
}
