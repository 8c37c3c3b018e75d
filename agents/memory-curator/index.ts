/**
 * Memory-curator agent: slice outcomes become time-stamped ⟨intent, vector⟩
 * entries of the memory bank the interpreter retrieves from (paper §III-B,
 * step 3). Near-duplicates are merged, the bank is bounded, aging is shared
 * with retrieval. Only this module is imported from outside the folder.
 */
export {
  createMemoryCuratorAgent,
  memoryCuratorConfigFrom,
  MEMORY_CURATOR_ROLE,
  type MemoryCuratorAgent,
  type MemoryCuratorAgentDeps,
  type MemoryCuratorConfig,
  type MemoryAgentStats,
} from './agent.js';
export {
  createPendingQueue,
  DEFAULT_PENDING_OPTIONS,
  type GiveUpReason,
  type PendingHooks,
  type PendingOptions,
  type PendingQueue,
} from './pending.js';
export {
  createMemoryCurator,
  DEFAULT_MEMORY_OPTIONS,
  type CurateAction,
  type CurateResult,
  type MemoryCurator,
  type MemoryCuratorDeps,
  type MemoryCuratorOptions,
  type MemoryStats,
} from './curator.js';
export {
  Contribution,
  decodeMemoryEntry,
  encodeMemoryEntry,
  MEMORY_META,
  type MemoryEntry,
} from './entry.js';
export { outcomeQuality, SERVED_WITHOUT_FIGURES, type QualityInput } from './quality.js';
export {
  chooseEvictions,
  DEFAULT_MAX_CONTRIBUTIONS,
  entryFromObservation,
  isMergeCandidate,
  memoryEntryId,
  mergeObservation,
  retention,
  toSimplex,
  usefulness,
  type MergeAction,
  type Observation,
} from './rules.js';
