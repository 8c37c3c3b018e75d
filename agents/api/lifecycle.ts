/**
 * The one table from a slice's lifecycle state to its intent's TMF921 `lifecycleStatus`
 * (documented in docs/api.md). TMF921 leaves the values to the implementation; these
 * say what an intent owner can act on: still being worked on, fulfilled, being repaired,
 * going away, gone, refused.
 */
import type { SliceState } from '../../shared/contracts/messages.js';

export const INTENT_LIFECYCLE = {
  requested: 'acknowledged',
  interpreting: 'inProgress',
  planning: 'inProgress',
  deploying: 'inProgress',
  active: 'active',
  adapting: 'adapting',
  terminating: 'terminating',
  released: 'terminated',
  rejected: 'rejected',
  failed: 'failed',
} as const satisfies Record<SliceState, string>;

export type IntentLifecycleStatus = (typeof INTENT_LIFECYCLE)[SliceState];

/** Every lifecycleStatus an intent can have (the schema's enum), in lifecycle order. */
export const INTENT_LIFECYCLE_STATUSES: readonly IntentLifecycleStatus[] = [
  ...new Set(Object.values(INTENT_LIFECYCLE)),
];

export function lifecycleStatusOf(state: SliceState): IntentLifecycleStatus {
  return INTENT_LIFECYCLE[state];
}

/** States after which an intent can be neither changed nor terminated. */
export function isFinished(state: SliceState): boolean {
  return state === 'released' || state === 'rejected' || state === 'failed';
}
