/**
 * Preparation and commissioning (3GPP TS 28.530), the paper's steps 1 and 2:
 * a request is interpreted, placed on a fresh network view, and applied.
 * Out of attempts before any apply the slice fails; once an apply may have
 * taken effect every way out passes through `terminating` to release it.
 */
import { TO, callStates, failOnError, timedOut } from './call-state.js';
import {
  applyInput,
  declineInput,
  describeError,
  inferenceInput,
  interpretedNote,
  placementInput,
  plannedNote,
  refusalDetail,
  rejectionMessage,
  viewInput,
} from './context.js';
import { errorOf, replyOf, type LifecycleStateConfig } from './setup.js';

const requested = {
  entry: { type: 'enter', params: { state: 'requested' } },
  always: { target: 'interpreting', actions: { type: 'mark', params: { cause: 'accepted' } } },
} as const satisfies LifecycleStateConfig;

// ------------------------------------------------------------ step 1: intent
const interpreting = {
  entry: [{ type: 'enter', params: { state: 'interpreting' } }, 'resetAttempts'],
  initial: 'calling',
  states: callStates({
    id: 'slice.interpreting',
    invoke: {
      src: 'interpret',
      input: ({ context }) => inferenceInput(context),
      onDone: {
        target: TO.planning,
        actions: [
          { type: 'storeInference', params: replyOf },
          {
            type: 'mark',
            params: ({ event }) => ({ cause: 'interpreted', note: interpretedNote(event.output) }),
          },
        ],
      },
    },
    timeout: 'interpretTimeout',
    what: 'interpreter',
    onError: [{ target: TO.failed, actions: failOnError('interpreter') }],
    onTimeout: [{ target: TO.failed, actions: timedOut('interpreter') }],
  }),
} as const satisfies LifecycleStateConfig;

// ------------------------------------------------------------ step 2: placement
const viewing = {
  initial: 'calling',
  states: callStates({
    id: 'slice.planning.viewing',
    invoke: {
      src: 'viewNetwork',
      input: ({ context }) => viewInput(context),
      onDone: { target: TO.placing, actions: { type: 'storeView', params: replyOf } },
    },
    timeout: 'viewTimeout',
    what: 'infrastructure view',
    onError: [
      {
        guard: 'mayHoldResources',
        target: TO.terminating,
        actions: failOnError('network view'),
      },
      {
        target: TO.failed,
        actions: failOnError('network view'),
      },
    ],
    onTimeout: [
      {
        guard: 'mayHoldResources',
        target: TO.terminating,
        actions: timedOut('infrastructure view', 'network view'),
      },
      { target: TO.failed, actions: timedOut('infrastructure view', 'network view') },
    ],
  }),
} as const satisfies LifecycleStateConfig;

const placing = {
  // The view served this plan only; persisted snapshots and later calls need not carry it.
  exit: 'dropView',
  initial: 'calling',
  states: callStates({
    id: 'slice.planning.placing',
    invoke: {
      src: 'plan',
      input: ({ context }) => placementInput(context),
      onDone: [
        {
          guard: { type: 'isPlanned', params: replyOf },
          target: TO.deploying,
          actions: [
            { type: 'storePlan', params: replyOf },
            {
              type: 'mark',
              params: ({ event }) => ({ cause: 'planned', note: plannedNote(event.output) }),
            },
          ],
        },
        {
          guard: 'mayHoldResources',
          target: TO.terminating,
          actions: {
            type: 'end',
            params: ({ event }) => ({ state: 'rejected', message: rejectionMessage(event.output) }),
          },
        },
        {
          target: TO.declining,
          actions: {
            type: 'end',
            params: ({ event }) => ({ state: 'rejected', message: rejectionMessage(event.output) }),
          },
        },
      ],
    },
    timeout: 'planTimeout',
    what: 'orchestrator',
    onError: [
      {
        guard: { type: 'isInfeasibleHoldingResources', params: errorOf },
        target: TO.terminating,
        actions: {
          type: 'end',
          params: ({ event }) => ({ state: 'rejected', message: describeError(event.error) }),
        },
      },
      {
        guard: { type: 'isInfeasible', params: errorOf },
        target: TO.declining,
        actions: {
          type: 'end',
          params: ({ event }) => ({ state: 'rejected', message: describeError(event.error) }),
        },
      },
      {
        guard: 'mayHoldResources',
        target: TO.terminating,
        actions: failOnError('orchestrator'),
      },
      {
        target: TO.failed,
        actions: failOnError('orchestrator'),
      },
    ],
    onTimeout: [
      { guard: 'mayHoldResources', target: TO.terminating, actions: timedOut('orchestrator') },
      { target: TO.failed, actions: timedOut('orchestrator') },
    ],
  }),
} as const satisfies LifecycleStateConfig;

// The orchestrator refused a new slice: the infrastructure counts that
// decision (see DeclineRequest) before the next slice may place. Best
// effort: the slice ends rejected whatever the answer.
const declining = {
  invoke: {
    src: 'decline',
    input: ({ context }) => declineInput(context),
    onDone: TO.rejected,
    onError: TO.rejected,
  },
  on: { 'slice.resume': { target: 'declining', reenter: true } },
} as const satisfies LifecycleStateConfig;

const planning = {
  entry: [{ type: 'enter', params: { state: 'planning' } }, 'resetAttempts'],
  initial: 'viewing',
  states: { viewing, placing, declining },
} as const satisfies LifecycleStateConfig;

const deploying = {
  entry: [{ type: 'enter', params: { state: 'deploying' } }, 'resetAttempts', 'holdResources'],
  initial: 'calling',
  states: callStates({
    id: 'slice.deploying',
    invoke: {
      src: 'apply',
      input: ({ context }) => applyInput(context),
      onDone: [
        {
          guard: { type: 'isApplied', params: replyOf },
          target: TO.active,
          actions: {
            type: 'storePlacement',
            params: ({ event }) => ({ reply: event.output, cause: 'applied' }),
          },
        },
        {
          guard: { type: 'canReplan', params: replyOf },
          target: TO.planning,
          actions: [
            'countReplan',
            {
              type: 'mark',
              params: ({ event }) => ({
                cause: 'stale-view',
                note: refusalDetail(event.output, undefined),
              }),
            },
          ],
        },
        {
          guard: { type: 'isReplannable', params: replyOf },
          target: TO.terminating,
          actions: {
            type: 'end',
            params: ({ context, event }) => ({
              state: 'failed',
              message: `gave up after ${context.replans} re-plan(s): ${refusalDetail(event.output, '')}`,
            }),
          },
        },
        {
          // Capacity: the plan does not fit what the infrastructure holds.
          target: TO.terminating,
          actions: {
            type: 'end',
            params: ({ event }) => ({
              state: 'rejected',
              message: refusalDetail(event.output, 'refused'),
            }),
          },
        },
      ],
    },
    timeout: 'applyTimeout',
    what: 'infrastructure apply',
    onError: [{ target: TO.terminating, actions: failOnError('infrastructure apply') }],
    onTimeout: [{ target: TO.terminating, actions: timedOut('infrastructure apply') }],
  }),
} as const satisfies LifecycleStateConfig;

/** requested → interpreting → planning → deploying. */
export const preparationStates = { requested, interpreting, planning, deploying };
