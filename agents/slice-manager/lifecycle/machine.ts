/**
 * The lifecycle of one slice as an XState v5 machine:
 *
 *   requested → interpreting → planning → deploying → active ⇄ adapting → terminating → released
 *                          ↘ rejected (with a reason)   ↘ failed (with the error)
 *
 * The machine is pure: every side effect is a named promise actor (`interpret`,
 * `viewNetwork`, `plan`, `apply`, `release`) bound with `machine.provide()`,
 * and time comes from the injected `now()` plus XState's clock (named delays).
 * docs/lifecycle.md describes states, events, retries and restart semantics.
 */
import { assign, fromPromise, setup, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import {
  SLICE_HISTORY_LIMIT,
  SliceMeshError,
  isSliceMeshError,
  type ApplyReply,
  type ApplyRequest,
  type DeclineReply,
  type DeclineRequest,
  type InferenceReply,
  type InferenceRequest,
  type NetworkView,
  type PlacementReply,
  type PlacementRequest,
  type PreferenceVector,
  type ReleaseReply,
  type ReleaseRequest,
  type ResourceDemand,
  type SlaViolation,
  type SliceChange,
  type SliceHistoryEntry,
  type SliceProfile,
  type SliceRecord,
  type SliceRequest,
  type SliceState,
  type SliceTermination,
  type ViewReply,
  type ViewRequest,
} from '../../../shared/contracts/index.js';
import { resolveLimits, type LifecycleLimits } from './limits.js';
import {
  applySlaOverrides,
  clip,
  foldChange,
  mergeSla,
  rememberIds,
  type PendingChange,
} from './profile.js';

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

/** Event that re-arms timers after the machine was restored from a persisted snapshot. */
export const RESUME = { type: 'slice.resume' } as const;

/** Events a slice accepts: the intake contracts plus the resume signal. */
export type LifecycleEvent = SliceChange | SliceTermination | SlaViolation | typeof RESUME;

export interface LifecycleInput {
  request: SliceRequest;
  limits?: Partial<LifecycleLimits>;
  /** Trace context of the slice's root span. */
  trace?: TraceCarrier;
  traceId?: string;
}

interface Inferred {
  preference: PreferenceVector;
  profile: SliceProfile;
}

/** How a slice ends when it has to give up: recorded once the resources are released. */
interface Ending {
  state: 'rejected' | 'failed';
  message: string;
}

/** An adaptation in progress, with what to restore if it cannot be carried out. */
interface Adaptation {
  cause: 'change' | 'violation';
  reinterpret: boolean;
  /** Record fields to put back; empty for a violation, which changes no requirement. */
  backup: Partial<Pick<SliceRecord, 'text' | 'sla' | 'demand' | 'preference' | 'profile'>>;
  inferredBackup: Inferred | undefined;
  /** Resources the new plan must not use (where a violation was observed). */
  avoid?: { containerIds: string[]; vnfNodeIds: string[] };
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
  view: NetworkView | undefined;
  /** Failed attempts of the call in progress. */
  attempts: number;
  lastError: string | undefined;
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
  next: { cause: string; note?: string } | undefined;
}

/**
 * A call's backoff state: after the retry delay, or at once when a restored
 * slice resumes (delays are not persisted), the call is made again.
 */
const RETRY_AFTER_BACKOFF = {
  after: { retryBackoff: 'calling' },
  on: { 'slice.resume': 'calling' },
} as const;

/** A call waiting for its answer re-arms its timeout when a restored slice resumes. */
const REARM_ON_RESUME = { 'slice.resume': { target: 'waiting', reenter: true } } as const;

export interface LifecycleOptions {
  /** Epoch milliseconds; history stamps and the lifetime deadline use it. */
  now: () => number;
}

function notProvided<TOutput, TRequest>(name: string) {
  return fromPromise<TOutput, CallInput<TRequest>>(() =>
    Promise.reject(
      new SliceMeshError('internal', `lifecycle actor "${name}" was not provided`, {
        retryable: false,
      }),
    ),
  );
}

function describeError(error: unknown): string {
  if (isSliceMeshError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function isRetryable(error: unknown): boolean {
  // Unknown errors (a dropped connection, say) get the benefit of the doubt;
  // the attempt bound still applies.
  return isSliceMeshError(error) ? error.retryable : true;
}

function mark(cause: string, note?: string): Pick<LifecycleContext, 'next'> {
  return { next: note === undefined ? { cause } : { cause, note } };
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

function requireView(context: LifecycleContext): NetworkView {
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

function inferenceInput(context: LifecycleContext): CallInput<InferenceRequest> {
  const { sliceId, text, sla } = context.record;
  const request: InferenceRequest = { type: 'interpreter.infer.request.v1', sliceId, text };
  if (sla) request.sla = sla;
  return callInput(context, request, context.limits.interpretTimeoutMs);
}

function viewInput(context: LifecycleContext): CallInput<ViewRequest> {
  const request: ViewRequest = { type: 'infra.view.request.v1' };
  // Re-placement: the infrastructure swaps a slice's resources atomically, so
  // plan on a view in which what the slice holds is already free.
  if (context.mayHoldResources) request.excludeSliceId = context.record.sliceId;
  return callInput(context, request, context.limits.viewTimeoutMs);
}

function placementInput(context: LifecycleContext): CallInput<PlacementRequest> {
  const { preference, profile } = interpretation(context);
  const request: PlacementRequest = {
    type: 'orchestrator.place.request.v1',
    sliceId: context.record.sliceId,
    profile,
    preference,
    demand: demandOf(context),
    view: requireView(context),
  };
  if (context.adaptation?.avoid) request.avoid = context.adaptation.avoid;
  return callInput(context, request, context.limits.planTimeoutMs);
}

function applyInput(context: LifecycleContext): CallInput<ApplyRequest> {
  const request: ApplyRequest = {
    type: 'infra.apply.request.v1',
    sliceId: context.record.sliceId,
    profile: interpretation(context).profile,
    demand: demandOf(context),
    plan: requirePlan(context),
  };
  return callInput(context, request, context.limits.applyTimeoutMs);
}

function releaseInput(context: LifecycleContext): CallInput<ReleaseRequest> {
  const request: ReleaseRequest = {
    type: 'infra.release.request.v1',
    sliceId: context.record.sliceId,
  };
  return callInput(context, request, context.limits.releaseTimeoutMs);
}

function declineInput(context: LifecycleContext): CallInput<DeclineRequest> {
  const request: DeclineRequest = {
    type: 'infra.decline.request.v1',
    sliceId: context.record.sliceId,
  };
  return callInput(context, request, context.limits.applyTimeoutMs);
}

/** Record and context after an interpreter reply, explicit SLA classes winning. */
function withInference(
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

type Applied = Extract<ApplyReply, { outcome: 'applied' }>;
type Refused = Extract<ApplyReply, { outcome: 'refused' }>;

function withPlacement(context: LifecycleContext, reply: Applied): Partial<LifecycleContext> {
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

function appliedNote(reply: Applied): string {
  const served = reply.served ? 'served' : `not served (violates ${reply.violations.join(', ')})`;
  const affected =
    reply.affectedSliceIds.length > 0 ? `; affects ${reply.affectedSliceIds.join(', ')}` : '';
  return `${served} at ${reply.placement.site}, container ${reply.placement.containerId}${affected}`;
}

function isReplannable(reply: ApplyReply): reply is Refused {
  // An unknown node means the plan refers to a node that went away: the view was stale too.
  return reply.outcome === 'refused' && reply.reason !== 'capacity';
}

function refusalNote(reply: Refused): string {
  return `infrastructure refused the plan (${reply.reason}, view ${reply.viewVersion}): ${reply.message}`;
}

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

/** Starts an adaptation for a change (folded with any change received while busy). */
function beginChange(
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

/**
 * Builds the lifecycle machine. `now` stamps history entries and fixes the
 * lifetime deadline; bind the side-effect actors with `.provide({ actors })`.
 */
export function createLifecycleMachine(options: LifecycleOptions) {
  const stamp = () => Math.max(0, Math.floor(options.now()));

  return setup({
    types: {
      context: {} as LifecycleContext,
      events: {} as LifecycleEvent,
      input: {} as LifecycleInput,
    },
    actors: {
      interpret: notProvided<InferenceReply, InferenceRequest>('interpret'),
      viewNetwork: notProvided<ViewReply, ViewRequest>('viewNetwork'),
      plan: notProvided<PlacementReply, PlacementRequest>('plan'),
      apply: notProvided<ApplyReply, ApplyRequest>('apply'),
      release: notProvided<ReleaseReply, ReleaseRequest>('release'),
      decline: notProvided<DeclineReply, DeclineRequest>('decline'),
    },
    delays: {
      interpretTimeout: ({ context }) => context.limits.interpretTimeoutMs,
      viewTimeout: ({ context }) => context.limits.viewTimeoutMs,
      planTimeout: ({ context }) => context.limits.planTimeoutMs,
      applyTimeout: ({ context }) => context.limits.applyTimeoutMs,
      releaseTimeout: ({ context }) => context.limits.releaseTimeoutMs,
      retryBackoff: ({ context }) => context.limits.retryBackoffMs,
      // A deadline, not a duration, so a restored slice expires when it would have.
      lifetime: ({ context }) => Math.max(0, (context.expiresAt ?? stamp()) - stamp()),
    },
    guards: {
      canRetry: ({ context }) => context.attempts + 1 < context.limits.maxAttempts,
      mayHoldResources: ({ context }) => context.mayHoldResources,
      hasLifetime: ({ context }) => context.lifetimeMs !== undefined,
      hasPendingChange: ({ context }) => context.pendingChange !== undefined,
      isStatic: ({ context }) => context.record.adaptive === false,
      needsReinterpretation: ({ context }) => context.adaptation?.reinterpret === true,
      endsRejected: ({ context }) => context.ending?.state === 'rejected',
      endsFailed: ({ context }) => context.ending?.state === 'failed',
      isNewChange: ({ context, event }) =>
        event.type === 'slice.change.v1' &&
        !context.seenChangeIds.includes(event.changeId) &&
        !(context.pendingChange?.changeIds.includes(event.changeId) ?? false),
    },
    actions: {
      /** Records the state just entered, with the cause and note of the transition. */
      enter: assign(({ context }, params: { state: SliceState }) => {
        const next = context.next ?? { cause: params.state };
        const entry: SliceHistoryEntry = { state: params.state, at: stamp() };
        if (next.note !== undefined) entry.note = clip(next.note);
        const history = [...context.record.history, entry];
        const causes = [...context.causes, next.cause];
        // Bounded: the oldest entries go first, counted so positions stay absolute.
        const excess = Math.max(0, history.length - SLICE_HISTORY_LIMIT);
        const record: SliceRecord = {
          ...context.record,
          state: params.state,
          history: excess > 0 ? history.slice(excess) : history,
        };
        if (excess > 0) record.historyDropped = (context.record.historyDropped ?? 0) + excess;
        return {
          record,
          causes: excess > 0 ? causes.slice(excess) : causes,
          next: undefined,
        };
      }),
      resetAttempts: assign({ attempts: 0, lastError: undefined }),
      dropView: assign({ view: undefined }),
      countTimeout: assign(({ context }, params: { what: string }) => ({
        attempts: context.attempts + 1,
        lastError: `${params.what} did not answer in time`,
      })),
      countError: assign(({ context, event }) => ({
        attempts: context.attempts + 1,
        lastError: describeError((event as { error?: unknown }).error),
      })),
      /** Ends the slice as failed once the current call ran out of attempts (after counting the last). */
      giveUp: assign(({ context }, params: { what: string }) => {
        const message = `${params.what} failed after ${context.attempts} attempt(s): ${context.lastError ?? 'no answer'}`;
        return { ending: { state: 'failed' as const, message }, ...mark('failed', message) };
      }),
      /** Ends the slice as failed on an error that retrying cannot fix. */
      failOnError: assign(({ context, event }, params: { what: string }) => {
        const attempts = context.attempts > 0 ? ` after ${context.attempts + 1} attempt(s)` : '';
        const message = `${params.what} failed${attempts}: ${describeError((event as { error?: unknown }).error)}`;
        return { ending: { state: 'failed' as const, message }, ...mark('failed', message) };
      }),
      /** Copies the ending into the record once the slice reaches its final state. */
      settleEnding: assign(({ context }) => {
        const ending = context.ending;
        const record = { ...context.record, served: context.record.served ?? false };
        if (ending?.state === 'rejected') record.reason = ending.message;
        if (ending?.state === 'failed') record.error = ending.message;
        return { record };
      }),
      beginTermination: assign(({ event }) => {
        const reason = event.type === 'slice.terminate.v1' ? event.reason : undefined;
        return mark('terminate', reason ?? 'termination requested');
      }),
      fixDeadline: assign(({ context }) => ({
        expiresAt:
          context.expiresAt ??
          (context.lifetimeMs === undefined ? undefined : stamp() + context.lifetimeMs),
      })),
      deferChange: assign(({ context, event }) =>
        event.type === 'slice.change.v1'
          ? { pendingChange: foldChange(context.pendingChange, event) }
          : {},
      ),
    },
  }).createMachine({
    id: 'slice',
    context: ({ input }) => {
      const { request } = input;
      const record: SliceRecord = {
        sliceId: request.sliceId,
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
    },
    initial: 'requested',
    on: {
      // Accepted in every non-final state; leaving a state stops its in-flight call.
      'slice.terminate.v1': { target: '.terminating', actions: 'beginTermination' },
      // A change for a slice that is not active yet waits until it is.
      'slice.change.v1': { guard: 'isNewChange', actions: 'deferChange' },
    },
    states: {
      requested: {
        entry: { type: 'enter', params: { state: 'requested' } },
        always: { target: 'interpreting', actions: assign(() => mark('accepted')) },
      },

      // ------------------------------------------------------------ step 1: intent
      interpreting: {
        entry: [{ type: 'enter', params: { state: 'interpreting' } }, 'resetAttempts'],
        initial: 'calling',
        states: {
          calling: {
            invoke: {
              src: 'interpret',
              input: ({ context }) => inferenceInput(context),
              onDone: {
                target: '#slice.planning',
                actions: assign(({ context, event }) => ({
                  ...withInference(context, event.output),
                  ...mark(
                    'interpreted',
                    `${event.output.reasoner}${event.output.degraded ? ' (degraded)' : ''}, confidence ${event.output.confidence.toFixed(2)}`,
                  ),
                })),
              },
              onError: [
                {
                  guard: ({ context, event }) =>
                    isRetryable(event.error) && context.attempts + 1 < context.limits.maxAttempts,
                  target: 'backoff',
                  actions: 'countError',
                },
                {
                  target: '#slice.failed',
                  actions: { type: 'failOnError', params: { what: 'interpreter' } },
                },
              ],
            },
            initial: 'waiting',
            states: {
              waiting: {
                after: {
                  interpretTimeout: [
                    {
                      guard: 'canRetry',
                      target: '#slice.interpreting.backoff',
                      actions: { type: 'countTimeout', params: { what: 'interpreter' } },
                    },
                    {
                      target: '#slice.failed',
                      actions: [
                        { type: 'countTimeout', params: { what: 'interpreter' } },
                        { type: 'giveUp', params: { what: 'interpreter' } },
                      ],
                    },
                  ],
                },
                on: REARM_ON_RESUME,
              },
            },
          },
          backoff: RETRY_AFTER_BACKOFF,
        },
      },

      // ------------------------------------------------------------ step 2: placement
      planning: {
        entry: [{ type: 'enter', params: { state: 'planning' } }, 'resetAttempts'],
        initial: 'viewing',
        states: {
          viewing: {
            initial: 'calling',
            states: {
              calling: {
                invoke: {
                  src: 'viewNetwork',
                  input: ({ context }) => viewInput(context),
                  onDone: {
                    target: '#slice.planning.placing',
                    actions: assign(({ event }) => ({ view: event.output.view, attempts: 0 })),
                  },
                  onError: [
                    {
                      guard: ({ context, event }) =>
                        isRetryable(event.error) &&
                        context.attempts + 1 < context.limits.maxAttempts,
                      target: 'backoff',
                      actions: 'countError',
                    },
                    {
                      guard: 'mayHoldResources',
                      target: '#slice.terminating',
                      actions: { type: 'failOnError', params: { what: 'network view' } },
                    },
                    {
                      target: '#slice.failed',
                      actions: { type: 'failOnError', params: { what: 'network view' } },
                    },
                  ],
                },
                initial: 'waiting',
                states: {
                  waiting: {
                    after: {
                      viewTimeout: [
                        {
                          guard: 'canRetry',
                          target: '#slice.planning.viewing.backoff',
                          actions: {
                            type: 'countTimeout',
                            params: { what: 'infrastructure view' },
                          },
                        },
                        {
                          guard: 'mayHoldResources',
                          target: '#slice.terminating',
                          actions: [
                            { type: 'countTimeout', params: { what: 'infrastructure view' } },
                            { type: 'giveUp', params: { what: 'network view' } },
                          ],
                        },
                        {
                          target: '#slice.failed',
                          actions: [
                            { type: 'countTimeout', params: { what: 'infrastructure view' } },
                            { type: 'giveUp', params: { what: 'network view' } },
                          ],
                        },
                      ],
                    },
                    on: REARM_ON_RESUME,
                  },
                },
              },
              backoff: RETRY_AFTER_BACKOFF,
            },
          },
          placing: {
            // The view served this plan only; persisted snapshots and later calls need not carry it.
            exit: 'dropView',
            initial: 'calling',
            states: {
              calling: {
                invoke: {
                  src: 'plan',
                  input: ({ context }) => placementInput(context),
                  onDone: [
                    {
                      guard: ({ event }) => event.output.outcome === 'planned',
                      target: '#slice.deploying',
                      actions: assign(({ context, event }) => {
                        const plan =
                          event.output.outcome === 'planned' ? event.output.plan : undefined;
                        return {
                          attempts: 0,
                          record: { ...context.record, plan },
                          ...mark(
                            'planned',
                            plan
                              ? `${plan.method}: ${plan.scaling} at ${plan.site} (view ${plan.viewVersion})`
                              : undefined,
                          ),
                        };
                      }),
                    },
                    {
                      guard: 'mayHoldResources',
                      target: '#slice.terminating',
                      actions: assign(({ event }) => rejection(event.output)),
                    },
                    {
                      target: '#slice.planning.declining',
                      actions: assign(({ event }) => rejection(event.output)),
                    },
                  ],
                  onError: [
                    {
                      guard: ({ context, event }) =>
                        isRetryable(event.error) &&
                        context.attempts + 1 < context.limits.maxAttempts,
                      target: 'backoff',
                      actions: 'countError',
                    },
                    {
                      // An orchestrator may answer "infeasible" as a typed error instead of a rejection.
                      guard: ({ context, event }) =>
                        isInfeasible(event.error) && context.mayHoldResources,
                      target: '#slice.terminating',
                      actions: assign(({ event }) => infeasible(event.error)),
                    },
                    {
                      guard: ({ event }) => isInfeasible(event.error),
                      target: '#slice.planning.declining',
                      actions: assign(({ event }) => infeasible(event.error)),
                    },
                    {
                      guard: 'mayHoldResources',
                      target: '#slice.terminating',
                      actions: { type: 'failOnError', params: { what: 'orchestrator' } },
                    },
                    {
                      target: '#slice.failed',
                      actions: { type: 'failOnError', params: { what: 'orchestrator' } },
                    },
                  ],
                },
                initial: 'waiting',
                states: {
                  waiting: {
                    after: {
                      planTimeout: [
                        {
                          guard: 'canRetry',
                          target: '#slice.planning.placing.backoff',
                          actions: { type: 'countTimeout', params: { what: 'orchestrator' } },
                        },
                        {
                          guard: 'mayHoldResources',
                          target: '#slice.terminating',
                          actions: [
                            { type: 'countTimeout', params: { what: 'orchestrator' } },
                            { type: 'giveUp', params: { what: 'orchestrator' } },
                          ],
                        },
                        {
                          target: '#slice.failed',
                          actions: [
                            { type: 'countTimeout', params: { what: 'orchestrator' } },
                            { type: 'giveUp', params: { what: 'orchestrator' } },
                          ],
                        },
                      ],
                    },
                    on: REARM_ON_RESUME,
                  },
                },
              },
              backoff: RETRY_AFTER_BACKOFF,
            },
          },
          // The orchestrator refused a new slice: the infrastructure counts that
          // decision (see DeclineRequest) before the next slice may place. Best
          // effort: the slice ends rejected whatever the answer.
          declining: {
            invoke: {
              src: 'decline',
              input: ({ context }) => declineInput(context),
              onDone: '#slice.rejected',
              onError: '#slice.rejected',
            },
            on: { 'slice.resume': { target: 'declining', reenter: true } },
          },
        },
      },

      deploying: {
        entry: [
          { type: 'enter', params: { state: 'deploying' } },
          'resetAttempts',
          // From here on an apply may have taken effect, so every way out releases.
          assign({ mayHoldResources: true }),
        ],
        initial: 'calling',
        states: {
          calling: {
            invoke: {
              src: 'apply',
              input: ({ context }) => applyInput(context),
              onDone: [
                {
                  guard: ({ event }) => event.output.outcome === 'applied',
                  target: '#slice.active',
                  actions: assign(({ context, event }) =>
                    event.output.outcome === 'applied'
                      ? {
                          ...withPlacement(context, event.output),
                          ...mark('applied', appliedNote(event.output)),
                        }
                      : {},
                  ),
                },
                {
                  guard: ({ context, event }) =>
                    isReplannable(event.output) && context.replans < context.limits.maxReplans,
                  target: '#slice.planning',
                  actions: assign(({ context, event }) => ({
                    replans: context.replans + 1,
                    ...mark(
                      'stale-view',
                      isReplannable(event.output) ? refusalNote(event.output) : undefined,
                    ),
                  })),
                },
                {
                  guard: ({ event }) => isReplannable(event.output),
                  target: '#slice.terminating',
                  actions: assign(({ context, event }) => {
                    const detail = isReplannable(event.output) ? refusalNote(event.output) : '';
                    const message = `gave up after ${context.replans} re-plan(s): ${detail}`;
                    return {
                      ending: { state: 'failed' as const, message },
                      ...mark('failed', message),
                    };
                  }),
                },
                {
                  // Capacity: the plan does not fit what the infrastructure holds.
                  target: '#slice.terminating',
                  actions: assign(({ event }) => {
                    const message =
                      event.output.outcome === 'refused' ? refusalNote(event.output) : 'refused';
                    return {
                      ending: { state: 'rejected' as const, message },
                      ...mark('rejected', message),
                    };
                  }),
                },
              ],
              onError: [
                {
                  guard: ({ context, event }) =>
                    isRetryable(event.error) && context.attempts + 1 < context.limits.maxAttempts,
                  target: 'backoff',
                  actions: 'countError',
                },
                {
                  target: '#slice.terminating',
                  actions: { type: 'failOnError', params: { what: 'infrastructure apply' } },
                },
              ],
            },
            initial: 'waiting',
            states: {
              waiting: {
                after: {
                  applyTimeout: [
                    {
                      guard: 'canRetry',
                      target: '#slice.deploying.backoff',
                      actions: { type: 'countTimeout', params: { what: 'infrastructure apply' } },
                    },
                    {
                      target: '#slice.terminating',
                      actions: [
                        { type: 'countTimeout', params: { what: 'infrastructure apply' } },
                        { type: 'giveUp', params: { what: 'infrastructure apply' } },
                      ],
                    },
                  ],
                },
                on: REARM_ON_RESUME,
              },
            },
          },
          backoff: RETRY_AFTER_BACKOFF,
        },
      },

      // ------------------------------------------------------------ operation
      active: {
        entry: [
          { type: 'enter', params: { state: 'active' } },
          'fixDeadline',
          assign({ adaptation: undefined, attempts: 0, replans: 0 }),
        ],
        always: {
          guard: 'hasPendingChange',
          target: 'adapting',
          actions: assign(({ context }) => beginChange(context, undefined)),
        },
        on: {
          'slice.change.v1': {
            guard: 'isNewChange',
            target: 'adapting',
            actions: assign(({ context, event }) => beginChange(context, event)),
          },
          'sla.violation.v1': [
            {
              // The slice asked not to be adapted: record that it is no longer served, stay put.
              guard: 'isStatic',
              target: 'active',
              reenter: true,
              actions: assign(({ context, event }) => unadaptedViolation(context, event)),
            },
            {
              target: 'adapting',
              actions: assign(({ context, event }) => ({
                adaptation: {
                  cause: 'violation' as const,
                  reinterpret: false,
                  backup: {},
                  inferredBackup: context.inferred,
                  avoid: avoidFor(event, context.record),
                },
                ...mark(
                  'violation',
                  `${event.dimension} ${event.observed} exceeds limit ${event.limit}`,
                ),
              })),
            },
          ],
        },
        initial: 'deciding',
        states: {
          deciding: {
            always: [{ guard: 'hasLifetime', target: 'expiring' }, { target: 'open' }],
          },
          expiring: {
            after: {
              lifetime: {
                target: '#slice.terminating',
                actions: assign(({ context }) =>
                  mark('lifetime', `lifetime of ${context.lifetimeMs ?? 0} ms expired`),
                ),
              },
            },
            on: { 'slice.resume': { target: 'expiring', reenter: true } },
          },
          open: {},
        },
      },

      // Step 3: re-interpret if the intent changed, re-plan, re-apply (the
      // infrastructure treats it as an atomic re-placement). Whatever goes wrong,
      // the slice keeps its placement and returns to active.
      adapting: {
        entry: [{ type: 'enter', params: { state: 'adapting' } }, 'resetAttempts'],
        initial: 'deciding',
        states: {
          deciding: {
            always: [
              { guard: 'needsReinterpretation', target: 'interpreting' },
              { target: 'viewing' },
            ],
          },
          interpreting: {
            initial: 'calling',
            states: {
              calling: {
                invoke: {
                  src: 'interpret',
                  input: ({ context }) => inferenceInput(context),
                  onDone: {
                    target: '#slice.adapting.viewing',
                    actions: assign(({ context, event }) => withInference(context, event.output)),
                  },
                  onError: [
                    {
                      guard: ({ context, event }) =>
                        isRetryable(event.error) &&
                        context.attempts + 1 < context.limits.maxAttempts,
                      target: 'backoff',
                      actions: 'countError',
                    },
                    {
                      target: '#slice.active',
                      actions: assign(({ context, event }) =>
                        abandon(context, `interpreter failed: ${describeError(event.error)}`),
                      ),
                    },
                  ],
                },
                initial: 'waiting',
                states: {
                  waiting: {
                    after: {
                      interpretTimeout: [
                        {
                          guard: 'canRetry',
                          target: '#slice.adapting.interpreting.backoff',
                          actions: { type: 'countTimeout', params: { what: 'interpreter' } },
                        },
                        {
                          target: '#slice.active',
                          actions: assign(({ context }) =>
                            abandon(context, 'interpreter did not answer in time'),
                          ),
                        },
                      ],
                    },
                    on: REARM_ON_RESUME,
                  },
                },
              },
              backoff: RETRY_AFTER_BACKOFF,
            },
          },
          viewing: {
            initial: 'calling',
            states: {
              calling: {
                invoke: {
                  src: 'viewNetwork',
                  input: ({ context }) => viewInput(context),
                  onDone: {
                    target: '#slice.adapting.placing',
                    actions: assign(({ event }) => ({ view: event.output.view, attempts: 0 })),
                  },
                  onError: [
                    {
                      guard: ({ context, event }) =>
                        isRetryable(event.error) &&
                        context.attempts + 1 < context.limits.maxAttempts,
                      target: 'backoff',
                      actions: 'countError',
                    },
                    {
                      target: '#slice.active',
                      actions: assign(({ context, event }) =>
                        abandon(context, `network view failed: ${describeError(event.error)}`),
                      ),
                    },
                  ],
                },
                initial: 'waiting',
                states: {
                  waiting: {
                    after: {
                      viewTimeout: [
                        {
                          guard: 'canRetry',
                          target: '#slice.adapting.viewing.backoff',
                          actions: {
                            type: 'countTimeout',
                            params: { what: 'infrastructure view' },
                          },
                        },
                        {
                          target: '#slice.active',
                          actions: assign(({ context }) =>
                            abandon(context, 'infrastructure view did not answer in time'),
                          ),
                        },
                      ],
                    },
                    on: REARM_ON_RESUME,
                  },
                },
              },
              backoff: RETRY_AFTER_BACKOFF,
            },
          },
          placing: {
            // The view served this plan only; persisted snapshots and later calls need not carry it.
            exit: 'dropView',
            initial: 'calling',
            states: {
              calling: {
                invoke: {
                  src: 'plan',
                  input: ({ context }) => placementInput(context),
                  onDone: [
                    {
                      guard: ({ event }) => event.output.outcome === 'planned',
                      target: '#slice.adapting.applying',
                      actions: assign(({ context, event }) => ({
                        attempts: 0,
                        record: {
                          ...context.record,
                          plan:
                            event.output.outcome === 'planned'
                              ? event.output.plan
                              : context.record.plan,
                        },
                      })),
                    },
                    {
                      target: '#slice.active',
                      actions: assign(({ context, event }) =>
                        abandon(
                          context,
                          event.output.outcome === 'rejected'
                            ? `re-plan rejected by ${event.output.method}: ${event.output.reason}`
                            : 're-plan rejected',
                          'adaptation-rejected',
                        ),
                      ),
                    },
                  ],
                  onError: [
                    {
                      guard: ({ context, event }) =>
                        isRetryable(event.error) &&
                        context.attempts + 1 < context.limits.maxAttempts,
                      target: 'backoff',
                      actions: 'countError',
                    },
                    {
                      target: '#slice.active',
                      actions: assign(({ context, event }) =>
                        abandon(
                          context,
                          `orchestrator failed: ${describeError(event.error)}`,
                          isInfeasible(event.error) ? 'adaptation-rejected' : 'adaptation-failed',
                        ),
                      ),
                    },
                  ],
                },
                initial: 'waiting',
                states: {
                  waiting: {
                    after: {
                      planTimeout: [
                        {
                          guard: 'canRetry',
                          target: '#slice.adapting.placing.backoff',
                          actions: { type: 'countTimeout', params: { what: 'orchestrator' } },
                        },
                        {
                          target: '#slice.active',
                          actions: assign(({ context }) =>
                            abandon(context, 'orchestrator did not answer in time'),
                          ),
                        },
                      ],
                    },
                    on: REARM_ON_RESUME,
                  },
                },
              },
              backoff: RETRY_AFTER_BACKOFF,
            },
          },
          applying: {
            initial: 'calling',
            states: {
              calling: {
                invoke: {
                  src: 'apply',
                  input: ({ context }) => applyInput(context),
                  onDone: [
                    {
                      guard: ({ event }) => event.output.outcome === 'applied',
                      target: '#slice.active',
                      actions: assign(({ context, event }) =>
                        event.output.outcome === 'applied'
                          ? {
                              ...withPlacement(context, event.output),
                              ...mark('adapted', appliedNote(event.output)),
                            }
                          : {},
                      ),
                    },
                    {
                      guard: ({ context, event }) =>
                        isReplannable(event.output) && context.replans < context.limits.maxReplans,
                      target: '#slice.adapting.viewing',
                      actions: assign(({ context }) => ({
                        replans: context.replans + 1,
                        attempts: 0,
                      })),
                    },
                    {
                      target: '#slice.active',
                      actions: assign(({ context, event }) =>
                        abandon(
                          context,
                          event.output.outcome === 'refused'
                            ? refusalNote(event.output)
                            : 'refused',
                          'adaptation-rejected',
                        ),
                      ),
                    },
                  ],
                  onError: [
                    {
                      guard: ({ context, event }) =>
                        isRetryable(event.error) &&
                        context.attempts + 1 < context.limits.maxAttempts,
                      target: 'backoff',
                      actions: 'countError',
                    },
                    {
                      target: '#slice.active',
                      actions: assign(({ context, event }) =>
                        abandon(
                          context,
                          `infrastructure apply failed: ${describeError(event.error)}; placement unconfirmed`,
                        ),
                      ),
                    },
                  ],
                },
                initial: 'waiting',
                states: {
                  waiting: {
                    after: {
                      applyTimeout: [
                        {
                          guard: 'canRetry',
                          target: '#slice.adapting.applying.backoff',
                          actions: {
                            type: 'countTimeout',
                            params: { what: 'infrastructure apply' },
                          },
                        },
                        {
                          target: '#slice.active',
                          actions: assign(({ context }) =>
                            abandon(
                              context,
                              'infrastructure apply did not answer in time; placement unconfirmed',
                            ),
                          ),
                        },
                      ],
                    },
                    on: REARM_ON_RESUME,
                  },
                },
              },
              backoff: RETRY_AFTER_BACKOFF,
            },
          },
        },
      },

      // ------------------------------------------------------------ step 4: release
      terminating: {
        entry: [{ type: 'enter', params: { state: 'terminating' } }, 'resetAttempts'],
        on: {
          // Already on the way out: further terminations and changes change nothing.
          'slice.terminate.v1': { actions: [] },
          'slice.change.v1': { actions: [] },
        },
        initial: 'deciding',
        states: {
          deciding: {
            always: [
              { guard: 'mayHoldResources', target: 'calling' },
              { guard: 'endsRejected', target: '#slice.rejected' },
              { guard: 'endsFailed', target: '#slice.failed' },
              {
                target: '#slice.released',
                actions: assign(() => mark('released', 'nothing was allocated')),
              },
            ],
          },
          calling: {
            invoke: {
              src: 'release',
              input: ({ context }) => releaseInput(context),
              onDone: [
                {
                  guard: 'endsRejected',
                  target: '#slice.rejected',
                  actions: assign(({ context }) => ({
                    mayHoldResources: false,
                    ...mark('rejected', context.ending?.message),
                  })),
                },
                {
                  guard: 'endsFailed',
                  target: '#slice.failed',
                  actions: assign(({ context }) => ({
                    mayHoldResources: false,
                    ...mark('failed', context.ending?.message),
                  })),
                },
                {
                  target: '#slice.released',
                  actions: assign(({ event }) => ({
                    mayHoldResources: false,
                    ...mark(
                      'released',
                      event.output.released
                        ? `resources released (view ${event.output.viewVersion})`
                        : 'nothing was held',
                    ),
                  })),
                },
              ],
              onError: [
                {
                  guard: ({ context, event }) =>
                    isRetryable(event.error) && context.attempts + 1 < context.limits.maxAttempts,
                  target: 'backoff',
                  actions: 'countError',
                },
                {
                  target: '#slice.failed',
                  actions: assign(({ context, event }) =>
                    releaseFailure(context, describeError(event.error)),
                  ),
                },
              ],
            },
            initial: 'waiting',
            states: {
              waiting: {
                after: {
                  releaseTimeout: [
                    {
                      guard: 'canRetry',
                      target: '#slice.terminating.backoff',
                      actions: { type: 'countTimeout', params: { what: 'infrastructure release' } },
                    },
                    {
                      target: '#slice.failed',
                      actions: assign(({ context }) =>
                        releaseFailure(context, 'infrastructure release did not answer in time'),
                      ),
                    },
                  ],
                },
                on: REARM_ON_RESUME,
              },
            },
          },
          backoff: RETRY_AFTER_BACKOFF,
        },
      },

      released: {
        type: 'final',
        entry: { type: 'enter', params: { state: 'released' } },
      },
      rejected: {
        type: 'final',
        entry: [{ type: 'enter', params: { state: 'rejected' } }, 'settleEnding'],
      },
      failed: {
        type: 'final',
        entry: [{ type: 'enter', params: { state: 'failed' } }, 'settleEnding'],
      },
    },
  });
}

/**
 * What a re-plan after a violation steers clear of: the container for latency
 * and capacity (it is overloaded), the shared VNF nodes for latency and
 * reliability (their delay or sharing breaks the constraint). A cost violation
 * moves nothing in particular; the orchestrator weighs cost itself.
 */
export function avoidFor(
  violation: SlaViolation,
  record: SliceRecord,
): { containerIds: string[]; vnfNodeIds: string[] } | undefined {
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
function unadaptedViolation(
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

function rejection(reply: PlacementReply): Partial<LifecycleContext> {
  const message =
    reply.outcome === 'rejected' ? `${reply.method}: ${reply.reason}` : 'orchestrator rejected';
  return { ending: { state: 'rejected', message }, ...mark('rejected', message) };
}

function isInfeasible(error: unknown): boolean {
  return isSliceMeshError(error) && error.code === 'infeasible';
}

function infeasible(error: unknown): Partial<LifecycleContext> {
  const message = describeError(error);
  return { ending: { state: 'rejected', message }, ...mark('rejected', message) };
}

function abandon(
  context: LifecycleContext,
  why: string,
  cause: 'adaptation-rejected' | 'adaptation-failed' = 'adaptation-failed',
): Partial<LifecycleContext> {
  const kept = context.record.placement ? 'keeping the current placement' : 'nothing placed';
  return { ...revertAdaptation(context), ...mark(cause, `${why}; ${kept}`) };
}

function releaseFailure(context: LifecycleContext, why: string): Partial<LifecycleContext> {
  const earlier = context.ending ? `${context.ending.message}; ` : '';
  const message = `${earlier}release failed after ${context.attempts + 1} attempt(s): ${why}; resources may still be held`;
  return { ending: { state: 'failed', message }, ...mark('failed', message) };
}

export type LifecycleMachine = ReturnType<typeof createLifecycleMachine>;
export type LifecycleActor = ActorRefFrom<LifecycleMachine>;
export type LifecycleSnapshot = SnapshotFrom<LifecycleMachine>;
