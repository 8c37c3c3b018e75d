/**
 * Placement methods: the Policy interface, the registry, the built-in
 * baselines and the exact oracle. Importing this module registers the
 * built-ins; other modules add theirs with `registerPolicy`.
 */
import { createCloudOnly, createFirstFit, createLocalFirst, createRandom } from './heuristics.js';
import { createOracle } from './oracle.js';
import { hasPolicy, registerPolicy } from './registry.js';

export * from './types.js';
export * from './registry.js';
export * from './episode.js';
export { createCloudOnly, createFirstFit, createLocalFirst, createRandom } from './heuristics.js';
export {
  buildOracleProgram,
  createOracle,
  solveOracle,
  type OracleDecision,
  type OracleSolution,
} from './oracle.js';

/** The built-in methods, in the order the evaluation lists them. */
export const BUILTIN_POLICIES = [
  'local-first',
  'cloud-only',
  'first-fit',
  'random',
  'oracle',
] as const;

if (!hasPolicy('local-first')) {
  registerPolicy('local-first', () => createLocalFirst(), {
    description:
      'QoE-unaware: a new local container while there is room, then the running cloud deployment',
  });
  registerPolicy('cloud-only', () => createCloudOnly(), {
    description:
      'QoE-unaware: a new cloud container per slice, sharing VNF nodes below node capacity',
  });
  registerPolicy('first-fit', () => createFirstFit(), {
    description: 'greedy: the first action in index order that keeps every constraint, else reject',
  });
  registerPolicy('random', (options) => createRandom(options.seed), {
    description: 'a uniformly random physically feasible placement',
  });
  registerPolicy('oracle', (options) => createOracle(options.config), {
    description: 'exact optimum: ILP over the whole request sequence (HiGHS)',
    online: false,
  });
}
