/**
 * Decommissioning (3GPP TS 28.530), the paper's step 4: a slice that may
 * hold resources asks the infrastructure to release them, then ends
 * released — or rejected/failed, when it was on its way out for that reason.
 */
import { TO, callStates } from './call-state.js';
import { describeError, isRetryable, releaseInput, releasedNote } from './context.js';
import type { LifecycleStateConfig } from './setup.js';

const terminating = {
  entry: [{ type: 'enter', params: { state: 'terminating' } }, 'resetAttempts'],
  on: {
    // Already on the way out: further terminations and changes change nothing.
    'slice.terminate.v2': { actions: [] },
    'slice.change.v2': { actions: [] },
  },
  initial: 'deciding',
  states: {
    deciding: {
      always: [
        { guard: 'mayHoldResources', target: 'calling' },
        { guard: 'endsRejected', target: TO.rejected },
        { guard: 'endsFailed', target: TO.failed },
        {
          target: TO.released,
          actions: { type: 'mark', params: { cause: 'released', note: 'nothing was allocated' } },
        },
      ],
    },
    ...callStates({
      id: 'slice.terminating',
      invoke: {
        src: 'release',
        input: ({ context }) => releaseInput(context),
        onDone: [
          {
            guard: 'endsRejected',
            target: TO.rejected,
            actions: [
              'resourcesReleased',
              {
                type: 'mark',
                params: ({ context }) => ({ cause: 'rejected', note: context.ending?.message }),
              },
            ],
          },
          {
            guard: 'endsFailed',
            target: TO.failed,
            actions: [
              'resourcesReleased',
              {
                type: 'mark',
                params: ({ context }) => ({ cause: 'failed', note: context.ending?.message }),
              },
            ],
          },
          {
            target: TO.released,
            actions: [
              'resourcesReleased',
              {
                type: 'mark',
                params: ({ event }) => ({ cause: 'released', note: releasedNote(event.output) }),
              },
            ],
          },
        ],
      },
      timeout: 'releaseTimeout',
      what: 'infrastructure release',
      onError: [
        {
          target: TO.failed,
          actions: {
            type: 'releaseFailed',
            params: ({ event }) => ({
              why: describeError(event.error),
              retryable: isRetryable(event.error),
            }),
          },
        },
      ],
      onTimeout: [
        {
          target: TO.failed,
          actions: {
            type: 'releaseFailed',
            params: { why: 'infrastructure release did not answer in time', retryable: true },
          },
        },
      ],
    }),
  },
} as const satisfies LifecycleStateConfig;

const released = {
  type: 'final',
  entry: { type: 'enter', params: { state: 'released' } },
} as const satisfies LifecycleStateConfig;

const rejected = {
  type: 'final',
  entry: [{ type: 'enter', params: { state: 'rejected' } }, 'settleEnding'],
} as const satisfies LifecycleStateConfig;

const failed = {
  type: 'final',
  entry: [{ type: 'enter', params: { state: 'failed' } }, 'settleEnding'],
} as const satisfies LifecycleStateConfig;

/** terminating → released | rejected | failed. */
export const decommissioningStates = { terminating, released, rejected, failed };
