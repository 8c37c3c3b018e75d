/**
 * Honouring `PlacementRequest.avoid`: after an SLA violation the slice-manager
 * names the containers and VNF nodes the violation was observed on, and the
 * new plan must not use them — otherwise a re-placement could land the slice
 * in the same congested container and the violation would repeat.
 */
import type { PlacementPlan } from '../../shared/contracts/placement.js';
import {
  ACTION_COUNT,
  ACTION_REJECT,
  Outcome,
  actionToPlan,
  newChoice,
  previewAction,
  tieBreakWeight,
  type Candidates,
  type CompiledRequest,
  type NetworkState,
  type SliceSpec,
} from '../../shared/model/index.js';

export interface AvoidList {
  readonly containerIds: readonly string[];
  readonly vnfNodeIds: readonly string[];
}

/** Whether `plan` uses any resource on the avoid list. */
export function usesAvoided(plan: PlacementPlan, avoid: AvoidList): boolean {
  if (plan.container.mode === 'join' && avoid.containerIds.includes(plan.container.containerId)) {
    return true;
  }
  return plan.vnfs.some((vnf) => vnf.mode === 'share' && avoid.vnfNodeIds.includes(vnf.nodeId));
}

/** Clears, in `mask`, every action whose plan would use an avoided resource. */
export function maskAvoided(
  state: NetworkState,
  spec: SliceSpec,
  mask: Uint8Array,
  avoid: AvoidList,
): Uint8Array {
  for (let action = 0; action < ACTION_COUNT; action++) {
    if (action === ACTION_REJECT || mask[action] !== 1) continue;
    const plan = actionToPlan(state, spec, action, 'avoid-check');
    if (plan === null || usesAvoided(plan, avoid)) mask[action] = 0;
  }
  return mask;
}

/**
 * The allowed action that keeps the slice's own constraints without breaking
 * another slice, at the lowest weighted cost; `ACTION_REJECT` when none does.
 * Used when a baseline's own choice falls on an avoided resource.
 */
export function bestAllowedAction(
  state: NetworkState,
  compiled: CompiledRequest,
  candidates: Candidates,
  mask: Uint8Array,
): number {
  const scratch = newChoice();
  const outcome = new Outcome();
  let best = ACTION_REJECT;
  let bestWeight = Infinity;
  for (let action = 0; action < ACTION_COUNT; action++) {
    if (action === ACTION_REJECT || mask[action] !== 1) continue;
    previewAction(state, compiled, candidates, action, scratch, outcome);
    if (!outcome.served || outcome.affected > 0) continue;
    const weight = tieBreakWeight(outcome.latencyMs, outcome.cost, outcome.reliabilityCost);
    if (weight < bestWeight) {
      best = action;
      bestWeight = weight;
    }
  }
  return best;
}
