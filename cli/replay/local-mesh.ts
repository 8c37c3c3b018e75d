/**
 * The mesh a replay runs against: the configured NATS/Chroma (or embedded
 * ones), every registered agent role started in this process under the run's
 * own namespace, and the replay's own bus connection and tracer.
 *
 * Per-run options reach the agents through their configuration: the run's
 * namespace, seed (`mesh.seed`, also `deps.seed`), orchestrator method and
 * traffic fluctuation amplitude replace the configured ones.
 */
import { rmSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectBus } from '../../shared/bus/index.js';
import {
  OPERATOR_IDENTITY,
  SliceMeshError,
  toSliceMeshError,
} from '../../shared/contracts/index.js';
import type { AgentFactory } from '../../shared/runtime/agent.js';
import type { Clock } from '../../shared/runtime/clock.js';
import type { SliceMeshConfig } from '../../shared/runtime/config.js';
import { resolveServices, withServiceUrls } from '../../shared/runtime/embedded/index.js';
import { launchRoles, traceFileLimits } from '../../shared/runtime/launch.js';
import { jetstreamSettings } from '../../shared/runtime/jetstream.js';
import { busIdentity } from '../../shared/runtime/security/index.js';
import type { Logger } from '../../shared/runtime/logger.js';
import {
  createShutdownRunner,
  type ProcessContext,
  type ShutdownRunner,
} from '../../shared/runtime/process.js';
import { setupTracing, traceFilePath } from '../../shared/telemetry/index.js';
import { collectionNames, connectChromaStore } from '../../shared/vectorstore/index.js';
import { busReplayMesh } from './bus-mesh.js';
import type { MeshRunOptions, StartMesh } from './runner.js';

/** Roles a replay's own mesh does not start. */
const REPLAY_SKIPS: ReadonlySet<string> = new Set(['api']);

export interface LocalMeshOptions {
  readonly config: SliceMeshConfig;
  /** Role name → factory (the CLI passes `cli/roles.ts`). */
  readonly registry: Readonly<Record<string, AgentFactory>>;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Keep the run's JetStream streams and buckets after the replay (default: delete them). */
  readonly keepStreams?: boolean;
  /** Upper bound of each shutdown phase (default 15 s). */
  readonly graceMs?: number;
}

/** The configuration the agents of one run get. */
export function configForRun(config: SliceMeshConfig, run: MeshRunOptions): SliceMeshConfig {
  return {
    ...config,
    mesh: { ...config.mesh, namespace: run.namespace, seed: run.seed },
    orchestrator: { ...config.orchestrator, method: run.method },
    infrastructure: {
      ...config.infrastructure,
      fluctuation: run.fluctuation?.amplitude ?? 0,
    },
  };
}

/**
 * The runtime's shutdown runner (stop intake → drain → flush traces → drain
 * buses → stop services), run by `close()`: the replay owns the lifetime of
 * what it started, rather than the process entry.
 */
