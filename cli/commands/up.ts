/**
 * `slicemesh up`: the whole mesh in one foreground process — embedded
 * nats-server and Chroma (unless NATS_URL / CHROMA_URL point elsewhere) and
 * every registered agent role. Ctrl-C stops it all, in order.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../shared/runtime/config.js';
import {
  assertNoRunningMesh,
  httpEndpointOf,
  meshFilePath,
  resolveServices,
  writeMeshFile,
  withServiceUrls,
} from '../../shared/runtime/embedded/index.js';
import { launchRoles, selectRoles } from '../../shared/runtime/launch.js';
import { createLogger } from '../../shared/runtime/logger.js';
import { runProcess } from '../../shared/runtime/process.js';
import { traceFilePath } from '../../shared/telemetry/setup.js';
import { graceMsOption } from '../options.js';
import { roles as registry } from '../roles.js';

interface UpOptions {
  roles?: string[];
  dataDir?: string;
  graceMs: number;
}

/** Parses `a,b , c` into `['a','b','c']`. */
export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Registers `slicemesh up`. */
export function register(program: Command): void {
  program
    .command('up')
    .description(
      'Run the mesh in the foreground: embedded nats-server and Chroma (unless NATS_URL / CHROMA_URL are set) ' +
        'plus every registered agent role. Ctrl-C stops everything cleanly.',
    )
    .option('--roles <list>', 'comma-separated roles to start (default: all registered)', parseList)
    .option(
      '--data-dir <dir>',
      'where embedded services keep data and mesh.json lives (default: SLICEMESH_DATA_DIR or .data)',
    )
    .addOption(graceMsOption())
    .addHelpText(
      'after',
      `
While it runs, <data-dir>/mesh.json tells other commands (request, status, agent) how to reach the mesh.
Spans go to traces/mesh-<time>.json (OTLP JSON: Jaeger UI → Search → Upload → JSON File) and,
with OTEL_EXPORTER_OTLP_ENDPOINT set, to that collector. Logs are JSON lines on stderr.

Examples:
  slicemesh up
  slicemesh up --roles slice-manager,interpreter
  NATS_URL=nats://localhost:4222 CHROMA_URL=http://localhost:8000 slicemesh up`,
    )
    .action(async (options: UpOptions) => {
      await up(options);
    });
}

async function up(options: UpOptions): Promise<void> {
  const baseConfig = loadConfig({
    ...process.env,
    ...(options.dataDir ? { SLICEMESH_DATA_DIR: options.dataDir } : {}),
  });
  const logger = createLogger({ level: baseConfig.log.level, fields: { cmd: 'up' } });
  await runProcess(
    async (proc) => {
      // Refuse unknown roles before starting any server.
      const roles = selectRoles(registry, options.roles);
      if (roles.length === 0)
        logger.warn('no agent roles are registered yet; starting the services only');
      assertNoRunningMesh(baseConfig.mesh.dataDir);
      const services = await resolveServices(baseConfig, { logger });
      proc.onShutdown('stop-services', 'embedded services', () => services.stop());
      const config = withServiceUrls(baseConfig, services);
      const traceFile = traceFilePath(config.tracing.traceDir, 'mesh');
      const handles = await launchRoles({ config, registry, roles, traceFile, process: proc });
      // The api role's bound port (SLICEMESH_HTTP_PORT=0 picks any free one) and token file.
      const http = httpEndpointOf(handles);
      // Announce the mesh only once every role is up, so `request`/`status` never find a half-started one.
      const removeMeshFile = writeMeshFile(config.mesh.dataDir, {
        natsUrl: services.natsUrl,
        chromaUrl: services.chromaUrl,
        namespace: config.mesh.namespace,
        credentialsDir: services.credentialsDir,
        pid: process.pid,
        startedAt: Date.now(),
        apiUrl: http?.url ?? null,
        apiTokenFile: http?.tokenFile ?? null,
      });
      proc.onShutdown('stop-intake', 'mesh file', removeMeshFile);
      const embedded = (name: 'nats' | 'chroma') =>
        services.embedded[name] ? 'embedded' : 'external';
      process.stderr.write(
        [
          `SliceMesh is up (namespace ${config.mesh.namespace})`,
          `  NATS    ${services.natsUrl} (${embedded('nats')}${services.credentialsDir ? `, credentials in ${services.credentialsDir}` : ''})`,
          `  Chroma  ${services.chromaUrl ?? '-'} (${embedded('chroma')})`,
          ...(http ? [`  API     ${http.url} (bearer token in ${http.tokenFile})`] : []),
          `  roles   ${roles.join(', ') || '(none registered)'}`,
          `  data    ${config.mesh.dataDir}  (mesh file ${meshFilePath(config.mesh.dataDir)})`,
          `  traces  ${traceFile}${config.tracing.otlpEndpoint ? ` and ${config.tracing.otlpEndpoint}` : ''}`,
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
      logger.info('mesh up', {
        natsUrl: services.natsUrl,
        chromaUrl: services.chromaUrl,
        roles,
        dataDir: config.mesh.dataDir,
        traceFile,
      });
    },
    { logger, graceMs: options.graceMs },
  );
}
