/**
 * Starts agents for a list of roles inside one process: each role gets its
 * own NATS connection, tracer provider (service `slicemesh-<role>`) and
 * logger, exactly as if it ran in its own process. Used by `slicemesh up`
 * (all roles) and `slicemesh agent <role>` (one role).
 */
import { connectBus } from '../bus/bus.js';
import { SliceMeshError } from '../contracts/errors.js';
import { assertToken } from '../contracts/subjects.js';
import type { TraceFileLimits } from '../telemetry/trace-files.js';
import { setupTracing } from '../telemetry/setup.js';
import { type AgentFactory, type AgentHandle, newInstanceId } from './agent.js';
import { type Clock, systemClock } from './clock.js';
import type { SliceMeshConfig } from './config.js';
import { jetstreamSettings } from './jetstream.js';
import type { ProcessContext } from './process.js';
import { busIdentity } from './security/index.js';

export interface LaunchOptions {
  /** Validated config whose `nats.url` (and `chroma.url` if used) are set. */
  config: SliceMeshConfig;
  /** Role name → factory, in start order. */
  registry: Readonly<Record<string, AgentFactory>>;
  /** Roles to start (default: every registered role). */
  roles?: string[];
  /** OTLP JSON file all roles write their spans to. */
  traceFile?: string;
  clock?: Clock;
  /** Where shutdown steps are registered. */
  process: ProcessContext;
}

/** How large a trace file grows before it rotates, and how many are kept (SLICEMESH_TRACE_FILE*). */
export function traceFileLimits(config: Pick<SliceMeshConfig, 'tracing'>): TraceFileLimits {
  return { maxBytes: config.tracing.traceFileMaxBytes, maxFiles: config.tracing.traceFiles };
}

/** Checks `requested` against the registry; throws `config` naming unknown roles. */
export function selectRoles(
  registry: Readonly<Record<string, AgentFactory>>,
  requested?: string[],
): string[] {
  const known = Object.keys(registry);
  if (!requested || requested.length === 0) return known;
  const unknown = requested.filter((r) => !(r in registry));
  if (unknown.length > 0) {
    throw new SliceMeshError(
      'config',
      `unknown role${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; registered: ${known.join(', ') || '(none yet)'}`,
    );
  }
  return [...new Set(requested)];
}

/**
 * Creates and starts one agent per role and registers their shutdown:
 * agents stop (intake, then work in flight), traces flush, buses drain.
 * An agent that fails later shuts the whole process down with exit code 1.
 */
export async function launchRoles(options: LaunchOptions): Promise<AgentHandle[]> {
  const { config, process: proc } = options;
  const natsUrl = config.nats.url;
  if (!natsUrl) throw new SliceMeshError('config', 'no NATS URL to launch agents against');
  const roles = selectRoles(options.registry, options.roles);
  const handles: AgentHandle[] = [];

  for (const role of roles) {
    assertToken(role, 'role');
    const factory = options.registry[role];
    if (!factory) continue;
    const instanceId = newInstanceId(role);
    const logger = proc.logger.child({ role, instance: instanceId });
    const tracing = setupTracing({
      serviceName: `slicemesh-${role}`,
      ...(config.tracing.otlpEndpoint ? { otlpEndpoint: config.tracing.otlpEndpoint } : {}),
      ...(options.traceFile
        ? { traceFile: options.traceFile, traceFileLimits: traceFileLimits(config) }
        : {}),
      resourceAttributes: {
        'service.instance.id': instanceId,
        'service.namespace': config.mesh.namespace,
      },
    });
    proc.onShutdown('flush-traces', `traces of ${role}`, () => tracing.shutdown());
    const tracer = tracing.tracer();
    // Each role is its own identity on the bus, with the permissions of its row in the table;
    // the streams are created by the one that owns them (the slice-manager) as it starts.
    const bus = await connectBus({
      url: natsUrl,
      namespace: config.mesh.namespace,
      name: instanceId,
      tracer,
      logger,
      jetstream: jetstreamSettings(config),
      ...busIdentity(config, role),
    });
    proc.onShutdown('drain-bus', `bus of ${role}`, () => bus.drain());
    const handle = await factory({
      role,
      instanceId,
      bus,
      tracer,
      clock: options.clock ?? systemClock,
      logger,
      seed: config.mesh.seed,
      config,
    });
    proc.onShutdown('stop-intake', `agent ${role}`, () => handle.stop());
    await handle.start();
    handles.push(handle);
    void handle.stopped.then((error) => {
      if (error && !proc.signal.aborted) {
        proc.logger.error('an agent failed; stopping the mesh', { role, error });
        proc.shutdown(`${role} failed`, 1);
      }
    });
  }
  return handles;
}
