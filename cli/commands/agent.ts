/**
 * `slicemesh agent <role>`: one role in its own process, against NATS_URL
 * (or the mesh a running `slicemesh up` announced in <data-dir>/mesh.json).
 * This is how docker-compose runs the mesh, and how roles are killed and
 * restarted independently.
 */
import type { Command } from 'commander';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import { loadConfig } from '../../shared/runtime/config.js';
import {
  meshFilePath,
  readMeshFile,
  withServiceUrls,
} from '../../shared/runtime/embedded/index.js';
import { launchRoles, selectRoles } from '../../shared/runtime/launch.js';
import { createLogger } from '../../shared/runtime/logger.js';
import { runProcess } from '../../shared/runtime/process.js';
import { traceFilePath } from '../../shared/telemetry/setup.js';
import { graceMsOption } from '../options.js';
import { roleNames, roles as registry } from '../roles.js';

interface AgentOptions {
  dataDir?: string;
  graceMs: number;
}

/** Registers `slicemesh agent <role>`. */
export function register(program: Command): void {
  program
    .command('agent')
    .description(
      'Run one agent role in this process against NATS_URL (or the mesh started by `slicemesh up`).',
    )
    .argument('<role>', 'the role to run (see the list below)')
    .option('--data-dir <dir>', 'where to look for mesh.json when NATS_URL is not set')
    .addOption(graceMsOption())
    .addHelpText(
      'after',
      () =>
        `
Roles: ${roleNames().join(', ') || '(none registered yet)'}

Examples:
  NATS_URL=nats://localhost:4222 CHROMA_URL=http://localhost:8000 slicemesh agent interpreter
  slicemesh agent orchestrator            # joins the mesh of a running \`slicemesh up\``,
    )
    .action(async (role: string, options: AgentOptions) => {
      await runAgent(role, options);
    });
}

async function runAgent(role: string, options: AgentOptions): Promise<void> {
  const baseConfig = loadConfig({
    ...process.env,
    ...(options.dataDir ? { SLICEMESH_DATA_DIR: options.dataDir } : {}),
  });
  const [selected] = selectRoles(registry, [role]);
  const logger = createLogger({ level: baseConfig.log.level, fields: { cmd: 'agent' } });
  let config = baseConfig;
  if (!baseConfig.nats.url) {
    const mesh = readMeshFile(baseConfig.mesh.dataDir);
    if (!mesh) {
      throw new SliceMeshError(
        'config',
        `NATS_URL is not set and no running mesh was found at ${meshFilePath(baseConfig.mesh.dataDir)}: ` +
          'set NATS_URL (and CHROMA_URL) or start one with `slicemesh up`',
      );
    }
    config = withServiceUrls(baseConfig, mesh);
    logger.info('joining the mesh from its mesh file', {
      natsUrl: mesh.natsUrl,
      namespace: mesh.namespace,
    });
  }
  await runProcess(
    async (proc) => {
      const traceFile = traceFilePath(config.tracing.traceDir, `${selected}-${process.pid}`);
      await launchRoles({ config, registry, roles: [selected!], traceFile, process: proc });
      logger.info('agent up', { role: selected, natsUrl: config.nats.url, traceFile });
    },
    { logger, graceMs: options.graceMs },
  );
}
