/**
 * `slicemesh security init DIR`: the credentials of a deployment (one nkey
 * seed file per role, tenant client and the operator, and the nats-server
 * include file with every identity's user and permissions).
 * `slicemesh security table`: the permission table those files are
 * generated from, as Markdown (docs/operations.md#security) or JSON.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import {
  SliceMeshError,
  createSubjects,
  jetstreamOf,
  meshIdentities,
  parseIdentity,
  permissionsOf,
  type Permissions,
  type Subjects,
} from '../../shared/contracts/index.js';
import { loadConfig } from '../../shared/runtime/config.js';
import {
  AUTH_CONFIG_FILE,
  meshTenants,
  prepareSecurity,
} from '../../shared/runtime/security/index.js';
import { parseList } from './up.js';

interface MeshFlags {
  namespace?: string;
  tenants?: string[];
}

interface InitFlags extends MeshFlags {
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  rotate?: boolean;
}

interface TableFlags extends MeshFlags {
  format: 'markdown' | 'json';
}

/** Namespace and tenants from the flags, else from the environment (SLICEMESH_NAMESPACE, SLICEMESH_TENANTS). */
function meshOf(flags: MeshFlags): { namespace: string; tenants: string[] } {
  const config = loadConfig({
    ...process.env,
    ...(flags.namespace ? { SLICEMESH_NAMESPACE: flags.namespace } : {}),
    ...(flags.tenants ? { SLICEMESH_TENANTS: flags.tenants.join(',') } : {}),
  });
  // The tenant list of the flag is the whole list; the environment's adds SLICEMESH_TENANT.
  const tenants = flags.tenants ? config.mesh.tenants : meshTenants(config);
  return { namespace: config.mesh.namespace, tenants };
}

function addMeshOptions(command: Command): Command {
  return command
    .option(
      '--namespace <ns>',
      'subject namespace of the mesh (default: SLICEMESH_NAMESPACE or slicemesh)',
    )
    .option(
      '--tenants <list>',
      'comma-separated tenants, one client identity each (default: SLICEMESH_TENANTS and SLICEMESH_TENANT)',
      parseList,
    );
}

const code = (subject: string) => `\`${subject}\``;
const isJetStreamApi = (subject: string) =>
  subject.startsWith('$JS.') || subject.startsWith('$KV.');

/** A role's JetStream resources in a few words (`--format json` lists the API subjects). */
function describeJetStream(identity: string, subjects: Subjects): string {
  const parsed = parseIdentity(identity);
  if (parsed?.kind === 'operator') return 'everything';
  if (parsed?.kind !== 'role') return '-';
  const js = jetstreamOf(parsed.role, subjects);
  const parts = [
    ...js.streams.map((name) => `stream ${code(name)}`),
    ...js.creates.map((name) => `creates ${code(name)} if missing`),
    ...js.consumers.map(({ stream, durable }) => `durable ${code(durable)} on ${code(stream)}`),
    ...js.buckets.map((name) => `KV ${code(name)}`),
  ];
  return parts.length > 0 ? parts.join('<br>') : '-';
}

/**
 * The permission table as Markdown: one row per identity, its core subjects in full and
 * its JetStream API subjects summarised by resource.
 */
export function formatPermissionTable(namespace: string, tenants: readonly string[]): string {
  const subjects = createSubjects(namespace);
  const rows = meshIdentities(tenants).map((identity) => {
    const p: Permissions = permissionsOf(identity, subjects, tenants);
    const publish = p.publish.filter((subject) => !isJetStreamApi(subject));
    return `| ${identity} | ${publish.map(code).join('<br>')} | ${p.subscribe.map(code).join('<br>')} | ${describeJetStream(identity, subjects)} | ${p.allowResponses ? 'yes' : 'no'} |`;
  });
  return [
    `Namespace \`${subjects.namespace}\`, tenants ${tenants.map(code).join(', ')}.`,
    '',
    '| identity | publish | subscribe | JetStream (manages, consumes) | replies |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

function init(dir: string, flags: InitFlags): void {
  const { namespace, tenants } = meshOf(flags);
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined))
    throw new SliceMeshError('config', '--tls-cert and --tls-key go together');
  const tls =
    flags.tlsCert !== undefined && flags.tlsKey !== undefined
      ? {
          certFile: flags.tlsCert,
          keyFile: flags.tlsKey,
          ...(flags.tlsCa !== undefined ? { caFile: flags.tlsCa } : {}),
        }
      : undefined;
  const prepared = prepareSecurity(resolve(dir), {
    namespace,
    tenants,
    ...(tls ? { tls } : {}),
    ...(flags.rotate === true ? { rotate: true } : {}),
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`credentials of namespace ${namespace} (tenants ${tenants.join(', ')}) in ${prepared.dir}`);
  for (const { identity, seedFile } of prepared.credentials) {
    out(`  ${prepared.created.includes(identity) ? 'new ' : 'kept'}  ${seedFile}`);
  }
  out(`  nats-server users and permissions: ${prepared.configFile}`);
  out(`  the api role's bearer token:        ${prepared.apiTokenFile}`);
  out('');
  out(
    `Include it in the server's configuration:   include ${AUTH_CONFIG_FILE}   (a path relative to that file)`,
  );
  out('and give each process its own seed:          SLICEMESH_NATS_SEED_FILE=<dir>/<identity>.nk');
  out('or, for several roles in one process:         SLICEMESH_NATS_CREDENTIALS_DIR=<dir>');
}

/** Registers `slicemesh security`. */
export function register(program: Command): void {
  const security = program
    .command('security')
    .description('Identities and permissions on the bus (docs/operations.md#security).');

  addMeshOptions(
    security
      .command('init')
      .description(
        'Write the credentials of a deployment into DIR: one nkey seed file (mode 0600) per role, ' +
          'tenant client and the operator, and the nats-server include file with their users and permissions. ' +
          'Existing seeds are kept (identities stay stable); missing ones are added; the include file is rewritten.',
      )
      .argument('<dir>', 'directory for the seed files and the include file'),
  )
    .option('--tls-cert <file>', 'server certificate (PEM): the include file then requires TLS')
    .option('--tls-key <file>', 'private key of the server certificate')
    .option(
      '--tls-ca <file>',
      'CA of client certificates: the server then verifies clients (mutual TLS)',
    )
    .option('--rotate', 'replace every seed (clients must then get their new files)')
    .action((dir: string, flags: InitFlags) => init(dir, flags));

  addMeshOptions(
    security
      .command('table')
      .description('Print the permission table every identity is configured from.'),
  )
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['markdown', 'json'])
        .default('markdown'),
    )
    .action((flags: TableFlags) => {
      const { namespace, tenants } = meshOf(flags);
      if (flags.format === 'json') {
        const subjects = createSubjects(namespace);
        const table = Object.fromEntries(
          meshIdentities(tenants).map((id) => [id, permissionsOf(id, subjects, tenants)]),
        );
        process.stdout.write(`${JSON.stringify(table, null, 2)}\n`);
        return;
      }
      process.stdout.write(formatPermissionTable(namespace, tenants));
    });
}
