/**
 * Infrastructure role: the resource state of the case-study network, served
 * over the bus (view, apply, release) with KPI samples of every slice.
 */
import { SliceMeshError, toSliceMeshError } from '../../shared/contracts/index.js';
import type { SliceMeshConfig } from '../../shared/runtime/config.js';
import {
  createInfrastructureCore,
  type InfrastructureConfig,
  type InfrastructureCore,
  type InfrastructureDeps,
} from './agent.js';

export type { InfrastructureConfig, InfrastructureCore, InfrastructureDeps } from './agent.js';
export { DEFAULT_KPI_MODEL_PARAMS, type KpiModelParams, type SliceKpi } from './kpi-model.js';
export { InfraStateRecord, infraStateBucket } from './persistence.js';

export type AgentState = 'initialized' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface InfrastructureAgent extends InfrastructureCore {
  readonly role: 'infrastructure';
  readonly state: AgentState;
  /** Resolves when the agent has stopped: null after stop(), the error if it failed. */
  readonly stopped: Promise<Error | null>;
  /** Serves once it resolves; refuses (`config`) when another instance owns the state. */
  start(): Promise<void>;
  /** Stops serving and KPI emission, and writes the last state when persisting. Idempotent. */
  stop(): Promise<void>;
}

/** The agent's settings from the environment configuration. */
export function infrastructureConfigFrom(config: SliceMeshConfig): InfrastructureConfig {
  return {
    seed: config.mesh.seed,
    kpiIntervalMs: config.infrastructure.kpiIntervalMs,
    fluctuation: { amplitude: config.infrastructure.fluctuation },
    persist: config.infrastructure.persist,
  };
}

export function createInfrastructureAgent(
  deps: InfrastructureDeps,
  config: InfrastructureConfig,
): InfrastructureAgent {
  const core = createInfrastructureCore(deps, config);
  let state: AgentState = 'initialized';
  let settle: (result: Error | null) => void = () => undefined;
  const stopped = new Promise<Error | null>((resolve) => (settle = resolve));
  let stopping: Promise<void> | undefined;

  return {
    role: 'infrastructure',
    get state() {
      return state;
    },
    stopped,
    tick: () => core.tick(),
    heldSliceIds: () => core.heldSliceIds(),
    view: () => core.view(),
    async start() {
      if (state !== 'initialized') {
        throw new SliceMeshError('internal', `the infrastructure agent cannot start when ${state}`);
      }
      try {
        await core.start();
        state = 'running';
      } catch (error) {
        state = 'failed';
        await core.stop().catch(() => undefined);
        const err = toSliceMeshError(error);
        settle(err);
        throw err;
      }
    },
    stop() {
      if (state === 'initialized' || state === 'failed') {
        if (state === 'initialized') {
          state = 'stopped';
          settle(null);
        }
        return Promise.resolve();
      }
      return (stopping ??= (async () => {
        state = 'stopping';
        try {
          await core.stop();
          state = 'stopped';
          settle(null);
        } catch (error) {
          state = 'failed';
          settle(toSliceMeshError(error));
        }
      })());
    },
  };
}
