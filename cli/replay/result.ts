/**
 * The result of one replay: what `--json` writes and what the table and the
 * HTML report render. Built from the slice-manager's final records and, for
 * slices still placed at the end, the last KPI sample the infrastructure
 * reported: a slice's QoE can change after its own placement (a later slice
 * joins its nodes), and a replay judges the final network, as the model's
 * evaluation does.
 *
 * A slice is judged against its truth (what the requester needs: the
 * scenario's `truth`, or its complete stated SLA) where that is known, and
 * only otherwise against the classes the mesh used, which the interpreter
 * inferred: a self-judged verdict, reported as such.
 */
import type {
  AppliedPlacement,
  KpiSample,
  PreferenceVector,
  SliceHistoryEntry,
  SliceProfile,
  SliceRecord,
  SliceState,
} from '../../shared/contracts/index.js';
import { sliceQoeScore } from '../../shared/model/index.js';
import { finalSample, judgeSlice, sameProfile } from './judge.js';

export interface ReplaySliceResult {
  readonly id: string;
  /** Last state seen; `unseen` when the slice-manager never reported the slice. */
  readonly finalState: SliceState | 'unseen';
  /**
   * True when the slice's placement met every QoE constraint (latency,
   * reliability, cost) of its truth, or of the classes the mesh used when the
   * truth is unknown.
   */
  readonly served: boolean;
  /** True when the placement met every QoE constraint of the classes the mesh used (`profile`). */
  readonly servedAsInferred: boolean;
  /** QoE score of a served slice, weighted by its truth (else by `profile`); null unless served. */
  readonly qoeScore: number | null;
  readonly latencyMs: number | null;
  readonly cost: number | null;
  readonly reliabilityCost: number | null;
  readonly preference: PreferenceVector | null;
  /** The classes the mesh handled the slice with: inferred, with any stated SLA over them. */
  readonly profile: SliceProfile | null;
  /** What the requester needs, when the scenario says (its `truth`, or a complete `sla`). */
  readonly truth: SliceProfile | null;
  /** Whether `profile` equals `truth` in service type and all three classes; null without both. */
  readonly profileCorrect: boolean | null;
  readonly placement: AppliedPlacement | null;
  readonly traceId: string | null;
  readonly history: readonly SliceHistoryEntry[];
}

/** What availability was judged against: every slice's truth, some slices' truth, or none. */
export type JudgedAgainst = 'truth' | 'mixed' | 'inferred';

export interface ReplaySummary {
  /** Slice requests in the scenario. */
  readonly requests: number;
  /** Slices whose placement met every QoE constraint, of their truth where known. */
  readonly served: number;
  /** served / requests (the paper's slice availability ratio). */
  readonly availability: number;
  /** Slices whose placement met every QoE constraint of the classes the mesh used. */
  readonly servedAsInferred: number;
  /** servedAsInferred / requests: availability as the mesh judges itself. */
  readonly availabilityAsInferred: number;
  /** `inferred` or `mixed`: availability is (partly) judged against the interpreter's own classes. */
  readonly judgedAgainst: JudgedAgainst;
  /** Share of the slices with a truth and a profile whose profile was correct; null if none. */
  readonly profileAccuracy: number | null;
  /** Mean QoE score over the served slices; null when none was served. */
  readonly avgQoeScore: number | null;
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

/**
 * One slice's result from its last record (undefined: never reported), its
 * last KPI sample and its truth (undefined: unknown). A placed slice is judged
 * on that sample; otherwise on what was observed when it was last placed.
 */
export function sliceResult(
  id: string,
  record: SliceRecord | undefined,
  lastKpi?: KpiSample,
  truth?: SliceProfile,
): ReplaySliceResult {
  const { served, servedAsInferred } = judgeSlice(record, lastKpi, truth);
  const figures = finalSample(record, lastKpi) ?? record?.observed;
  const profile = record?.profile ?? null;
  const judgedBy = truth ?? profile;
  return {
    id,
    finalState: record?.state ?? 'unseen',
    served,
    servedAsInferred,
    qoeScore: judgedBy ? sliceQoeScore(served, figures ?? null, judgedBy) : null,
    latencyMs: figures?.latencyMs ?? null,
    cost: figures?.cost ?? null,
    reliabilityCost: figures?.reliabilityCost ?? null,
    preference: record?.preference ?? null,
    profile,
    truth: truth ?? null,
    profileCorrect: truth && profile ? sameProfile(profile, truth) : null,
    placement: record?.placement ?? null,
    traceId: record?.traceId ?? null,
    history: record?.history ?? [],
  };
}
