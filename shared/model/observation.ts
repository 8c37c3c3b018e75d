/**
 * The fixed-size observation vector of the step environment: normalised
 * features of the network state, the current request, and an exact preview
 * of every action's outcome for that request. Layout (OBSERVATION_LAYOUT
 * lists it by name):
 *
 *   0       local CPU used / capacity
 *   1       local memory used / capacity
 *   2, 3    requested CPU / 10, requested memory / 10
 *   4       1 when the request fits on the local server
 *   5..7    service type one-hot (URLLC, eMBB, mMTC)
 *   8..10   latency class one-hot (high, medium, best-effort)
 *   11..13  reliability class one-hot (high, medium, best-effort)
 *   14, 15  cost class one-hot (cost-sensitive, general)
 *   16      VNF chain length / 3
 *   17      slices in the network / 32 (capped at 1)
 *   18..32  per service type (URLLC, eMBB, mMTC) 5 counts / 8 (capped at 1):
 *           local containers, cloud containers, VNF nodes at positions 0, 1, 2
 *   33..146 per action (19 × 6): feasible, latency / limit, cost / limit,
 *           reliability cost / 3, 1 when the slice's own constraints would hold,
 *           other slices it would break / 4 (all 0 for infeasible actions;
 *           reject shows only feasible = 1)
 */
import { SERVICE_TYPES } from '../contracts/common.js';
import {
  ACTION_COUNT,
  ACTION_NAMES,
  ACTION_REJECT,
  type Outcome,
  isFeasible,
  previewAction,
  type Candidates,
  type CompiledRequest,
} from './actions.js';
import { OUTCOME_SCALES } from './config.js';
import { SITE_LOCAL, type Choice, type NetworkState } from './network.js';

const GLOBAL_FEATURES = 33;
const PER_ACTION = 6;
export const OBSERVATION_SIZE = GLOBAL_FEATURES + ACTION_COUNT * PER_ACTION;

/** Name of every observation index, for debugging and documentation. */
export const OBSERVATION_LAYOUT: readonly string[] = Object.freeze([
  'local.cpuUsed',
  'local.memUsed',
  'request.cpu',
  'request.mem',
  'request.fitsLocal',
  ...SERVICE_TYPES.map((t) => `request.service.${t}`),
  ...['high', 'medium', 'best-effort'].map((c) => `request.latency.${c}`),
  ...['high', 'medium', 'best-effort'].map((c) => `request.reliability.${c}`),
  'request.cost.cost-sensitive',
  'request.cost.general',
  'request.chainLength',
  'network.slices',
  ...SERVICE_TYPES.flatMap((t) =>
    ['localContainers', 'cloudContainers', 'vnf0', 'vnf1', 'vnf2'].map((f) => `network.${t}.${f}`),
  ),
  ...ACTION_NAMES.flatMap((a) =>
    ['feasible', 'latencyRatio', 'costRatio', 'reliabilityCost', 'ownOk', 'breaks'].map(
      (f) => `action.${a}.${f}`,
    ),
  ),
]);

const cap1 = (x: number): number => (x > 1 ? 1 : x);

/**
 * Writes the observation for `req` on `state` into `out` (length ≥
 * OBSERVATION_SIZE). `candidates` must have been computed for this state and
 * request; `scratch` and `outcome` are reusable buffers.
 */
export function encodeObservation(
  state: NetworkState,
  req: CompiledRequest,
  candidates: Candidates,
  out: Float32Array,
  scratch: Choice,
  outcome: Outcome,
): Float32Array {
  out.fill(0, 0, OBSERVATION_SIZE);
  out[0] = state.cpuUsed / state.cpuCapacity;
  out[1] = state.memUsed / state.memCapacity;
  out[2] = req.cpu / 10_000;
  out[3] = req.mem / 10_000;
  out[4] = candidates.fitsLocal ? 1 : 0;
  out[5 + req.type] = 1;
  out[8 + req.latencyClass] = 1;
  out[11 + req.reliabilityClass] = 1;
  out[14 + req.costClass] = 1;
  out[16] = req.chainLength / 3;
  out[17] = cap1(state.slices.size / 32);
  for (const node of state.containers) {
    const i = 18 + node.type * 5 + (node.site === SITE_LOCAL ? 0 : 1);
    out[i] = (out[i] as number) + 1 / 8;
  }
  for (const node of state.vnfNodes) {
    const i = 18 + node.type * 5 + 2 + node.position;
    out[i] = (out[i] as number) + 1 / 8;
  }
  for (let i = 18; i < GLOBAL_FEATURES; i++) out[i] = cap1(out[i] as number);
  for (let a = 0; a < ACTION_COUNT; a++) {
    const base = GLOBAL_FEATURES + a * PER_ACTION;
    if (a === ACTION_REJECT) {
      out[base] = 1;
      continue;
    }
    if (!isFeasible(a, candidates)) continue;
    const o = previewAction(state, req, candidates, a, scratch, outcome);
    out[base] = 1;
    out[base + 1] = o.latencyMs / req.latencyLimitMs;
    out[base + 2] = o.cost / req.costLimit;
    out[base + 3] = o.reliabilityCost / OUTCOME_SCALES.reliabilityCost;
    out[base + 4] = o.violations === 0 ? 1 : 0;
    out[base + 5] = o.affected / 4;
  }
  return out;
}
