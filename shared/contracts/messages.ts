import { z } from 'zod';
import {
  DEFAULT_TENANT,
  EpochMs,
  Id,
  PreferenceVector,
  QoeFigures,
  ResourceDemand,
  SlaClasses,
  SliceProfile,
  TenantId,
} from './common.js';
import { batchSchemas } from './batch.js';
import { ErrorCode } from './errors.js';
import { MAX_REQUEST_TEXT_CHARS, requestTextTooLong } from './limits.js';
import { AppliedPlacement, PlacementPlan } from './placement.js';

/** Free text of a request: bounded so one message cannot exhaust an agent. */
export const RequestText = z
  .string()
  .trim()
  .min(1, 'text must not be empty')
  .max(MAX_REQUEST_TEXT_CHARS, {
    error: (issue) => requestTextTooLong(String(issue.input).length),
  });

// ---------------------------------------------------------------- intake
//
// v2 of the three requester messages adds `tenant`: the slice's owner, also
// a token of the subject it is sent to (so the server's permissions decide
// who may send for whom), and checked against the slice's recorded tenant.

export const SliceRequest = z
  .object({
    type: z.literal('slice.request.v2'),
    sliceId: Id,
    tenant: TenantId,
    text: RequestText,
    sla: SlaClasses.optional(),
    demand: ResourceDemand.optional(),
    lifetimeMs: z.number().int().positive().optional(),
    /**
     * false: an SLA violation is recorded (the slice is no longer served) but
     * never answered with a re-placement, as in the paper's static case study.
     * Default true.
     */
    adaptive: z.boolean().optional(),
    submittedAt: EpochMs,
  })
  .strict();
export type SliceRequest = z.infer<typeof SliceRequest>;

export const SliceChange = z
  .object({
    type: z.literal('slice.change.v2'),
    sliceId: Id,
    tenant: TenantId,
    /** Stable id of this change so redelivery is recognised. */
    changeId: Id,
    text: RequestText.optional(),
    sla: SlaClasses.optional(),
    demand: ResourceDemand.optional(),
    submittedAt: EpochMs,
  })
  .strict();
export type SliceChange = z.infer<typeof SliceChange>;

export const SliceTermination = z
  .object({
    type: z.literal('slice.terminate.v2'),
    sliceId: Id,
    tenant: TenantId,
    reason: z.string().max(500).optional(),
    submittedAt: EpochMs,
  })
  .strict();
export type SliceTermination = z.infer<typeof SliceTermination>;

// ---------------------------------------------------------------- interpreter

export const InferenceRequest = z
  .object({
    type: z.literal('interpreter.infer.request.v1'),
    sliceId: Id,
    text: RequestText,
    sla: SlaClasses.optional(),
  })
  .strict();
export type InferenceRequest = z.infer<typeof InferenceRequest>;

export const RetrievedNeighbour = z
  .object({
    id: z.string().min(1).max(256),
    source: z.enum(['knowledge', 'memory']),
    similarity: z.number(),
    weight: z.number(),
  })
  .strict();
export type RetrievedNeighbour = z.infer<typeof RetrievedNeighbour>;

export const InferenceReply = z
  .object({
    type: z.literal('interpreter.infer.reply.v1'),
    sliceId: Id,
    preference: PreferenceVector,
    profile: SliceProfile,
    confidence: z.number().min(0).max(1),
    rationale: z.string().max(2_000),
    neighbours: z.array(RetrievedNeighbour),
    reasoner: z.string().min(1).max(64),
    degraded: z.boolean(),
  })
  .strict();
export type InferenceReply = z.infer<typeof InferenceReply>;

// ---------------------------------------------------------------- orchestrator

/**
 * v2 names the infrastructure version to plan on instead of carrying the
 * network: the orchestrator plans on its own replica of the resource state
 * (kept current by the infrastructure's change feed) once it has reached
 * `minViewVersion`, so the request is the same size whatever the plant holds.
 */
export const PlacementRequest = z
  .object({
    type: z.literal('orchestrator.place.request.v2'),
    sliceId: Id,
    profile: SliceProfile,
    preference: PreferenceVector,
    demand: ResourceDemand,
    /**
     * The latest infrastructure version the requester knows of (what its last
     * apply or decline answered): the plan is made on this version or a later one.
     */
    minViewVersion: z.number().int().nonnegative(),
    /** Overrides the orchestrator's configured method for this one request. */
    method: z.string().min(1).max(64).optional(),
    /**
     * Adaptation: containers and VNF nodes the new plan must not use (e.g. the
     * congested ones an SLA violation was observed on).
     */
    avoid: z
      .object({ containerIds: z.array(Id), vnfNodeIds: z.array(Id) })
      .strict()
      .optional(),
  })
  .strict();
