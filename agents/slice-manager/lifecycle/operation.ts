/**
 * Operation (3GPP TS 28.530), the paper's step 3: an active slice adapts to
 * changes and SLA violations — re-interpreted if the intent changed,
 * re-planned on a fresh view, re-applied (the infrastructure treats it as an
 * atomic re-placement). Whatever goes wrong, the slice keeps its placement
 * and returns to active; a change is reverted.
 */
import { TO, callStates, type ErrorTransition, type TimerTransition } from './call-state.js';
import {
  adaptationRejectedNote,
  applyInput,
  describeError,
  inferenceInput,
  isInfeasible,
  placementInput,
  refusalDetail,
  viewInput,
} from './context.js';
import { replyOf, type LifecycleStateConfig } from './setup.js';

/** The adaptation ends on an error: back to active, with the error's description after `why`. */
function abandonOnError(why: string): ErrorTransition {
  return {
    target: TO.active,
    actions: {
      type: 'abandon',
      params: ({ event }) => ({ why: `${why}: ${describeError(event.error)}` }),
    },
  };
}

/** The adaptation ends on its last timeout: back to active. */
function abandonOnTimeout(why: string): TimerTransition {
  return { target: TO.active, actions: { type: 'abandon', params: { why } } };
}

const active = {
  entry: [{ type: 'enter', params: { state: 'active' } }, 'fixDeadline', 'settleAdaptation'],
  always: {
    guard: 'hasPendingChange',
    target: 'adapting',
    actions: { type: 'beginChange', params: {} },
  },
  on: {
    'slice.change.v2': {
      guard: 'isNewChange',
      target: 'adapting',
      actions: { type: 'beginChange', params: ({ event }) => ({ change: event }) },
    },
    'sla.violation.v1': [
      {
        // The slice asked not to be adapted: record that it is no longer served, stay put.
        guard: 'isStatic',
        target: 'active',
        reenter: true,
        actions: {
          type: 'recordUnadaptedViolation',
          params: ({ event }) => ({ violation: event }),
        },
      },
      {
        target: 'adapting',
        actions: { type: 'beginViolation', params: ({ event }) => ({ violation: event }) },
      },
    ],
    // The reconciler found nothing held for the slice: it ends failed (the release is idempotent).
    'slice.resources-lost': {
      target: TO.terminating,
      actions: { type: 'loseResources', params: ({ event }) => ({ note: event.note }) },
    },
  },
  initial: 'deciding',
  states: {
    deciding: {
      always: [{ guard: 'hasLifetime', target: 'expiring' }, { target: 'open' }],
    },
    expiring: {
      after: {
        lifetime: {
          target: TO.terminating,
          actions: {
            type: 'mark',
            params: ({ context }) => ({
              cause: 'lifetime',
              note: `lifetime of ${context.lifetimeMs ?? 0} ms expired`,
            }),
          },
        },
      },
      on: { 'slice.resume': { target: 'expiring', reenter: true } },
    },
    open: {},
  },
} as const satisfies LifecycleStateConfig;

const interpreting = {
  initial: 'calling',
  states: callStates({
    id: 'slice.adapting.interpreting',
    invoke: {
      src: 'interpret',
      input: ({ context }) => inferenceInput(context),
      onDone: { target: TO.adaptViewing, actions: { type: 'storeInference', params: replyOf } },
    },
    timeout: 'interpretTimeout',
    what: 'interpreter',
    onError: [abandonOnError('interpreter failed')],
    onTimeout: [abandonOnTimeout('interpreter did not answer in time')],
  }),
} as const satisfies LifecycleStateConfig;

const viewing = {
  initial: 'calling',
  states: callStates({
    id: 'slice.adapting.viewing',
    invoke: {
      src: 'viewNetwork',
      input: ({ context }) => viewInput(context),
      onDone: { target: TO.adaptPlacing, actions: { type: 'storeView', params: replyOf } },
    },
    timeout: 'viewTimeout',
    what: 'infrastructure view',
    onError: [abandonOnError('network view failed')],
    onTimeout: [abandonOnTimeout('infrastructure view did not answer in time')],
  }),
} as const satisfies LifecycleStateConfig;

const placing = {
  // The view served this plan only; persisted snapshots and later calls need not carry it.
  exit: 'dropView',
  initial: 'calling',
  states: callStates({
    id: 'slice.adapting.placing',
    invoke: {
      src: 'plan',
      input: ({ context }) => placementInput(context),
      onDone: [
        {
          guard: { type: 'isPlanned', params: replyOf },
          target: TO.adaptApplying,
          actions: { type: 'storeReplan', params: replyOf },
        },
        {
          target: TO.active,
          actions: {
            type: 'abandon',
            params: ({ event }) => ({
              why: adaptationRejectedNote(event.output),
              cause: 'adaptation-rejected',
            }),
          },
        },
      ],
    },
    timeout: 'planTimeout',
    what: 'orchestrator',
    onError: [
      {
        target: TO.active,
        actions: {
          type: 'abandon',
          params: ({ event }) => ({
            why: `orchestrator failed: ${describeError(event.error)}`,
            cause: isInfeasible(event.error) ? 'adaptation-rejected' : 'adaptation-failed',
          }),
        },
      },
    ],
    onTimeout: [abandonOnTimeout('orchestrator did not answer in time')],
  }),
} as const satisfies LifecycleStateConfig;

const applying = {
  initial: 'calling',
  states: callStates({
    id: 'slice.adapting.applying',
    invoke: {
      src: 'apply',
      input: ({ context }) => applyInput(context),
      onDone: [
        {
          guard: { type: 'isApplied', params: replyOf },
          target: TO.active,
          actions: {
            type: 'storePlacement',
            params: ({ event }) => ({ reply: event.output, cause: 'adapted' }),
          },
        },
        {
          guard: { type: 'canReplan', params: replyOf },
          target: TO.adaptViewing,
          actions: 'countAdaptationReplan',
        },
        {
          target: TO.active,
          actions: {
            type: 'abandon',
            params: ({ event }) => ({
              why: refusalDetail(event.output, 'refused'),
              cause: 'adaptation-rejected',
            }),
          },
        },
      ],
    },
    timeout: 'applyTimeout',
    what: 'infrastructure apply',
    onError: [
      {
        target: TO.active,
        actions: {
          type: 'abandon',
          params: ({ event }) => ({
            why: `infrastructure apply failed: ${describeError(event.error)}; placement unconfirmed`,
          }),
        },
      },
    ],
    onTimeout: [
      abandonOnTimeout('infrastructure apply did not answer in time; placement unconfirmed'),
    ],
  }),
} as const satisfies LifecycleStateConfig;

const adapting = {
  entry: [{ type: 'enter', params: { state: 'adapting' } }, 'resetAttempts'],
  initial: 'deciding',
  states: {
    deciding: {
      always: [{ guard: 'needsReinterpretation', target: 'interpreting' }, { target: 'viewing' }],
    },
    interpreting,
    viewing,
    placing,
    applying,
  },
} as const satisfies LifecycleStateConfig;

/** active ⇄ adapting. */
export const operationStates = { active, adapting };
