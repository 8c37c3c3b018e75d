/**
 * The result of one replay: what `--json` writes and what the table and the
 * HTML report render. Built from the slice-manager's final records and, for
 * slices still placed at the end, the last KPI sample the infrastructure
 * reported: a slice's QoE can change after its own placement (a later slice
 * joins its nodes), and a replay judges the final network, as the model's
 * evaluation does.
 */
import { judgeSample, slaLimits } from '../../agents/telemetry/sla.js';
import {
  HOLDING_SLICE_STATES,
  type AppliedPlacement,
  type KpiSample,
  type PreferenceVector,
  type SliceHistoryEntry,
  type SliceProfile,
  type SliceRecord,
  type SliceState,
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

/** States in which a slice holds its placement. */
const PLACED: ReadonlySet<SliceState> = new Set(HOLDING_SLICE_STATES);

/** The last sample of the slice's current placement, if the slice is placed at the end. */
function finalSample(
  record: SliceRecord | undefined,
  kpi: KpiSample | undefined,
): KpiSample | undefined {
  if (!record || !kpi || !PLACED.has(record.state) || !record.placement) return undefined;
  return kpi.at >= record.placement.appliedAt ? kpi : undefined;
}

/**
 * One slice's result from its last record (undefined: never reported) and
 * its last KPI sample. A placed slice is judged on that sample against its
 * SLA; otherwise on what was observed when it was last placed.
 */
export function sliceResult(
  id: string,
  record: SliceRecord | undefined,
  lastKpi?: KpiSample,
): ReplaySliceResult {
  const sample = finalSample(record, lastKpi);
  const judged =
    sample && record?.profile
      ? judgeSample(slaLimits(record.profile), sample).withinSla
      : record?.served === true;
  const figures = sample ?? record?.observed;
  return {
    id,
    finalState: record?.state ?? 'unseen',
    // A slice that ended rejected or failed holds no placement, so it is not served (as in the eval harness).
    served: judged && record?.state !== 'rejected' && record?.state !== 'failed',
    latencyMs: figures?.latencyMs ?? null,
    cost: figures?.cost ?? null,
    reliabilityCost: figures?.reliabilityCost ?? null,
    preference: record?.preference ?? null,
    profile: record?.profile ?? null,
    placement: record?.placement ?? null,
    traceId: record?.traceId ?? null,
    history: record?.history ?? [],
  };
}
