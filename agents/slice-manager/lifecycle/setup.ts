/**
 * The lifecycle's vocabulary, as XState v5 `setup()`: the six call actors
 * (placeholders until `provide()` binds them), the named delays, and every
 * guard and action the states refer to by name. Guards and actions that need
 * an event's data take it as params (`params: ({ event }) => …`), so none of
 * them casts an event.
 */
import { assign, fromPromise, setup } from 'xstate';
import {
  SLICE_HISTORY_LIMIT,
  SliceMeshError,
  type ApplyReply,
  type ApplyRequest,
  type DeclineReply,
  type DeclineRequest,
  type InferenceReply,
  type InferenceRequest,
  type PlacementReply,
  type PlacementRequest,
  type ReleaseReply,
  type ReleaseRequest,
  type SlaViolation,
  type SliceChange,
  type SliceHistoryEntry,
  type SliceRecord,
  type SliceState,
} from '../../../shared/contracts/index.js';
import {
  abandon,
  appliedNote,
  beginChange,
  attemptsSpent,
  beginViolation,
  countFailure,
  describeError,
  ending,
  isInfeasible,
  isReplannable,
  isRetryable,
  mark,
  releaseFailure,
  retryAfterFailure,
  unadaptedViolation,
  withInference,
  withPlacement,
} from './context.js';
import { clip, foldChange } from './profile.js';
import type {
  CallInput,
  Ending,
  LifecycleContext,
  LifecycleEvent,
  LifecycleInput,
  LifecycleOptions,
  LocalViewRequest,
  Mark,
  ViewStep,
} from './types.js';

function notProvided<TOutput, TRequest>(name: string) {
  return fromPromise<TOutput, CallInput<TRequest>>(() =>
    Promise.reject(
      new SliceMeshError('internal', `lifecycle actor "${name}" was not provided`, {
        retryable: false,
      }),
    ),
  );
}

/** Params of a guard or action that looks at a call's error. */
interface WithError {
  error: unknown;
}

/** Takes a call's error as params: `params: errorOf`. */
export const errorOf = ({ event }: { event: { error: unknown } }): WithError => ({
  error: event.error,
});

/** Takes a call's answer as params: `params: replyOf`. */
export const replyOf = <T>({ event }: { event: { output: T } }): { reply: T } => ({
  reply: event.output,
});