export type PlacementRequest = z.infer<typeof PlacementRequest>;

/** A plan (made on `plan.viewVersion`) or a rejection, with the version it was decided on. */
export const PlacementReply = z.discriminatedUnion('outcome', [
  z
    .object({
      type: z.literal('orchestrator.place.reply.v2'),
      sliceId: Id,
      outcome: z.literal('planned'),
      plan: PlacementPlan,
    })
    .strict(),
  z
    .object({
      type: z.literal('orchestrator.place.reply.v2'),
      sliceId: Id,
      outcome: z.literal('rejected'),
      reason: z.string().min(1).max(1_000),
      method: z.string().min(1).max(64),
      viewVersion: z.number().int().nonnegative(),
    })
    .strict(),
]);
export type PlacementReply = z.infer<typeof PlacementReply>;

// ---------------------------------------------------------------- infrastructure

export const ApplyRequest = z
  .object({
    type: z.literal('infra.apply.request.v1'),
    sliceId: Id,
    profile: SliceProfile,
    demand: ResourceDemand,
    plan: PlacementPlan,
  })
  .strict();
export type ApplyRequest = z.infer<typeof ApplyRequest>;

/** A QoE constraint an applied placement can fail to meet. */
export const QoeViolation = z.enum(['latency', 'reliability', 'cost']);
export type QoeViolation = z.infer<typeof QoeViolation>;

export const ApplyReply = z.discriminatedUnion('outcome', [
  z
    .object({
      type: z.literal('infra.apply.reply.v1'),
      sliceId: Id,
      outcome: z.literal('applied'),
      placement: AppliedPlacement,
      observed: QoeFigures,
      /** True when every QoE constraint of the slice holds (latency, sharing, cost limits). */
      served: z.boolean(),
      /** The constraints that do not hold, e.g. `latency`, `reliability`, `cost`. */
      violations: z.array(QoeViolation),
      /** Other slices whose constraints this placement broke (e.g. by sharing a node). */
      affectedSliceIds: z.array(Id),
      viewVersion: z.number().int().nonnegative(),
    })
    .strict(),
  z
    .object({
      type: z.literal('infra.apply.reply.v1'),
      sliceId: Id,
      outcome: z.literal('refused'),
      reason: z.enum(['stale-view', 'capacity', 'unknown-node']),
      message: z.string().max(1_000),
      viewVersion: z.number().int().nonnegative(),
    })
    .strict(),
]);
export type ApplyReply = z.infer<typeof ApplyReply>;

export const ReleaseRequest = z
  .object({ type: z.literal('infra.release.request.v1'), sliceId: Id })
  .strict();
export type ReleaseRequest = z.infer<typeof ReleaseRequest>;

export const ReleaseReply = z
  .object({
    type: z.literal('infra.release.reply.v1'),
    sliceId: Id,
    /** false when nothing was held for the slice (release is idempotent). */
    released: z.boolean(),
    viewVersion: z.number().int().nonnegative(),
  })
  .strict();
export type ReleaseReply = z.infer<typeof ReleaseReply>;

/**
 * The orchestrator refused to place a new slice. The infrastructure counts
 * every placement decision, refusals included, because the case-study model
 * draws a new VNF node's delay and cost by decision ordinal (see
 * docs/case-study-model.md): told of refusals, the live network draws what
 * the model's episode draws. Idempotent per slice.
 */
export const DeclineRequest = z
  .object({ type: z.literal('infra.decline.request.v1'), sliceId: Id })
  .strict();
export type DeclineRequest = z.infer<typeof DeclineRequest>;

export const DeclineReply = z
  .object({
    type: z.literal('infra.decline.reply.v1'),
    sliceId: Id,
    /** false when the decision was already counted, or the slice holds resources. */
    counted: z.boolean(),
    viewVersion: z.number().int().nonnegative(),
  })
  .strict();
export type DeclineReply = z.infer<typeof DeclineReply>;

/** Most reservations one page lists: a page stays small however many slices the plant holds. */
export const RESERVATIONS_PAGE_MAX = 200;

/**
 * Lists the slices the infrastructure holds resources for, one page at a
 * time in slice-id order (`after`: the previous page's `next`), so that the
 * slice-manager's reconciler can compare them with its own records without a
 * message that grows with the plant.
 */
