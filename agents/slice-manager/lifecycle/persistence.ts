/**
 * Snapshot persistence of a slice lifecycle, and a restart that is safe.
 *
 * What XState v5 (5.x) does on `createActor(machine, { snapshot })`:
 * - state value and context come back as persisted;
 * - an invoked promise actor that was still running is *started again* with
 *   its persisted input (the request is re-sent; downstream handlers are
 *   idempotent, so a repeat is harmless);
 * - delayed events (`after`, our call timeouts, backoffs and the lifetime) are
 *   *not* part of the persisted snapshot and would never fire.
 *
 * So `restoreLifecycle` always sends `RESUME` after starting the actor: every
 * waiting state re-enters on it, which re-arms its timer without restarting
 * the call it guards, a backoff moves straight on to its retry, and the
 * lifetime delay is computed from the stored deadline.
 */
import { createActor, type ActorOptions, type Snapshot } from 'xstate';
import { z } from 'zod';
import {
  SliceMeshError,
  SliceRecord,
  TERMINAL_SLICE_STATES,
} from '../../../shared/contracts/index.js';
import {
  RESUME,
  type LifecycleActor,
  type LifecycleInput,
  type LifecycleMachine,
} from './machine.js';

/** The shape a stored snapshot must have before XState is handed it. */
const StoredSnapshot = z
  .object({
    status: z.enum(['active', 'done', 'error', 'stopped']),
    value: z.union([z.string(), z.record(z.string(), z.unknown())]),
    context: z.object({ record: SliceRecord }).passthrough(),
    children: z.record(z.string(), z.unknown()),
  })
  .passthrough();

/** A JSON-safe snapshot of a running lifecycle. */
export type PersistedLifecycle = z.infer<typeof StoredSnapshot>;

/** Captures the lifecycle for storage; the result survives `JSON.stringify`. */
export function persistLifecycle(actor: LifecycleActor): PersistedLifecycle {
  // A JSON round trip drops `undefined` fields now rather than at the store.
  return StoredSnapshot.parse(JSON.parse(JSON.stringify(actor.getPersistedSnapshot())));
}

/** Validates something read back from storage; a typed error when it is not a lifecycle snapshot. */
export function parsePersistedLifecycle(value: unknown): PersistedLifecycle {
  const parsed = StoredSnapshot.safeParse(value);
  if (!parsed.success) {
    throw new SliceMeshError(
      'invalid-message',
      `stored slice snapshot is unusable: ${parsed.error.message}`,
      {
        retryable: false,
      },
    );
  }
  return parsed.data;
}

/** The slice record inside a stored snapshot. */
export function recordOf(persisted: PersistedLifecycle): SliceRecord {
  return persisted.context.record;
}

/** True when the stored slice has reached released, rejected or failed. */
export function isFinished(persisted: PersistedLifecycle): boolean {
  return (
    persisted.status !== 'active' || TERMINAL_SLICE_STATES.includes(persisted.context.record.state)
  );
}

export interface RestoreOptions {
  /** XState's timer clock (a `SimulatedClock` in tests). */
  clock?: ActorOptions<LifecycleMachine>['clock'];
}

/**
 * Recreates a lifecycle actor from storage without starting it, so observers
 * can subscribe first. Start it with `resumeLifecycle`.
 */
export function createRestoredActor(
  machine: LifecycleMachine,
  persisted: PersistedLifecycle,
  options: RestoreOptions = {},
): LifecycleActor {
  const actorOptions: ActorOptions<LifecycleMachine> & { input: LifecycleInput } = {
    snapshot: persisted as unknown as Snapshot<unknown>,
    // XState's types demand an input; with a snapshot it is never read.
    input: undefined as unknown as LifecycleInput,
  };
  if (options.clock) actorOptions.clock = options.clock;
  return createActor(machine, actorOptions);
}

/** Starts a restored actor and re-arms its timers (see the module comment). */
export function resumeLifecycle(actor: LifecycleActor): LifecycleActor {
  actor.start();
  if (actor.getSnapshot().status === 'active') actor.send(RESUME);
  return actor;
}

/** `createRestoredActor` + `resumeLifecycle`. */
export function restoreLifecycle(
  machine: LifecycleMachine,
  persisted: PersistedLifecycle,
  options: RestoreOptions = {},
): LifecycleActor {
  return resumeLifecycle(createRestoredActor(machine, persisted, options));
}