/** The setup every lifecycle machine is created from; `now` stamps history and deadlines. */
export function createLifecycleSetup(options: LifecycleOptions) {
  const stamp = () => Math.max(0, Math.floor(options.now()));
  const seed = options.seed ?? 0;

  return setup({
    types: {
      context: {} as LifecycleContext,
      events: {} as LifecycleEvent,
      input: {} as LifecycleInput,
    },
    actors: {
      interpret: notProvided<InferenceReply, InferenceRequest>('interpret'),
      viewNetwork: notProvided<ViewStep, LocalViewRequest>('viewNetwork'),
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
      // Chosen when the attempt failed (retry.ts); a snapshot from before the budget has none.
      retryBackoff: ({ context }) => context.retryDelayMs ?? context.limits.retryBackoffMs,
      // A deadline, not a duration, so a restored slice expires when it would have.
      lifetime: ({ context }) => Math.max(0, (context.expiresAt ?? stamp()) - stamp()),
    },
    guards: {
      /** The call in progress may be attempted again (after a timeout): attempts and budget left. */
      canRetry: ({ context }) => retryAfterFailure(context, stamp(), seed).retry,
      /** The call failed with an error worth retrying, and may be attempted again. */
      canRetryError: ({ context }, { error }: WithError) =>
        isRetryable(error) && retryAfterFailure(context, stamp(), seed).retry,
      mayHoldResources: ({ context }) => context.mayHoldResources,
      hasLifetime: ({ context }) => context.lifetimeMs !== undefined,
      hasPendingChange: ({ context }) => context.pendingChange !== undefined,
      isStatic: ({ context }) => context.record.adaptive === false,
      needsReinterpretation: ({ context }) => context.adaptation?.reinterpret === true,
      endsRejected: ({ context }) => context.ending?.state === 'rejected',
      endsFailed: ({ context }) => context.ending?.state === 'failed',
      isNewChange: ({ context, event }) =>
        event.type === 'slice.change.v2' &&
        !context.seenChangeIds.includes(event.changeId) &&
        !(context.pendingChange?.changeIds.includes(event.changeId) ?? false),
      isPlanned: (_, { reply }: { reply: PlacementReply }) => reply.outcome === 'planned',
      isApplied: (_, { reply }: { reply: ApplyReply }) => reply.outcome === 'applied',
      /** A refusal a plan on a fresh view may cure (not capacity). */
      isReplannable: (_, { reply }: { reply: ApplyReply }) => isReplannable(reply),
      /** …and the deployment has re-plans left. */
      canReplan: ({ context }, { reply }: { reply: ApplyReply }) =>
        isReplannable(reply) && context.replans < context.limits.maxReplans,
      /** An orchestrator may answer "infeasible" as a typed error instead of a rejection. */
      isInfeasible: (_, { error }: WithError) => isInfeasible(error),
      isInfeasibleHoldingResources: ({ context }, { error }: WithError) =>
        isInfeasible(error) && context.mayHoldResources,
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
      /** Sets the cause and note of the next history entry. */
      mark: assign((_, params: Mark) => mark(params.cause, params.note)),
      resetAttempts: assign({
        attempts: 0,
        lastError: undefined,
        retryingSince: undefined,
        retryDelayMs: undefined,
      }),
      dropView: assign({ view: undefined }),
      // From `deploying` on an apply may have taken effect, so every way out releases.
      holdResources: assign({ mayHoldResources: true }),
      resourcesReleased: assign({ mayHoldResources: false }),
      /** Counts a failed attempt and picks the pause before the next one (if any). */
      countTimeout: assign(({ context }, params: { what: string }) =>
        countFailure(context, stamp(), seed, `${params.what} did not answer in time`),
      ),
      countError: assign(({ context }, { error }: WithError) =>
        countFailure(context, stamp(), seed, describeError(error)),
      ),
      /** Ends the slice as failed once the current call ran out of attempts (after counting the last). */
      giveUp: assign(({ context }, params: { what: string }) =>
        ending(
          'failed',
          `${params.what} failed after ${attemptsSpent(context, stamp(), true)}: ${context.lastError ?? 'no answer'}`,
        ),
      ),
      /** Ends the slice as failed on an error that retrying cannot fix. */
      failOnError: assign(({ context }, params: { what: string; error: unknown }) => {
        // A retryable error ends the call only once its attempts or its budget are spent.
        const spent = isRetryable(params.error)
          ? attemptsSpent(context, stamp(), false)
          : `${context.attempts + 1} attempt(s)`;
        const attempts = context.attempts > 0 || isRetryable(params.error) ? ` after ${spent}` : '';
        return ending('failed', `${params.what} failed${attempts}: ${describeError(params.error)}`);
      }),
      /** The infrastructure lost what the slice held: it ends failed, noted as such. */
      loseResources: assign((_, params: { note: string }) => {
        const message = `the infrastructure holds no resources for the slice: ${params.note}`;
        return { ...ending('failed', message), ...mark('resources-lost', message) };
      }),
      /** Decides how the slice ends; the release (if any) comes first. */
      end: assign((_, params: Ending) => ending(params.state, params.message)),
      releaseFailed: assign(({ context }, params: { why: string; retryable: boolean }) =>
        releaseFailure(
          context,
          params.why,
          params.retryable
            ? attemptsSpent(context, stamp(), false)
            : `${context.attempts + 1} attempt(s)`,
        ),
      ),
      /** Copies the ending into the record once the slice reaches its final state. */
      settleEnding: assign(({ context }) => {
        const ending = context.ending;
        const record = { ...context.record, served: context.record.served ?? false };
        if (ending?.state === 'rejected') record.reason = ending.message;
        if (ending?.state === 'failed') record.error = ending.message;
        return { record };
      }),
      storeInference: assign(({ context }, { reply }: { reply: InferenceReply }) =>
        withInference(context, reply),
      ),
      storeView: assign((_, { reply }: { reply: ViewStep }) => ({
        view: reply.view,
        attempts: 0,
      })),
      storePlan: assign(({ context }, { reply }: { reply: PlacementReply }) => ({
        attempts: 0,
        record: { ...context.record, plan: reply.outcome === 'planned' ? reply.plan : undefined },
      })),
      /** An adaptation's new plan; the slice keeps its old one on a reply that has none. */
      storeReplan: assign(({ context }, { reply }: { reply: PlacementReply }) => ({
        attempts: 0,
        record: {
          ...context.record,
          plan: reply.outcome === 'planned' ? reply.plan : context.record.plan,
        },
      })),
      /** A placement the infrastructure applied, noted as `applied` or `adapted`. */
      storePlacement: assign(
        ({ context }, params: { reply: ApplyReply; cause: 'applied' | 'adapted' }) =>
          params.reply.outcome === 'applied'
            ? {
                ...withPlacement(context, params.reply),
                ...mark(params.cause, appliedNote(params.reply)),
              }
            : {},
      ),
      countReplan: assign(({ context }) => ({ replans: context.replans + 1 })),
      /** An adaptation re-plans on a fresh view, with a fresh set of attempts. */
      countAdaptationReplan: assign(({ context }) => ({
        replans: context.replans + 1,
        attempts: 0,
      })),
      /** Gives up an adaptation: back to active with the placement (and requirements) it had. */
      abandon: assign(
        (
          { context },
          params: { why: string; cause?: 'adaptation-rejected' | 'adaptation-failed' },
        ) => abandon(context, params.why, params.cause),
      ),
      beginTermination: assign(({ event }) => {
        const reason = event.type === 'slice.terminate.v2' ? event.reason : undefined;
        return mark('terminate', reason ?? 'termination requested');
      }),
      fixDeadline: assign(({ context }) => ({
        expiresAt:
          context.expiresAt ??
          (context.lifetimeMs === undefined ? undefined : stamp() + context.lifetimeMs),
      })),
      /** Nothing to adapt any more: a fresh start for the next calls. */
      settleAdaptation: assign({ adaptation: undefined, attempts: 0, replans: 0 }),
      deferChange: assign(({ context, event }) =>
        event.type === 'slice.change.v2'
          ? { pendingChange: foldChange(context.pendingChange, event) }
          : {},
      ),
      /** Starts adapting to a change (`change` unset: the changes held while busy). */
      beginChange: assign(({ context }, params: { change?: SliceChange }) =>
        beginChange(context, params.change),
      ),
      beginViolation: assign(({ context }, { violation }: { violation: SlaViolation }) =>
        beginViolation(context, violation),
      ),
      recordUnadaptedViolation: assign(({ context }, { violation }: { violation: SlaViolation }) =>
        unadaptedViolation(context, violation),
      ),
    },
  });
}

export type LifecycleSetup = ReturnType<typeof createLifecycleSetup>;

/** A state's config in the lifecycle's vocabulary (what `createStateConfig` accepts). */
export type LifecycleStateConfig = Parameters<LifecycleSetup['createStateConfig']>[0];