export const ReservationsRequest = z
  .object({
    type: z.literal('infra.reservations.request.v1'),
    /** Only slice ids after this one (exclusive). */
    after: Id.optional(),
    /** Most reservations in the reply (default 100). */
    limit: z.number().int().min(1).max(RESERVATIONS_PAGE_MAX).optional(),
  })
  .strict();
export type ReservationsRequest = z.infer<typeof ReservationsRequest>;

/** What the infrastructure holds for one slice. */
export const Reservation = z
  .object({
    sliceId: Id,
    containerId: Id,
    /** The VNF nodes of its path, in chain order (none for a local slice). */
    vnfNodeIds: z.array(Id).max(64),
  })
  .strict();
export type Reservation = z.infer<typeof Reservation>;

export const ReservationsReply = z
  .object({
    type: z.literal('infra.reservations.reply.v1'),
    reservations: z.array(Reservation).max(RESERVATIONS_PAGE_MAX),
    /** Present when more follow: the `after` of the next page. */
    next: Id.optional(),
    /** Slices holding resources in all. */
    total: z.number().int().nonnegative(),
    viewVersion: z.number().int().nonnegative(),
  })
  .strict();
export type ReservationsReply = z.infer<typeof ReservationsReply>;

// ---------------------------------------------------------------- telemetry

export const KpiSample = z
  .object({
    type: z.literal('kpi.sample.v1'),
    sliceId: Id,
    at: EpochMs,
    latencyMs: z.number().nonnegative(),
    cost: z.number().nonnegative(),
    reliabilityCost: z.number().nonnegative(),
    /** Most slices one node of the slice's path carries (judged against the sharing limit). */
    sharing: z.number().int().nonnegative().optional(),
    cpu: z.number().nonnegative(),
    mem: z.number().nonnegative(),
    /** Traffic factor applied to the demand (1 = nominal). */
    load: z.number().positive(),
  })
  .strict();
export type KpiSample = z.infer<typeof KpiSample>;

/**
 * The periodic KPI samples of many slices in one message (`<ns>.kpi-batch`): at 10,000
 * active slices a tick is 40 messages, not 10,000. 256 samples stay under 64 KiB.
 */
export const KpiBatch = batchSchemas('kpi.batch.v1', KpiSample, 256);

/** The largest traffic factor: a load beyond a hundredfold is no longer traffic, it is a typo. */
export const MAX_LOAD_FACTOR = 100;

/**
 * Traffic on a running slice changed (a surge, or seeded fluctuation): the
 * infrastructure scales the slice's load and its KPIs follow.
 */
export const TrafficLoad = z
  .object({
    type: z.literal('infra.load.v1'),
    sliceId: Id,
    at: EpochMs,
    /** Load relative to the slice's nominal demand (1 = nominal, 2 = doubled). */
    factor: z.number().positive().max(MAX_LOAD_FACTOR),
  })
  .strict();
export type TrafficLoad = z.infer<typeof TrafficLoad>;

export const SlaViolation = z
  .object({
    type: z.literal('sla.violation.v1'),
    sliceId: Id,
    at: EpochMs,
    dimension: z.enum(['latency', 'reliability', 'cost', 'capacity']),
    observed: z.number(),
    limit: z.number(),
  })
  .strict();
export type SlaViolation = z.infer<typeof SlaViolation>;

/** Asks the telemetry agent for its running totals and per-slice QoE. */
/** Most slices one summary reply lists, so the reply stays bounded however many are live. */
export const SUMMARY_SLICES_LIMIT = 256;

/**
 * The totals, and the live slices' QoE: those named by `sliceIds`, or a page of every live
 * slice in id order (after `after`, at most `limit`, default and most SUMMARY_SLICES_LIMIT;
 * `limit: 0` for the totals alone).
 */
export const TelemetrySummaryRequest = z
  .object({
    type: z.literal('telemetry.summary.request.v1'),
    sliceIds: z.array(Id).min(1).max(SUMMARY_SLICES_LIMIT).optional(),
    after: Id.optional(),
    limit: z.number().int().min(0).max(SUMMARY_SLICES_LIMIT).optional(),
  })
  .strict();
export type TelemetrySummaryRequest = z.infer<typeof TelemetrySummaryRequest>;

/** Mean QoE figures; null while nothing was counted. */
const MeanQoe = z
  .object({
    latencyMs: z.number().nonnegative().nullable(),
    cost: z.number().nonnegative().nullable(),
    reliabilityCost: z.number().nonnegative().nullable(),
  })
  .strict();

