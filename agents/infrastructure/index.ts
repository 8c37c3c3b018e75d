/**
 * Infrastructure role: the resource state of the case-study network, served
 * over the bus (apply, release, decline; its change feed, change log and
 * paged snapshot for replicas) with KPI samples of every slice.
 *
 * One instance per namespace: the state lives in the agent (optionally
 * mirrored to a KV key for restarts), so start() refuses when another
 * instance already serves, and a running instance logs an error if it sees
 * another one's heartbeats. Scaling this role out needs a shared state store.
 */
import {
  createAgentHandle,
  type AgentDeps,
  type AgentHandle,
  extendAgentHandle,
} from '../../shared/runtime/agent.js';
import type { SliceMeshConfig } from '../../shared/runtime/config.js';
import {
  createInfrastructureCore,
  type InfrastructureConfig,
  type InfrastructureCore,
} from './agent.js';

export type { InfrastructureConfig, InfrastructureCore } from './agent.js';
export { DEFAULT_KPI_MODEL_PARAMS, type KpiModelParams, type SliceKpi } from './kpi-model.js';
export { InfraStateRecord, StateStore, infraStateBucket } from './persistence.js';

export type InfrastructureAgent = AgentHandle & InfrastructureCore;

/** The agent's settings from the environment configuration (seed: SLICEMESH_SEED). */
export function infrastructureConfigFrom(config: SliceMeshConfig): InfrastructureConfig {
  return {
    seed: config.mesh.seed,
    kpiIntervalMs: config.infrastructure.kpiIntervalMs,
    fluctuation: { amplitude: config.infrastructure.fluctuation },
    persist: config.infrastructure.persist,
    changeLogLength: config.infrastructure.changeLog,
  };
}

/**
 * Creates the infrastructure agent. start() rejects with `config` when
 * another instance already serves the namespace.
 */
export function createInfrastructureAgent(
  deps: AgentDeps,
  config: InfrastructureConfig = infrastructureConfigFrom(deps.config),
): InfrastructureAgent {
  const core = createInfrastructureCore(deps, config);
  const handle = createAgentHandle(deps, { start: () => core.start(), stop: () => core.stop() });
  return extendAgentHandle(handle, {
    tick: () => core.tick(),
    heldSliceIds: () => core.heldSliceIds(),
    view: () => core.view(),
  });
}
