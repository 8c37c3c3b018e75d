/**
 * `slicemesh replay FILE`: replays a scenario against the live agent mesh and
 * shows, per slice and in total, what happened and why (docs/scenarios.md).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { SliceMeshError, isSliceMeshError } from '../../shared/contracts/index.js';
import { loadConfig, type SliceMeshConfig } from '../../shared/runtime/config.js';
import { createLogger } from '../../shared/runtime/logger.js';
import {
  loadScenarioFile,
  parseDuration,
  parseSpeed,
  type Adaptation,
  type Speed,
} from '../../shared/scenario/index.js';
import { writeReport } from '../replay/report.js';
import { DEFAULT_SETTLE_TIMEOUT_MS, runReplay, type ReplayRun } from '../replay/runner.js';
import { renderTable } from '../replay/table.js';
import { tenantOption } from '../options.js';

interface ReplayFlags {
  method?: string;
  speed?: string;
  adaptation?: string;
  json?: string;
  report?: string;
  settleTimeout: string;
  keepStreams?: boolean;
  tenant?: string;
}

const HELP = `
The scenario is checked first: a file with any problem is reported with the line and
column of every problem, and nothing is started or published.

The mesh runs in this process: embedded nats-server and Chroma (unless NATS_URL /
CHROMA_URL are set) and every registered agent role, under a fresh namespace per run.
--speed max publishes each event once the previous one has taken effect; a factor X
plays scenario time X times faster than real time. --adaptation off records SLA
violations without re-placing the slice (the paper scenarios ask for it, so a replay
judges the same final network as \`slicemesh eval\`). Progress goes to stderr.

Examples:
  slicemesh replay scenarios/paper/case-study-20.yaml --report reports/latest
  slicemesh replay scenarios/dynamic-line.yaml --method local-first --json dynamic.json
  slicemesh replay scenarios/factory-shift.yaml --speed 20 --json - | jq .summary

Format reference, summary definitions and the JSON layout: docs/scenarios.md`;

/** Registers `slicemesh replay`. */
export function register(program: Command): void {
  program
    .command('replay')
    .description(
      'Replay a scenario of natural-language slice requests against the agent mesh and report, ' +
        'per slice and in total, what happened and why',
    )
    .argument('<file>', 'scenario file (YAML)')
    .option(
      '--method <name>',
      "orchestrator method, overriding the scenario's (e.g. qappo, ppo, local-first, cloud-only)",
    )
    .option('--speed <x>', '"max" or a time factor such as 10, overriding the scenario\'s')
    .option(
      '--adaptation <on|off>',
      "whether SLA violations are answered with re-placements, overriding the scenario's",
    )
    .option(
      '--json <out>',
      'write the result as JSON to OUT ("-": stdout, the table then goes to stderr)',
    )
    .option('--report <dir>', 'write a self-contained HTML report to DIR/index.html')
    .option('--settle-timeout <duration>', 'longest wait for slices to settle', '60s')
    .addOption(tenantOption('tenant the slices are requested for'))
    .option(
      '--keep-streams',
      "keep the run's JetStream streams and buckets, and its Chroma collections, afterwards",
    )
    .addHelpText('after', HELP)
    .action(async (file: string, flags: ReplayFlags) => {
      await replay(file, flags);
    });
}

function speedFlag(value: string | undefined): Speed | undefined {
  if (value === undefined) return undefined;
  const parsed = parseSpeed(value.trim());
  if (!parsed.ok) throw new SliceMeshError('config', `--speed: ${parsed.message}`);
  return parsed.speed;
}

function adaptationFlag(value: string | undefined): Adaptation | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === 'on' || v === 'off') return v;
  throw new SliceMeshError('config', `--adaptation must be "on" or "off", got "${value}"`);
}

function settleFlag(value: string): number {
  const parsed = parseDuration(value);
  if (!parsed.ok) throw new SliceMeshError('config', `--settle-timeout: ${parsed.message}`);
  if (parsed.ms <= 0) throw new SliceMeshError('config', '--settle-timeout must be longer than 0');
  return parsed.ms;
}