export const SliceQoeSummary = z
  .object({
    sliceId: Id,
    state: z.string().max(32),
    served: z.boolean(),
    /** Whether the last KPI sample met every limit of the slice's SLA. */
    withinSla: z.boolean().optional(),
    /** Preference-weighted satisfaction of the last KPI sample, 0..1. */
    qoe: z.number().min(0).max(1).optional(),
    latencyMs: z.number().nonnegative().optional(),
    load: z.number().positive().optional(),
    violations: z.number().int().nonnegative(),
  })
  .strict();
export type SliceQoeSummary = z.infer<typeof SliceQoeSummary>;

/** Running totals of the telemetry agent (kept across its restarts, see docs/kpi-model.md). */
export const TelemetrySummary = z
  .object({
    type: z.literal('telemetry.summary.v1'),
    at: EpochMs,
    /** Slices seen in slice events. */
    requests: z.number().int().nonnegative(),
    /** Slices that were active with every QoE constraint met. */
    served: z.number().int().nonnegative(),
    rejected: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    /** served / requests (0 before the first request). */
    availabilityRatio: z.number().min(0).max(1),
    /** Slices holding resources (active or adapting). */
    active: z.number().int().nonnegative(),
    /** Means over the served slices of their latest observed QoE figures. */
    averages: MeanQoe,
    violations: z.number().int().nonnegative(),
    adaptations: z.number().int().nonnegative(),
    kpiSamples: z.number().int().nonnegative(),
    slices: z.array(SliceQoeSummary).max(SUMMARY_SLICES_LIMIT),
    /** Set when more live slices follow this page: pass it as `after` for the next. */
    nextAfter: Id.optional(),
  })
  .strict();
export type TelemetrySummary = z.infer<typeof TelemetrySummary>;

// ---------------------------------------------------------------- lifecycle

export const SLICE_STATES = [
  'requested',
  'interpreting',
  'planning',
  'deploying',
  'active',
  'adapting',
  'terminating',
  'released',
  'rejected',
  'failed',
] as const;
export const SliceState = z.enum(SLICE_STATES);
export type SliceState = z.infer<typeof SliceState>;
export const TERMINAL_SLICE_STATES: readonly SliceState[] = ['released', 'rejected', 'failed'];
/** States in which a slice holds its resources and carries traffic. */
export const HOLDING_SLICE_STATES: readonly SliceState[] = ['active', 'adapting'];

export const SliceHistoryEntry = z
  .object({ state: SliceState, at: EpochMs, note: z.string().max(1_000).optional() })
  .strict();
export type SliceHistoryEntry = z.infer<typeof SliceHistoryEntry>;

/** Everything the slice-manager knows about one slice; what get/list return. */
export const SliceRecord = z
  .object({
    sliceId: Id,
    /** The slice's owner; absent in slices recorded before tenants (the default tenant's). */
    tenant: TenantId.optional(),
    state: SliceState,
    text: z.string(),
    sla: SlaClasses.optional(),
    demand: ResourceDemand.optional(),
    preference: PreferenceVector.optional(),
    profile: SliceProfile.optional(),
    plan: PlacementPlan.optional(),
    placement: AppliedPlacement.optional(),
    observed: QoeFigures.optional(),
    served: z.boolean().optional(),
    /** The QoE constraints the applied placement does not meet (empty when served). */
    violations: z.array(QoeViolation).optional(),
    reason: z.string().optional(),
    error: z.string().optional(),
    traceId: z.string().optional(),
    /** Present (false) when the request asked that violations not be adapted to. */
    adaptive: z.literal(false).optional(),
    history: z.array(SliceHistoryEntry),
    /**
     * Oldest history entries dropped to keep `history` at most
     * SLICE_HISTORY_LIMIT long (a slice adapted again and again would
     * otherwise outgrow a message). Absent when nothing was dropped.
     */
    historyDropped: z.number().int().positive().optional(),
  })
  .strict();
export type SliceRecord = z.infer<typeof SliceRecord>;

/** Most history entries a record keeps; older ones are counted in `historyDropped`. */
export const SLICE_HISTORY_LIMIT = 100;

/** The tenant a slice belongs to (slices recorded before tenants belong to the default one). */
export function tenantOf(record: Pick<SliceRecord, 'tenant'>): TenantId {
  return record.tenant ?? DEFAULT_TENANT;
}

/** Transitions a slice has made in all: its history, dropped entries included. */
export function historyCount(record: Pick<SliceRecord, 'history' | 'historyDropped'>): number {
  return (record.historyDropped ?? 0) + record.history.length;
}

