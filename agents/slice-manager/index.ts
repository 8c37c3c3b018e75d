/**
 * Slice-manager role: one persisted XState lifecycle per slice, fed by the
 * durable intake stream (requests, changes, terminations, SLA violations),
 * announcing every transition on the slice events stream and answering
 * `slice.get` / `slice.list`. See docs/lifecycle.md.
 */
import {
  createAgentHandle,
  extendAgentHandle,
  type AgentDeps,
  type AgentHandle,
} from '../../shared/runtime/agent.js';
import type { SliceRecord } from '../../shared/contracts/index.js';
import type { LifecycleLimits } from './lifecycle/limits.js';
import { SliceManager, type SliceManagerCounters, type SliceManagerOptions } from './manager.js';
import type { ReconcilerCounters } from './reconciler.js';

export { DEFAULT_LIFECYCLE_LIMITS, LifecycleLimits } from './lifecycle/limits.js';
export type { SliceManagerCounters } from './manager.js';
export type { ReconcilerCounters } from './reconciler.js';

export type SliceManagerConfig = SliceManagerOptions;

export interface SliceManagerAgent extends AgentHandle {
  /** Records of the slices this instance holds (optionally in one state), by slice id. */
  records(state?: SliceRecord['state']): SliceRecord[];
  /** Intake and lookup outcomes beyond the bus's own refusal counters. */
  counters(): SliceManagerCounters;
  /** What reconciliation with the infrastructure found so far (see reconciler.ts). */
  reconcilerCounters(): ReconcilerCounters;
}

/** The slice-manager's settings from the environment configuration. */
export function sliceManagerConfigFrom(config: AgentDeps['config']): SliceManagerConfig {
  const s = config.sliceManager;
  const limits: Partial<LifecycleLimits> = {
    interpretTimeoutMs: s.interpretTimeoutMs,
    viewTimeoutMs: s.callTimeoutMs,
    planTimeoutMs: s.callTimeoutMs,
    applyTimeoutMs: s.callTimeoutMs,
    releaseTimeoutMs: s.callTimeoutMs,
    maxAttempts: s.callAttempts,
    retryBudgetMs: s.callRetryBudgetMs,
    retryBackoffMs: s.callRetryBaseMs,
    retryBackoffMaxMs: s.callRetryMaxMs,
    retryJitter: s.callRetryJitter,
  };
  return {
    limits,
    reconcileIntervalMs: s.reconcileIntervalMs,
    partitionLeaseMs: s.partitionLeaseMs,
    finishedRetentionMs: s.finishedRetentionMs,
    preparingLimit: s.preparingLimit,
  };
}

/** Creates the slice-manager agent (not started). */
export function createSliceManagerAgent(
  deps: AgentDeps,
  config: SliceManagerConfig = sliceManagerConfigFrom(deps.config),
): SliceManagerAgent {
  const manager = new SliceManager(
    {
      bus: deps.bus,
      logger: deps.logger,
      clock: deps.clock,
      tracer: deps.tracer,
      seed: deps.seed,
      instanceId: deps.instanceId,
    },
    config,
  );
  const handle = createAgentHandle(deps, {
    start: () => manager.start(),
    stop: () => manager.stop(),
  });
  return extendAgentHandle(handle, {
    records: (state?: SliceRecord['state']) => manager.records(state),
    counters: () => manager.counters(),
    reconcilerCounters: () => manager.reconcilerCounters(),
  });
}
