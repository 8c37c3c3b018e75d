/**
 * Pure functions of the lifecycle context: the first context of a slice, the
 * request of each call, and how each answer, refusal or failure changes the
 * context. The named actions in setup.ts apply them; nothing here knows about
 * states or XState.
 */
import {
  SliceMeshError,
  isSliceMeshError,
  type ApplyReply,
  type ApplyRequest,
  type DeclineRequest,
  type InferenceReply,
  type InferenceRequest,
  type PlacementReply,
  type PlacementRequest,
  type ReleaseReply,
  type ReleaseRequest,
  type ResourceDemand,
  type SlaViolation,
  type SliceChange,
  type SliceRecord,
} from '../../../shared/contracts/index.js';
import { resolveLimits } from './limits.js';
import {
  budgetNote,
  decideRetry,
  firstFailureAt,
  nextDelayMs,
  type RetryDecision,
} from './retry.js';
import { applySlaOverrides, foldChange, mergeSla, rememberIds } from './profile.js';
import type {
  Avoid,
  CallInput,
  Ending,
  Inferred,
  LifecycleContext,
  LifecycleInput,
  LocalViewRequest,
  Mark,
  ViewMark,
} from './types.js';

/** A slice just requested: its record, its limits, and the cause of its first history entry. */
export function initialContext(input: LifecycleInput): LifecycleContext {
  const { request } = input;
  const record: SliceRecord = {
    sliceId: request.sliceId,
    tenant: request.tenant,
    state: 'requested',
    text: request.text,
    history: [],
  };
  if (request.sla) record.sla = request.sla;
  if (request.demand) record.demand = request.demand;
  if (input.traceId) record.traceId = input.traceId;
  if (request.adaptive === false) record.adaptive = false;
  return {
    record,
    limits: resolveLimits(input.limits),
    trace: input.trace,
    lifetimeMs: request.lifetimeMs,
    expiresAt: undefined,
    inferred: undefined,
    view: undefined,
    attempts: 0,
    lastError: undefined,
    replans: 0,
    mayHoldResources: false,
    ending: undefined,
    adaptation: undefined,
    pendingChange: undefined,
    seenChangeIds: [],
    causes: [],
    next: { cause: 'request' },
  };
}

// ------------------------------------------------------------------ errors

