/**
 * The lifecycle of one slice as an XState v5 machine:
 *
 *   requested → interpreting → planning → deploying → active ⇄ adapting → terminating → released
 *                          ↘ rejected (with a reason)   ↘ failed (with the error)
 *
 * The machine is pure: every side effect is a named promise actor (`interpret`,
 * `viewNetwork`, `plan`, `apply`, `release`, `decline`) bound with
 * `machine.provide()`, and time comes from the injected `now()` plus XState's
 * clock (named delays). docs/lifecycle.md describes states, events, retries
 * and restart semantics.
 *
 * Where things are: the vocabulary (actors, delays, guards, actions) in
 * setup.ts, what they do to the context in context.ts, the shape every call
 * shares in call-state.ts, and the states by 3GPP phase in preparation.ts,
 * operation.ts and decommissioning.ts. State ids are part of the persisted
 * snapshot format: test/unit/lifecycle-replay.test.ts holds them fixed.
 */
import type { ActorRefFrom, SnapshotFrom } from 'xstate';
import { initialContext } from './context.js';
import { decommissioningStates } from './decommissioning.js';
import { operationStates } from './operation.js';
import { preparationStates } from './preparation.js';
import { createLifecycleSetup } from './setup.js';
import type { LifecycleOptions } from './types.js';

export { avoidFor } from './context.js';
export {
  RESUME,
  type CallInput,
  type LifecycleContext,
  type LifecycleEvent,
  type LifecycleInput,
  type LifecycleOptions,
  type ResourcesLost,
  type TraceCarrier,
} from './types.js';

/**
 * Builds the lifecycle machine. `now` stamps history entries and fixes the
 * lifetime deadline; bind the side-effect actors with `.provide({ actors })`.
 */
export function createLifecycleMachine(options: LifecycleOptions) {
  return createLifecycleSetup(options).createMachine({
    id: 'slice',
    context: ({ input }) => initialContext(input),
    initial: 'requested',
    on: {
      // Accepted in every non-final state; leaving a state stops its in-flight call.
      'slice.terminate.v2': { target: '.terminating', actions: 'beginTermination' },
      // A change for a slice that is not active yet waits until it is.
      'slice.change.v2': { guard: 'isNewChange', actions: 'deferChange' },
    },
    states: {
      ...preparationStates,
      ...operationStates,
      ...decommissioningStates,
    },
  });
}

export type LifecycleMachine = ReturnType<typeof createLifecycleMachine>;
export type LifecycleActor = ActorRefFrom<LifecycleMachine>;
export type LifecycleSnapshot = SnapshotFrom<LifecycleMachine>;
