/**
 * The result of one replay: what `--json` writes and what the table and the
 * HTML report render. Built from the slice-manager's final records.
 */
import type {
  AppliedPlacement,
  PreferenceVector,
  SliceHistoryEntry,
  SliceProfile,
  SliceRecord,
  SliceState,
} from '../../shared/contracts/index.js';

export interface ReplaySliceResult {
  readonly id: string;
  /** Last state seen; `unseen` when the slice-manager never reported the slice. */
  readonly finalState: SliceState | 'unseen';
  /** True when the slice's placement met every QoE constraint (latency, reliability, cost). */
  readonly served: boolean;
  readonly latencyMs: number | null;
  readonly cost: number | null;
  readonly reliabilityCost: number | null;
  readonly preference: PreferenceVector | null;
  readonly profile: SliceProfile | null;
  readonly placement: AppliedPlacement | null;
  readonly traceId: string | null;
  readonly history: readonly SliceHistoryEntry[];
}

export interface ReplaySummary {
  /** Slice requests in the scenario. */
  readonly requests: number;
  /** Slices whose placement met every QoE constraint. */
  readonly served: number;
  /** served / requests (the paper's slice availability ratio). */
  readonly availability: number;
  readonly avgLatencyMs: number | null;
  readonly avgCost: number | null;
  readonly avgReliabilityCost: number | null;
}

export interface ReplayResult {
  readonly scenario: string;
  readonly method: string;
  readonly summary: ReplaySummary;
  readonly slices: readonly ReplaySliceResult[];
}

/** One slice's result from its last record (undefined: never reported). */
export function sliceResult(id: string, record: SliceRecord | undefined): ReplaySliceResult {
  return {
    id,
    finalState: record?.state ?? 'unseen',
    // A slice that ended rejected or failed holds no placement, so it is not served (as in the eval harness).
    served: record?.served === true && record.state !== 'rejected' && record.state !== 'failed',
    latencyMs: record?.observed?.latencyMs ?? null,
    cost: record?.observed?.cost ?? null,
    reliabilityCost: record?.observed?.reliabilityCost ?? null,
    preference: record?.preference ?? null,
    profile: record?.profile ?? null,
    placement: record?.placement ?? null,
    traceId: record?.traceId ?? null,
    history: record?.history ?? [],
  };
}