class ShutdownSteps {
  readonly #runner: ShutdownRunner;
  #failure: ((error: SliceMeshError) => void) | undefined;
  /** Settles with the first fatal error an agent reports while the mesh runs. */
  readonly failed = new Promise<SliceMeshError>((resolve) => (this.#failure = resolve));

  readonly context: ProcessContext;

  constructor(logger: Logger, graceMs: number) {
    this.#runner = createShutdownRunner({ logger, graceMs });
    this.context = {
      logger,
      signal: this.#runner.signal,
      onShutdown: this.#runner.add,
      shutdown: (reason) => {
        // launchRoles calls this when an agent fails while running.
        this.#failure?.(new SliceMeshError('unavailable', `the mesh stopped: ${reason}`));
      },
    };
  }

  close(): Promise<void> {
    return this.#runner.run();
  }
}

/**
 * A replay runs in a namespace of its own, which a server's permissions (generated for the
 * namespace of a deployment) do not cover: on a server of its own it needs one identity
 * that may do everything (the operator's seed file), under which its agents all run.
 */
function assertReplayCanConnect(config: SliceMeshConfig): void {
  if (config.nats.url === undefined || config.nats.credentialsDir === undefined) return;
  if (config.nats.seedFile !== undefined) return;
  throw new SliceMeshError(
    'config',
    `a replay runs in a namespace of its own (${config.mesh.namespace}), which the identities in ${config.nats.credentialsDir} ` +
      'have no permissions for: unset NATS_URL to replay through an embedded mesh with credentials of its own, ' +
      "or set SLICEMESH_NATS_SEED_FILE to the operator's seed (operator.nk) to run the replay and its agents as the operator",
  );
}

/** Streams (and KV buckets, which are streams) of `namespace`. */
function ownsStream(name: string, namespace: string): boolean {
  const prefix = `${namespace.toUpperCase().replace(/-/g, '_')}_`;
  return (
    name.startsWith(prefix) || name.startsWith(`KV_${prefix}`) || name.startsWith(`OBJ_${prefix}`)
  );
}

/** A `StartMesh` that starts the services (if not configured) and every registered role. */
export function localMesh(options: LocalMeshOptions): StartMesh {
  return async (run) => {
    const logger = options.logger.child({ namespace: run.namespace });
    const steps = new ShutdownSteps(logger, options.graceMs ?? 15_000);
    try {
      const runConfig = configForRun(options.config, run);
      assertReplayCanConnect(runConfig);
      const services = await resolveServices(runConfig, { logger });
      steps.context.onShutdown('stop-services', 'embedded services', () => services.stop());
      const credentialsDir = services.credentialsDir;
      if (credentialsDir !== null && !options.keepStreams) {
        // The run's embedded server and identities end with it.
        steps.context.onShutdown('stop-services', 'the run credentials', () =>
          rmSync(credentialsDir, { recursive: true, force: true }),
        );
      }
      const config = withServiceUrls(runConfig, services);
      const traceFile = traceFilePath(config.tracing.traceDir, `replay-${run.scenario}`);

      // The replay's own spans (one per published event) start each slice's trace.
      const tracing = setupTracing({
        serviceName: 'slicemesh-replay',
        traceFile,
        traceFileLimits: traceFileLimits(config),
        ...(config.tracing.otlpEndpoint ? { otlpEndpoint: config.tracing.otlpEndpoint } : {}),
        resourceAttributes: { 'service.namespace': run.namespace },
      });
      steps.context.onShutdown('flush-traces', 'traces of the replay', () => tracing.shutdown());
      // The replay plays the requester (for its tenant), the plant's traffic and the clean-up
      // of its namespace: the operator's identity.
      const bus = await connectBus({
        url: services.natsUrl,
        namespace: run.namespace,
        name: `replay-${process.pid}`,
        tracer: tracing.tracer(),
        logger,
        jetstream: jetstreamSettings(config),
        ...busIdentity(config, OPERATOR_IDENTITY),
      });
      steps.context.onShutdown('drain-bus', 'bus of the replay', () => bus.drain());
      await bus.ensureStreams();
      if (!options.keepStreams) {
        // After every agent has stopped: nothing of this run is needed once it is over.
        steps.context.onShutdown('drain', 'delete the run streams', async () => {
          const jsm = await jetstreamManager(bus.connection);
          for await (const info of jsm.streams.list()) {
            if (ownsStream(info.config.name, run.namespace))
              await jsm.streams.delete(info.config.name);
          }
        });
        const chromaUrl = services.chromaUrl;
        if (chromaUrl) {
          // Each run bootstraps its own knowledge collection and memory bank: left behind,
          // every replay would grow the Chroma data directory by a few megabytes.
          steps.context.onShutdown('drain', 'delete the run collections', async () => {
            const store = await connectChromaStore({ url: chromaUrl });
            const names = collectionNames(run.namespace);
            await Promise.all([
              store.dropCollection(names.knowledge),
              store.dropCollection(names.memory),
            ]);
          });
        }
      }

      // A replay drives the mesh over NATS and writes its own report: the operator's HTTP
      // surface (the api role) has nothing to serve there, and would hold a port.
      const roles = Object.keys(options.registry).filter((role) => !REPLAY_SKIPS.has(role));
      if (roles.length === 0) {
        throw new SliceMeshError(
          'config',
          'no agent roles are registered: nothing could handle the slices',
        );
      }
      await launchRoles({
        config,
        registry: options.registry,
        roles,
        traceFile,
        process: steps.context,
        ...(options.clock ? { clock: options.clock } : {}),
      });
      logger.info('replay mesh up', {
        roles,
        natsUrl: services.natsUrl,
        chromaUrl: services.chromaUrl,
      });
      return busReplayMesh(bus, {
        traceFile,
        kpiIntervalMs: config.infrastructure.kpiIntervalMs,
        close: () => steps.close(),
        failed: steps.failed,
      });
    } catch (error) {
      await steps.close();
      throw toSliceMeshError(error);
    }
  };
}
