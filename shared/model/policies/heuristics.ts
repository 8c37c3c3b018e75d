/**
 * The baselines: Local-First and Cloud-Only (the paper's QoE-unaware
 * heuristics), First-Fit (a greedy that checks constraints) and Random.
 * docs/case-study-model.md states exactly what each one does.
 */
import { ACTION_COUNT, ACTION_REJECT, Outcome, newChoice, previewAction } from '../actions.js';
import {
  SITE_CLOUD,
  SITE_LOCAL,
  type Choice,
  type ModelNode,
  type NetworkState,
} from '../network.js';
import { choiceToPlan } from '../plan.js';
import { createRng, deriveSeed, type Rng } from '../../random.js';
import type { DecisionContext, Policy, PolicyDecision } from './types.js';
import type { CompiledRequest } from '../actions.js';

/**
 * The most slices any class lets share a node (the best-effort limit). The
 * QoE-unaware heuristics treat it as a node's capacity: they join or share
 * only nodes below it, but ignore each tenant's own, stricter limit.
 */
function nodeCapacity(state: NetworkState): number {
  return Math.max(...Object.values(state.config.sharingLimit));
}

/** Running node with the fewest tenants (ties: the oldest) among those `accept` allows. */
function leastLoaded(
  nodes: readonly ModelNode[],
  accept: (node: ModelNode) => boolean,
): ModelNode | undefined {
  let best: ModelNode | undefined;
  for (const node of nodes) {
    if (node.tenants.length === 0 || !accept(node)) continue;
    if (best === undefined || node.tenants.length < best.tenants.length) best = node;
  }
  return best;
}

/** Cloud chain for `req`: share the least-loaded node below capacity at each position, else deploy new. */
function shareChain(state: NetworkState, req: CompiledRequest, choice: Choice): void {
  const capacity = nodeCapacity(state);
  choice.vnfs.length = 0;
  for (let p = 0; p < req.chainLength; p++) {
    choice.vnfs.push(
      leastLoaded(
        state.vnfNodes,
        (n) => n.type === req.type && n.position === p && n.tenants.length < capacity,
      ),
    );
  }
}

/**
 * Local-First: a dedicated new container on the local server whenever it has
 * room (horizontal scaling: traffic stays local and crosses no VNF node);
 * once it is full, offload to the running cloud deployment of the slice's
 * type — join the least-loaded cloud container of that type below node
 * capacity (vertical scaling, no boot delay), else start one, and share the
 * least-loaded VNF node below node capacity at each chain position, else
 * deploy one. Never rejects; ignores every QoE class.
 */
export function createLocalFirst(): Policy {
  const choice = newChoice();
  return {
    name: 'local-first',
    decide({ state, compiled: req }: DecisionContext): PolicyDecision {
      if (state.localFits(req.cpu, req.mem)) {
        choice.site = SITE_LOCAL;
        choice.join = undefined;
        choice.vnfs.length = 0;
      } else {
        const capacity = nodeCapacity(state);
        choice.site = SITE_CLOUD;
        choice.join = leastLoaded(
          state.containers,
          (n) => n.site === SITE_CLOUD && n.type === req.type && n.tenants.length < capacity,
        );
        shareChain(state, req, choice);
      }
      return choiceToPlan(state, req.spec, choice, 'local-first');
    },
  };
}

/**
 * Cloud-Only: offload every slice to a new cloud container of its own and
 * share the least-loaded VNF node below node capacity at each chain
 * position, else deploy one. Never rejects; ignores every QoE class.
 */
export function createCloudOnly(): Policy {
  const choice = newChoice();
  return {
    name: 'cloud-only',
    decide({ state, compiled: req }: DecisionContext): PolicyDecision {
      choice.site = SITE_CLOUD;
      choice.join = undefined;
      shareChain(state, req, choice);
      return choiceToPlan(state, req.spec, choice, 'cloud-only');
    },
  };
}

/**
 * First-Fit: walks the action space in index order (local-new, local-join,
 * cloud-new with each new/share pattern, cloud-join with each pattern) and
 * takes the first feasible action under which the slice's own latency,
 * sharing and cost limits hold and no other slice breaks; rejects when none
 * does. Greedy: it never looks at later requests.
 */
export function createFirstFit(): Policy {
  const scratch = newChoice();
  const outcome = new Outcome();
  return {
    name: 'first-fit',
    decide({ state, compiled, candidates, mask }: DecisionContext): PolicyDecision {
      for (let a = 1; a < ACTION_COUNT; a++) {
        if (mask[a] !== 1) continue;
        const o = previewAction(state, compiled, candidates, a, scratch, outcome);
        if (o.violations === 0 && o.affected === 0) return a;
      }
      return ACTION_REJECT;
    },
  };
}

/**
 * Random: a uniformly random physically feasible placing action (never
 * reject unless nothing else is feasible), seeded from the instance seed.
 */
export function createRandom(seed: number): Policy {
  let rng: Rng = createRng(deriveSeed(seed, 'random-policy'));
  const feasible: number[] = [];
  return {
    name: 'random',
    startEpisode(instance) {
      rng = createRng(deriveSeed(instance.seed, 'random-policy'));
    },
    decide({ mask }: DecisionContext): PolicyDecision {
      feasible.length = 0;
      for (let a = 1; a < ACTION_COUNT; a++) if (mask[a] === 1) feasible.push(a);
      return feasible.length === 0 ? ACTION_REJECT : rng.pick(feasible);
    },
  };
}