export const SliceEvent = z
  .object({
    type: z.literal('slice.event.v1'),
    sliceId: Id,
    at: EpochMs,
    from: SliceState.nullable(),
    to: SliceState,
    cause: z.string().max(128),
    record: SliceRecord,
  })
  .strict();
export type SliceEvent = z.infer<typeof SliceEvent>;

export const SliceGetRequest = z
  .object({ type: z.literal('slice.get.request.v1'), sliceId: Id })
  .strict();
export type SliceGetRequest = z.infer<typeof SliceGetRequest>;
export const SliceGetReply = z
  .object({ type: z.literal('slice.get.reply.v1'), slice: SliceRecord })
  .strict();
export type SliceGetReply = z.infer<typeof SliceGetReply>;

/** Most records one `slice.list` page carries (a page's size never grows with the plant). */
export const MAX_SLICE_PAGE = 200;
export const DEFAULT_SLICE_PAGE = 100;

/**
 * An opaque page cursor, as the previous page's `nextCursor` gave it. The
 * client only hands it back; the slice-manager decodes it (cursor.ts there).
 */
export const PageCursor = z.string().min(1).max(512);

/**
 * One page of slice records, ordered by partition, then slice id. The first
 * request names the filter; later ones pass the cursor, which carries it (a
 * cursor with a different filter beside it is refused as `invalid-cursor`).
 */
export const SliceListRequest = z
  .object({
    type: z.literal('slice.list.request.v2'),
    state: SliceState.optional(),
    limit: z.number().int().min(1).max(MAX_SLICE_PAGE).optional(),
    cursor: PageCursor.optional(),
  })
  .strict();
export type SliceListRequest = z.infer<typeof SliceListRequest>;
export const SliceListReply = z
  .object({
    type: z.literal('slice.list.reply.v2'),
    slices: z.array(SliceRecord).max(MAX_SLICE_PAGE),
    /** Absent on the last page. */
    nextCursor: PageCursor.optional(),
  })
  .strict();
export type SliceListReply = z.infer<typeof SliceListReply>;

/**
 * Between slice-manager instances: a get or one partition's page, asked of the
 * instance that owns the partition, on behalf of a requester (whose tenant, if
 * a tenant's client asked, limits what is answered).
 */
export const PartitionQuery = z.discriminatedUnion('op', [
  z
    .object({
      type: z.literal('slice.partition.query.v1'),
      op: z.literal('get'),
      sliceId: Id,
      tenant: TenantId.optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('slice.partition.query.v1'),
      op: z.literal('list'),
      state: SliceState.optional(),
      tenant: TenantId.optional(),
      /** Records with a slice id after this one (all of the partition when absent). */
      after: Id.optional(),
      limit: z.number().int().min(1).max(MAX_SLICE_PAGE),
      /** Records beyond the first stop once the page's JSON would exceed this. */
      maxBytes: z.number().int().positive().max(1_048_576),
    })
    .strict(),
]);
export type PartitionQuery = z.infer<typeof PartitionQuery>;
export const PartitionQueryReply = z
  .object({
    type: z.literal('slice.partition.reply.v1'),
    slices: z.array(SliceRecord).max(MAX_SLICE_PAGE),
    /** For a list: whether the partition holds more matching records after these. */
    more: z.boolean(),
  })
  .strict();
export type PartitionQueryReply = z.infer<typeof PartitionQueryReply>;

// ---------------------------------------------------------------- memory

/** A finished (or adapted) slice as the memory-curator learns from it. */
export const SliceOutcome = z
  .object({
    type: z.literal('slice.outcome.v1'),
    sliceId: Id,
    at: EpochMs,
    text: RequestText,
    preference: PreferenceVector,
    profile: SliceProfile,
    served: z.boolean(),
    observed: QoeFigures.optional(),
  })
  .strict();
export type SliceOutcome = z.infer<typeof SliceOutcome>;

// ---------------------------------------------------------------- runtime

/** The states of an agent's lifecycle, as its heartbeats report them. */
export const AGENT_STATES = ['initialized', 'running', 'stopping', 'stopped', 'failed'] as const;

export const Heartbeat = z
  .object({
    type: z.literal('heartbeat.v1'),
    role: Id,
    instanceId: Id,
    at: EpochMs,
    state: z.enum(AGENT_STATES),
  })
  .strict();
export type Heartbeat = z.infer<typeof Heartbeat>;

/** Typed error reply: what a requester gets instead of a crash or a silent drop. */
export const ErrorReply = z
  .object({
    type: z.literal('error.v1'),
    code: ErrorCode,
    message: z.string(),
    retryable: z.boolean(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type ErrorReply = z.infer<typeof ErrorReply>;