async function writeJson(out: string, run: ReplayRun): Promise<string | undefined> {
  const text = `${JSON.stringify(run.result, null, 2)}\n`;
  if (out === '-') {
    process.stdout.write(text);
    return undefined;
  }
  await mkdir(dirname(resolve(out)), { recursive: true });
  await writeFile(out, text);
  return resolve(out);
}

async function replay(file: string, flags: ReplayFlags): Promise<void> {
  const loaded = loadConfig();
  // A replay is a batch run next to whatever else runs here (often `slicemesh up`): its
  // telemetry agent serves Prometheus metrics only when a port was asked for explicitly.
  const config: SliceMeshConfig = process.env.SLICEMESH_PROMETHEUS_PORT?.trim()
    ? loaded
    : { ...loaded, telemetry: { ...loaded.telemetry, prometheusPort: -1 } };
  const tenant = flags.tenant ?? config.mesh.tenant;
  const speed = speedFlag(flags.speed);
  const adaptation = adaptationFlag(flags.adaptation);
  const settleTimeoutMs = flags.settleTimeout
    ? settleFlag(flags.settleTimeout)
    : DEFAULT_SETTLE_TIMEOUT_MS;
  // Checked before anything starts: a broken file publishes nothing.
  const scenario = await loadScenarioFile(file);
  // Agents log at info by default; during a replay the progress lines say it better, so only
  // warnings and errors are logged unless a level was asked for.
  const level = process.env.SLICEMESH_LOG_LEVEL?.trim() ? config.log.level : 'warn';
  const logger = createLogger({ level, fields: { cmd: 'replay' } });
  const stderr = (line: string) => process.stderr.write(`${line}\n`);
  const tableOut = flags.json === '-' ? stderr : (text: string) => process.stdout.write(text);

  // First Ctrl-C: stop the replay and shut the mesh down in order; the second one exits at once.
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts === 1) {
      stderr('interrupted: stopping the mesh (Ctrl-C again to exit now)');
      abort.abort();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let run: ReplayRun | undefined;
  let failure: unknown;
  try {
    run = await runReplay({
      scenario,
      startMesh: async (options) => {
        // Loaded only when a replay runs: the agents pull in ML and LLM libraries.
        const [{ localMesh }, { replayRoles }] = await Promise.all([
          import('../replay/local-mesh.js'),
          import('../roles.js'),
        ]);
        const registry = replayRoles();
        return localMesh({ config, registry, logger, keepStreams: flags.keepStreams === true })(
          options,
        );
      },
      defaultMethod: config.orchestrator.method,
      settleTimeoutMs,
      tenant,
      progress: stderr,
      signal: abort.signal,
      ...(flags.method !== undefined ? { method: flags.method } : {}),
      ...(speed !== undefined ? { speed } : {}),
      ...(adaptation !== undefined ? { adaptation } : {}),
    });
  } catch (error) {
    failure = error;
    // Slices that did not settle: still show and write what the run got.
    const partial = isSliceMeshError(error) ? error.details?.partial : undefined;
    if (partial) run = partial as ReplayRun;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (!run) throw failure;

  tableOut(`\n${renderTable(run.result)}`);
  const written: string[] = [];
  if (flags.json !== undefined) {
    const path = await writeJson(flags.json, run);
    if (path) written.push(`result  ${path}`);
  }
  if (flags.report !== undefined) {
    const path = await writeReport(flags.report, run.result, {
      source: scenario.source,
      seed: scenario.seed,
      speed: run.speed,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      namespace: run.namespace,
      ...(scenario.description !== undefined ? { description: scenario.description } : {}),
      ...(run.traceFile !== undefined ? { traceFile: resolve(run.traceFile) } : {}),
      ...(failure instanceof Error ? { warning: `Incomplete run: ${failure.message}` } : {}),
    });
    written.push(`report  ${path}`);
  }
  if (run.traceFile !== undefined) {
    written.push(`traces  ${resolve(run.traceFile)}  (Jaeger UI → Search → Upload → JSON File)`);
  }
  tableOut(`\n${written.join('\n')}\n`);
  if (failure) throw failure;
}
