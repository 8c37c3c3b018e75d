/**
 * The lifecycle's data: its input, events and context, and what every call
 * actor receives. The context is what a persisted snapshot stores, so a field
 * added here is part of the snapshot format.
 */
import type {
  PreferenceVector,
  SlaViolation,
  SliceChange,
  SliceProfile,
  SliceRecord,
  SliceRequest,
  SliceTermination,
} from '../../../shared/contracts/index.js';
import type { LifecycleLimits } from './limits.js';
import type { PendingChange } from './profile.js';

/** W3C trace context headers (`traceparent`, `tracestate`) of the slice's trace. */
export type TraceCarrier = Record<string, string>;

/** What every side-effect actor receives: the contract request plus call metadata. */
export interface CallInput<TRequest> {
  /** The slice the call is made for (a view request does not name it). */
  sliceId: string;
  request: TRequest;
  /** Parent trace context, so each call becomes a child of the slice's trace. */
  trace: TraceCarrier | undefined;
  /** The machine gives up on the call after this long; the transport may use it too. */
  timeoutMs: number;
  /** 1-based attempt number of this call. */
  attempt: number;
}

/**
 * The network as a placement knows it: only the infrastructure version to
 * plan on (the orchestrator plans on its own replica of the state). Slices
 * stored by an earlier build hold a whole NetworkView here, which has the
 * version too.
 */
export interface ViewMark {
  version: number;
}

/** What the local `viewNetwork` step is asked: nothing beyond the call's envelope. */
export type LocalViewRequest = Record<string, never>;

/** What the local `viewNetwork` step answers. */
export interface ViewStep {
  view: ViewMark;
}

/** Event that re-arms timers after the machine was restored from a persisted snapshot. */
export const RESUME = { type: 'slice.resume' } as const;

/**
 * Sent by the slice-manager's reconciler when the infrastructure holds
 * nothing for a slice that is active: the slice ends failed (after an
 * idempotent release), since what it was placed on is gone.
 */
export interface ResourcesLost {
  type: 'slice.resources-lost';
  /** What the reconciler saw, for the history note. */
  note: string;
}

/** Events a slice accepts: the intake contracts, the resume signal and the reconciler's finding. */
export type LifecycleEvent =
  SliceChange | SliceTermination | SlaViolation | typeof RESUME | ResourcesLost;

export interface LifecycleInput {
  request: SliceRequest;
  limits?: Partial<LifecycleLimits>;
  /** Trace context of the slice's root span. */
  trace?: TraceCarrier;
  traceId?: string;
}

export interface LifecycleOptions {
  /** Epoch milliseconds; history stamps, the lifetime deadline and the retry budget use it. */
  now: () => number;
  /** Seed of the retry jitter (default 0): the same seed gives the same delays. */
  seed?: number;
}

export interface Inferred {
  preference: PreferenceVector;
  profile: SliceProfile;
}

/** How a slice ends when it has to give up: recorded once the resources are released. */
export interface Ending {
  state: 'rejected' | 'failed';
  message: string;
}

/** Resources a re-plan must not use (where a violation was observed). */
export interface Avoid {
  containerIds: string[];
  vnfNodeIds: string[];
}

/** An adaptation in progress, with what to restore if it cannot be carried out. */
export interface Adaptation {
  cause: 'change' | 'violation';
  reinterpret: boolean;
  /** Record fields to put back; empty for a violation, which changes no requirement. */
  backup: Partial<Pick<SliceRecord, 'text' | 'sla' | 'demand' | 'preference' | 'profile'>>;
  inferredBackup: Inferred | undefined;
  /** Resources the new plan must not use (where a violation was observed). */
  avoid?: Avoid;
}

/** Cause and note of the next history entry. */
export interface Mark {
  cause: string;
  note?: string;
}

export interface LifecycleContext {
  record: SliceRecord;
  limits: LifecycleLimits;
  trace: TraceCarrier | undefined;
  lifetimeMs: number | undefined;
  /** Epoch ms at which the lifetime ends; fixed at the first activation. */
  expiresAt: number | undefined;
  /** The interpreter's answer before explicit SLA overrides. */
  inferred: Inferred | undefined;
  /** The version the placement in progress plans on (dropped once it has its plan). */
  view: ViewMark | undefined;
  /** Failed attempts of the call in progress. */
  attempts: number;
  lastError: string | undefined;
  /** When the call in progress first failed: its retry budget runs from here (read while `attempts` > 0). */
  retryingSince?: number | undefined;
  /** The pause of the backoff in progress, chosen when the attempt failed (see retry.ts). */
  retryDelayMs?: number | undefined;
  /** Stale-view re-plans of the deployment in progress. */
  replans: number;
  /** True once an apply may have reached the infrastructure: leaving then needs a release. */
  mayHoldResources: boolean;
  ending: Ending | undefined;
  adaptation: Adaptation | undefined;
  /** Changes received while the slice was busy; applied once it is active. */
  pendingChange: PendingChange | undefined;
  seenChangeIds: string[];
  /** Why each history entry happened; parallel to `record.history`. */
  causes: string[];
  /** Cause and note for the next history entry, set by the transition that leads there. */
  next: Mark | undefined;
}