export function describeError(error: unknown): string {
  if (isSliceMeshError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whether retrying may cure `error`: only a typed error that says so (a
 * timeout, no responders, `unavailable`, `stale-view`). The bus turns every
 * transport failure into one; anything untyped is a defect that a retry
 * budget of seconds would only hide.
 */
export function isRetryable(error: unknown): boolean {
  return isSliceMeshError(error) && error.retryable;
}

export function isInfeasible(error: unknown): boolean {
  return isSliceMeshError(error) && error.code === 'infeasible';
}

/** Whether the call in progress, failing at `now`, is tried again, and after how long. */
export function retryAfterFailure(
  context: LifecycleContext,
  now: number,
  seed: number,
): RetryDecision {
  return decideRetry(context, now, seed, context.record.sliceId);
}

/** The context after the call in progress failed at `now` with `lastError`. */
export function countFailure(
  context: LifecycleContext,
  now: number,
  seed: number,
  lastError: string,
): Partial<LifecycleContext> {
  return {
    attempts: context.attempts + 1,
    lastError,
    retryingSince: firstFailureAt(context, now),
    retryDelayMs: nextDelayMs(context, now, seed, context.record.sliceId),
  };
}

/** How a call given up after its latest failure (at `now`) is described: attempts, and the budget if it ran out. */
export function attemptsSpent(context: LifecycleContext, now: number, counted: boolean): string {
  const failures = counted ? context.attempts : context.attempts + 1;
  const since = counted ? (context.retryingSince ?? now) : firstFailureAt(context, now);
  return `${failures} attempt(s)${budgetNote(context.limits, failures, since, now)}`;
}

// ------------------------------------------------------------------ call requests

/** Sets the cause and note of the next history entry. */
export function mark(cause: string, note?: string): Pick<LifecycleContext, 'next'> {
  const next: Mark = note === undefined ? { cause } : { cause, note };
  return { next };
}

function demandOf(context: LifecycleContext): ResourceDemand {
  return context.record.demand ?? context.limits.defaultDemand;
}

function interpretation(context: LifecycleContext): Inferred {
  const { preference, profile } = context.record;
  if (!preference || !profile) {
    throw new SliceMeshError('internal', `slice ${context.record.sliceId} has no interpretation`);
  }
  return { preference, profile };
}

function requireView(context: LifecycleContext): ViewMark {
  if (!context.view) {
    throw new SliceMeshError('internal', `slice ${context.record.sliceId} has no network view`);
  }
  return context.view;
}

function requirePlan(context: LifecycleContext) {
  if (!context.record.plan) {
    throw new SliceMeshError('internal', `slice ${context.record.sliceId} has no plan`);
  }
  return context.record.plan;
}

/** The envelope every call of the slice gets: its id, trace, the call's timeout and attempt. */
function callInput<T>(context: LifecycleContext, request: T, timeoutMs: number): CallInput<T> {
  return {
    request,
    sliceId: context.record.sliceId,
    trace: context.trace,
    timeoutMs,
    attempt: context.attempts + 1,
  };
}

export function inferenceInput(context: LifecycleContext): CallInput<InferenceRequest> {
  const { sliceId, text, sla } = context.record;
  const request: InferenceRequest = { type: 'interpreter.infer.request.v1', sliceId, text };
  if (sla) request.sla = sla;
  return callInput(context, request, context.limits.interpretTimeoutMs);
}

/**
 * The local view step: the slice's turn to place, and the version to plan on.
 * (A re-placement needs no flag: the orchestrator plans as if what the slice
 * holds were free whenever its replica shows the slice holding resources.)
 */
export function viewInput(context: LifecycleContext): CallInput<LocalViewRequest> {
  return callInput(context, {}, context.limits.viewTimeoutMs);
}

export function placementInput(context: LifecycleContext): CallInput<PlacementRequest> {
  const { preference, profile } = interpretation(context);
  const request: PlacementRequest = {
    type: 'orchestrator.place.request.v2',
    sliceId: context.record.sliceId,
    profile,
    preference,
    demand: demandOf(context),
    minViewVersion: requireView(context).version,
  };
  if (context.adaptation?.avoid) request.avoid = context.adaptation.avoid;
  return callInput(context, request, context.limits.planTimeoutMs);
}

export function applyInput(context: LifecycleContext): CallInput<ApplyRequest> {
  const request: ApplyRequest = {
    type: 'infra.apply.request.v1',
    sliceId: context.record.sliceId,
    profile: interpretation(context).profile,
    demand: demandOf(context),
    plan: requirePlan(context),
  };
  return callInput(context, request, context.limits.applyTimeoutMs);
}

export function releaseInput(context: LifecycleContext): CallInput<ReleaseRequest> {
  const request: ReleaseRequest = {
    type: 'infra.release.request.v1',
    sliceId: context.record.sliceId,
  };
  return callInput(context, request, context.limits.releaseTimeoutMs);
}

export function declineInput(context: LifecycleContext): CallInput<DeclineRequest> {
  const request: DeclineRequest = {
    type: 'infra.decline.request.v1',
    sliceId: context.record.sliceId,
  };
  return callInput(context, request, context.limits.applyTimeoutMs);
}

// ------------------------------------------------------------------ answers

/** Record and context after an interpreter reply, explicit SLA classes winning. */
export function withInference(
  context: LifecycleContext,
  reply: InferenceReply,
): Partial<LifecycleContext> {
  const inferred = { preference: reply.preference, profile: reply.profile };
  return {
    inferred,
    attempts: 0,
    record: {
      ...context.record,
      preference: reply.preference,
      profile: applySlaOverrides(reply.profile, context.record.sla),
    },
  };
}

export function interpretedNote(reply: InferenceReply): string {
  return `${reply.reasoner}${reply.degraded ? ' (degraded)' : ''}, confidence ${reply.confidence.toFixed(2)}`;
}

export function plannedNote(reply: PlacementReply): string | undefined {
  if (reply.outcome !== 'planned') return undefined;
  const { plan } = reply;
  return `${plan.method}: ${plan.scaling} at ${plan.site} (view ${plan.viewVersion})`;
}

/** Why the orchestrator refused a slice, as recorded in its `reason`. */
export function rejectionMessage(reply: PlacementReply): string {
  return reply.outcome === 'rejected'
    ? `${reply.method}: ${reply.reason}`
    : 'orchestrator rejected';
}

export function adaptationRejectedNote(reply: PlacementReply): string {
  return reply.outcome === 'rejected'
    ? `re-plan rejected by ${reply.method}: ${reply.reason}`
    : 're-plan rejected';
}

type Applied = Extract<ApplyReply, { outcome: 'applied' }>;
type Refused = Extract<ApplyReply, { outcome: 'refused' }>;

export function withPlacement(
  context: LifecycleContext,
  reply: Applied,
): Partial<LifecycleContext> {
  return {
    attempts: 0,
    replans: 0,
    mayHoldResources: true,
    record: {
      ...context.record,
      placement: reply.placement,
      observed: reply.observed,
      served: reply.served,
      violations: reply.violations,
    },
  };
}

export function appliedNote(reply: Applied): string {
  const served = reply.served ? 'served' : `not served (violates ${reply.violations.join(', ')})`;
  const affected =
    reply.affectedSliceIds.length > 0 ? `; affects ${reply.affectedSliceIds.join(', ')}` : '';
  return `${served} at ${reply.placement.site}, container ${reply.placement.containerId}${affected}`;
}

export function isReplannable(reply: ApplyReply): reply is Refused {
  // An unknown node means the plan refers to a node that went away: the view was stale too.
  return reply.outcome === 'refused' && reply.reason !== 'capacity';
}

export function refusalNote(reply: Refused): string {
  return `infrastructure refused the plan (${reply.reason}, view ${reply.viewVersion}): ${reply.message}`;
}

/** A refusal's note, for a transition the guards only take on a refusal. */
export function refusalDetail<T extends string | undefined>(
  reply: ApplyReply,
  otherwise: T,
): string | T {
  return reply.outcome === 'refused' ? refusalNote(reply) : otherwise;
}

export function releasedNote(reply: ReleaseReply): string {
  return reply.released ? `resources released (view ${reply.viewVersion})` : 'nothing was held';
}

// ------------------------------------------------------------------ endings

/** Ends the slice as `state` with `message`, once what it may hold is released. */
export function ending(state: Ending['state'], message: string): Partial<LifecycleContext> {
  return { ending: { state, message }, ...mark(state, message) };
}

export function releaseFailure(
  context: LifecycleContext,
  why: string,
  spent: string,
): Partial<LifecycleContext> {
  const earlier = context.ending ? `${context.ending.message}; ` : '';
  const message = `${earlier}release failed after ${spent}: ${why}; resources may still be held`;
  return ending('failed', message);
}

// ------------------------------------------------------------------ adaptation

/** Puts back what a change altered when the adaptation cannot be carried out. */
function revertAdaptation(context: LifecycleContext): Partial<LifecycleContext> {
  const adaptation = context.adaptation;
  if (!adaptation) return { adaptation: undefined, attempts: 0, replans: 0 };
  return {
    adaptation: undefined,
    attempts: 0,
    replans: 0,
    inferred: adaptation.inferredBackup,
    record: { ...context.record, ...adaptation.backup },
  };
}

/** Gives up an adaptation: the slice returns to active with what it had, and a note why. */
export function abandon(
  context: LifecycleContext,
  why: string,
  cause: 'adaptation-rejected' | 'adaptation-failed' = 'adaptation-failed',
): Partial<LifecycleContext> {
  const kept = context.record.placement ? 'keeping the current placement' : 'nothing placed';
  return { ...revertAdaptation(context), ...mark(cause, `${why}; ${kept}`) };
}

/** Starts an adaptation for a change (folded with any change received while busy). */
export function beginChange(
  context: LifecycleContext,
  change: SliceChange | undefined,
): Partial<LifecycleContext> {
  const pending = change ? foldChange(context.pendingChange, change) : context.pendingChange;
  const { record } = context;
  const backup = {
    text: record.text,
    sla: record.sla,
    demand: record.demand,
    preference: record.preference,
    profile: record.profile,
  };
  const reinterpret = pending?.text !== undefined && pending.text !== record.text;
  const sla = mergeSla(record.sla, pending?.sla);
  const profile =
    !reinterpret && context.inferred
      ? applySlaOverrides(context.inferred.profile, sla)
      : record.profile;
  const changed = [
    reinterpret ? 'text' : undefined,
    pending?.sla ? 'sla' : undefined,
    pending?.demand ? 'demand' : undefined,
  ].filter((part): part is string => part !== undefined);
  return {
    adaptation: { cause: 'change', reinterpret, backup, inferredBackup: context.inferred },
    pendingChange: undefined,
    seenChangeIds: rememberIds(context.seenChangeIds, pending?.changeIds ?? []),
    record: {
      ...record,
      text: pending?.text ?? record.text,
      sla,
      demand: pending?.demand ?? record.demand,
      profile,
    },
    ...mark(
      'change',
      `change ${(pending?.changeIds ?? []).join(', ')}: ${changed.length > 0 ? changed.join(', ') : 're-optimise'}`,
    ),
  };
}

/** Starts an adaptation to an SLA violation: same requirements, away from what explains it. */
export function beginViolation(
  context: LifecycleContext,
  violation: SlaViolation,
): Partial<LifecycleContext> {
  return {
    adaptation: {
      cause: 'violation',
      reinterpret: false,
      backup: {},
      inferredBackup: context.inferred,
      avoid: avoidFor(violation, context.record),
    },
    ...mark(
      'violation',
      `${violation.dimension} ${violation.observed} exceeds limit ${violation.limit}`,
    ),
  };
}

/**
 * What a re-plan after a violation steers clear of: the container for latency
 * and capacity (it is overloaded), the shared VNF nodes for latency and
 * reliability (their delay or sharing breaks the constraint). A cost violation
 * moves nothing in particular; the orchestrator weighs cost itself.
 */
export function avoidFor(violation: SlaViolation, record: SliceRecord): Avoid | undefined {
  const placement = record.placement;
  if (!placement) return undefined;
  const { dimension } = violation;
  const containerIds =
    dimension === 'latency' || dimension === 'capacity' ? [placement.containerId] : [];
  const vnfNodeIds =
    dimension === 'latency' || dimension === 'reliability' ? placement.vnfNodeIds : [];
  if (containerIds.length === 0 && vnfNodeIds.length === 0) return undefined;
  return { containerIds, vnfNodeIds };
}

/** A violation the slice asked not to be adapted to: it stays placed and is no longer served. */
export function unadaptedViolation(
  context: LifecycleContext,
  violation: SlaViolation,
): Partial<LifecycleContext> {
  const known = context.record.violations ?? [];
  const { dimension } = violation;
  const violations =
    dimension === 'capacity' || known.includes(dimension) ? known : [...known, dimension];
  return {
    record: { ...context.record, served: false, violations },
    ...mark(
      'violation',
      `${dimension} ${violation.observed} exceeds limit ${violation.limit}; not adapted (the request is not adaptive)`,
    ),
  };
}
