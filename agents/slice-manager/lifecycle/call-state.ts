/**
 * The one shape every call of the lifecycle has (docs/lifecycle.md):
 *
 *   calling ─ invoke <actor> ──────────── answer ──▶ onDone
 *     └ waiting ─ after <timeout> ─┬─ may retry ──────▶ backoff ─ after retryBackoff ──▶ calling
 *                                  └─ given up ───────▶ onTimeout
 *   (error) ─┬─ retryable, may retry ─────────────────▶ backoff
 *            └─ otherwise ───────────────────────────▶ onError
 *
 * "May retry": attempts left and the retry starts within the retry budget of
 * the call's first failure; `retryBackoff` is the exponential, jittered pause
 * chosen when the attempt failed (retry.ts).
 *
 * A restored slice (delays are not persisted) is sent `slice.resume`: a
 * waiting call re-enters `waiting`, re-arming its timeout without re-invoking
 * the call, and a backoff makes its retry at once.
 */
import type { ErrorActorEvent, StateNodeConfig, TransitionConfig } from 'xstate';
import { errorOf, type LifecycleStateConfig } from './setup.js';
import type { LifecycleContext, LifecycleEvent } from './types.js';

/** Where the lifecycle's transitions lead across state groups (ids of the `slice` machine). */
export const TO = {
  planning: '#slice.planning',
  placing: '#slice.planning.placing',
  declining: '#slice.planning.declining',
  deploying: '#slice.deploying',
  active: '#slice.active',
  adaptViewing: '#slice.adapting.viewing',
  adaptPlacing: '#slice.adapting.placing',
  adaptApplying: '#slice.adapting.applying',
  terminating: '#slice.terminating',
  released: '#slice.released',
  rejected: '#slice.rejected',
  failed: '#slice.failed',
} as const;

/** The type arguments of the lifecycle's setup, for transition configs outside a state. */
type Vocabulary =
  LifecycleStateConfig extends StateNodeConfig<
    LifecycleContext,
    LifecycleEvent,
    infer TActor,
    infer TAction,
    infer TGuard,
    infer TDelay,
    infer _TTag,
    infer _TOutput,
    infer TEmitted,
    infer _TStateMeta,
    infer TMeta
  >
    ? {
        actor: TActor;
        action: TAction;
        guard: TGuard;
        delay: TDelay;
        emitted: TEmitted;
        meta: TMeta;
      }
    : never;

type Transition<TExpressionEvent extends LifecycleEvent | ErrorActorEvent> = TransitionConfig<
  LifecycleContext,
  TExpressionEvent,
  LifecycleEvent,
  Vocabulary['actor'],
  Vocabulary['action'],
  Vocabulary['guard'],
  Vocabulary['delay'],
  Vocabulary['emitted'],
  Vocabulary['meta']
>;

/** A transition taken on a call's error. */
export type ErrorTransition = Transition<ErrorActorEvent>;
/** A transition taken when a timer fires. */
export type TimerTransition = Transition<LifecycleEvent>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Invoke = Exclude<NonNullable<LifecycleStateConfig['invoke']>, readonly unknown[]>;

/** An invoke config (`src`, `input`, `onDone`) without `onError`: the call state writes that. */
export type CallInvoke = DistributiveOmit<Invoke, 'onError'>;

/** The named delays that bound one attempt of a call. */
export type CallTimeout =
  'interpretTimeout' | 'viewTimeout' | 'planTimeout' | 'applyTimeout' | 'releaseTimeout';

export interface CallSpec {
  /** Id of the state that holds the call, e.g. `slice.interpreting`. */
  id: string;
  /** The actor to invoke, its input, and where its answer leads. */
  invoke: CallInvoke;
  /** The delay after which an unanswered attempt counts as failed. */
  timeout: CallTimeout;
  /** Who did not answer, for the attempt's error: "<what> did not answer in time". */
  what: string;
  /** Where an error leads that retrying cannot fix, or that ends the last attempt. */
  onError: readonly ErrorTransition[];
  /** Where the last attempt's timeout leads. */
  onTimeout: readonly TimerTransition[];
}

/**
 * A backoff: after the retry delay, or at once when a restored slice resumes
 * (delays are not persisted), the call is made again.
 */
const RETRY_AFTER_BACKOFF = {
  after: { retryBackoff: 'calling' },
  on: { 'slice.resume': 'calling' },
} as const satisfies LifecycleStateConfig;

/** A call waiting for its answer re-arms its timeout when a restored slice resumes. */
const REARM_ON_RESUME = {
  'slice.resume': { target: 'waiting', reenter: true },
} as const satisfies LifecycleStateConfig['on'];

/** The `calling` (with its `waiting` substate) and `backoff` states of one call. */
export function callStates(spec: CallSpec) {
  const retryTimeout: TimerTransition = {
    guard: 'canRetry',
    target: `#${spec.id}.backoff`,
    actions: { type: 'countTimeout', params: { what: spec.what } },
  };
  const after: NonNullable<LifecycleStateConfig['after']> = {
    [spec.timeout]: [retryTimeout, ...spec.onTimeout],
  };
  return {
    calling: {
      invoke: {
        ...spec.invoke,
        onError: [
          {
            guard: { type: 'canRetryError', params: errorOf },
            target: 'backoff',
            actions: { type: 'countError', params: errorOf },
          },
          ...spec.onError,
        ],
      },
      initial: 'waiting',
      states: {
        waiting: { after, on: REARM_ON_RESUME },
      },
    },
    backoff: RETRY_AFTER_BACKOFF,
  } satisfies Record<'calling' | 'backoff', LifecycleStateConfig>;
}

/** The last attempt timed out: counted like the others, then the call gives up. */
export function timedOut(what: string, giveUpAs: string = what): TimerTransition['actions'] {
  return [
    { type: 'countTimeout', params: { what } },
    { type: 'giveUp', params: { what: giveUpAs } },
  ];
}

/** An error that ends the call: the slice fails with it (after a release, if one is needed). */
export function failOnError(what: string): ErrorTransition['actions'] {
  return { type: 'failOnError', params: ({ event }) => ({ what, error: event.error }) };
}
