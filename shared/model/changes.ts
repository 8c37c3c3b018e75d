/**
 * The model side of the infrastructure's change feed: the change an applied
 * plan made, and the replay of a change on a replica. The infrastructure
 * and a replica run the same mutation (`commitChoice`, `release`,
 * `skipPlacement`) with the same node ids and sequence numbers, so a replica
 * started from a snapshot and fed every change in order is identical to the
 * infrastructure's state (`toSnapshot` equal).
 */
import type { ResourceDemand, SliceProfile } from '../contracts/common.js';
import { SliceMeshError } from '../contracts/errors.js';
import type { NetworkChange, VersionedChange } from '../contracts/network-changes.js';
import type { PlacementPlan } from '../contracts/placement.js';
import type { NetworkState, SliceSpec } from './network.js';
import { commitChoice, resolvePlan } from './plan.js';

/** The change a plan made once applied: `move` when the slice already held resources. */
export function placementChange(
  request: { sliceId: string; profile: SliceProfile; demand: ResourceDemand; plan: PlacementPlan },
  applied: { migrated: boolean; containerId: string; vnfNodeIds: readonly string[] },
): NetworkChange {
  const { plan } = request;
  const body = {
    sliceId: request.sliceId,
    profile: request.profile,
    demand: request.demand,
    placement: { site: plan.site, container: plan.container, vnfs: plan.vnfs },
    result: { containerId: applied.containerId, vnfNodeIds: [...applied.vnfNodeIds] },
  };
  return applied.migrated ? { op: 'move', ...body } : { op: 'place', ...body };
}

function diverged(version: number, why: string): SliceMeshError {
  return new SliceMeshError(
    'internal',
    `replaying change ${version}: ${why}; the replica no longer matches the infrastructure`,
    { retryable: false, details: { version } },
  );
}

/**
 * Replays one change on `state`, which must be at the version just before
 * it. Throws (`internal`) when the change does not fit the state — a gap, or
 * a state that diverged: the state may then be half-changed, and the
 * replica must be rebuilt from a snapshot.
 */
export function replayChange(state: NetworkState, entry: VersionedChange): void {
  const { version, change } = entry;
  if (version !== state.version + 1) {
    throw diverged(version, `the replica is at version ${state.version}`);
  }
  switch (change.op) {
    case 'place':
    case 'move': {
      const held = state.getSlice(change.sliceId) !== undefined;
      if (held !== (change.op === 'move')) {
        throw diverged(
          version,
          `slice ${change.sliceId} ${held ? 'already holds' : 'holds no'} resources`,
        );
      }
      const spec: SliceSpec = {
        id: change.sliceId,
        profile: change.profile,
        demand: change.demand,
      };
      const resolved = resolvePlan(state, spec, change.placement);
      if (!resolved.ok) throw diverged(version, resolved.message);
      const slice = commitChoice(state, spec, resolved.choice);
      const ids = slice.vnfs.map((node) => node.id);
      if (
        slice.container?.id !== change.result.containerId ||
        ids.length !== change.result.vnfNodeIds.length ||
        ids.some((id, i) => id !== change.result.vnfNodeIds[i])
      ) {
        throw diverged(version, `slice ${change.sliceId} landed on other nodes`);
      }
      break;
    }
    case 'release':
      if (!state.release(change.sliceId)) {
        throw diverged(version, `slice ${change.sliceId} holds nothing to release`);
      }
      break;
    case 'skip':
      state.skipPlacement();
      break;
  }
  if (state.version !== version) {
    throw diverged(version, `the replay reached version ${state.version}`);
  }
}
