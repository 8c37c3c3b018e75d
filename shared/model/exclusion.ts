/**
 * Views for re-placement planning: the network as if one slice's resources
 * were already free, because the infrastructure swaps them atomically when
 * the new plan is applied (see `applyPlan`, which migrates a slice that
 * already holds resources).
 */
import type { NetworkView } from '../contracts/placement.js';
import type { NetworkState } from './network.js';

/**
 * The view of `state` without `sliceId`: its resources freed and nodes only
 * it used gone, exactly as a migration of the slice would find them. The
 * version and the next node sequence stay those of `state`, so a plan made on
 * this view is applicable to `state`. Unknown ids give the plain view; `state`
 * itself is not changed.
 */
export function viewWithoutSlice(state: NetworkState, sliceId: string): NetworkView {
  if (state.getSlice(sliceId) === undefined) return state.toView();
  const copy = state.clone();
  copy.release(sliceId);
  copy.version = state.version;
  copy.nextNodeSeq = state.nextNodeSeq;
  return copy.toView();
}
