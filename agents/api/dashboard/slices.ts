/**
 * What the page shows of a slice: a table row (small, whatever the slice's
 * history) and the detail view, built from the slice-manager's record and the
 * telemetry agent's per-slice QoE. Pure functions: the routes fetch, these shape.
 */
import {
  TERMINAL_SLICE_STATES,
  type SliceHistoryEntry,
  type SliceQoeSummary,
  type SliceRecord,
  type TelemetrySummary,
} from '../../../shared/contracts/index.js';
import { slaLimits } from '../../../shared/model/index.js';

/** Longest request text a row carries (the detail view has all of it). */
export const ROW_TEXT_LIMIT = 160;

export interface SliceRow {
  readonly sliceId: string;
  readonly tenant: string | undefined;
  readonly state: string;
  readonly text: string;
  /** When the slice last changed state (its newest history entry). */
  readonly updatedAt: number | null;
  readonly serviceType: string | null;
  readonly site: string | null;
  readonly served: boolean | null;
}

export function sliceRow(record: SliceRecord): SliceRow {
  const last = record.history.at(-1);
  return {
    sliceId: record.sliceId,
    tenant: record.tenant,
    state: record.state,
    text:
      record.text.length > ROW_TEXT_LIMIT
        ? `${record.text.slice(0, ROW_TEXT_LIMIT - 1)}…`
        : record.text,
    updatedAt: last?.at ?? null,
    serviceType: record.profile?.serviceType ?? null,
    site: record.placement?.site ?? record.plan?.site ?? null,
    served: record.served ?? null,
  };
}

export interface TimelineStep {
  readonly state: string;
  readonly at: number;
  /** Time spent in this state; null for the current state of a live slice. */
  readonly durationMs: number | null;
  readonly note?: string;
}

/** The lifecycle as steps with their durations (the last one ends only when the slice has). */
export function timeline(record: SliceRecord): TimelineStep[] {
  const ended = TERMINAL_SLICE_STATES.includes(record.state);
  return record.history.map((entry: SliceHistoryEntry, i) => {
    const next = record.history[i + 1];
    const durationMs = next ? next.at - entry.at : ended ? 0 : null;
    return {
      state: entry.state,
      at: entry.at,
      durationMs,
      ...(entry.note === undefined ? {} : { note: entry.note }),
    };
  });
}

/** One QoE dimension: what was observed against what the slice's classes allow. */
export interface QoeCheck {
  readonly dimension: 'latency' | 'cost' | 'reliability';
  readonly observed: number | null;
  readonly limit: number | null;
  /** What `observed` counts. */
  readonly unit: string;
  /** The limit as the class states it (reliability limits sharing, not the observed count). */
  readonly limitText: string | null;
  /** Null when nothing was observed yet. */
  readonly met: boolean | null;
}

export interface SliceDetail {
  readonly record: SliceRecord;
  readonly row: SliceRow;
  readonly timeline: TimelineStep[];
  /** Transitions dropped from the record's history (it keeps the newest ones). */
  readonly historyDropped: number;
  readonly qoe: {
    /** The classes the mesh handles the slice with (inferred, a stated SLA over them). */
    readonly profile: SliceRecord['profile'] | null;
    readonly stated: SliceRecord['sla'] | null;
    readonly checks: QoeCheck[];
    readonly served: boolean | null;
    /** The telemetry agent's view of the last KPI sample; null when it did not answer. */
    readonly live: SliceQoeSummary | null;
    readonly telemetry: 'ok' | 'unavailable';
  };
  /** The QoE constraints the applied placement does not meet. */
  readonly violations: string[];
  /** SLA violations telemetry counted for the slice. */
  readonly violationCount: number | null;
  /** Each time the slice went into `adapting`, with why. */
  readonly adaptations: { readonly at: number; readonly note: string | null }[];
  readonly preference: SliceRecord['preference'] | null;
  readonly placement: SliceRecord['placement'] | null;
  readonly plan: SliceRecord['plan'] | null;
  readonly traceId: string | null;
  /** Jaeger's page of the trace, when a Jaeger URL is configured. */
  readonly traceUrl: string | null;
}

function qoeChecks(record: SliceRecord): QoeCheck[] {
  const profile = record.profile;
  const observed = record.observed;
  const unmet = new Set(record.violations ?? []);
  const met = (dimension: QoeCheck['dimension']) =>
    observed === undefined ? null : !unmet.has(dimension);
  // The limits telemetry judges the slice's samples by (the case-study model's classes).
  const limits = profile ? slaLimits(profile) : undefined;
  return [
    {
      dimension: 'latency',
      observed: observed?.latencyMs ?? null,
      limit: limits?.latencyMs ?? null,
      unit: 'ms',
      limitText: profile && limits ? `≤ ${limits.latencyMs} ms (${profile.latency})` : null,
      met: met('latency'),
    },
    {
      dimension: 'cost',
      observed: observed?.cost ?? null,
      limit: limits?.cost ?? null,
      unit: '',
      limitText: profile && limits ? `≤ ${limits.cost} (${profile.cost})` : null,
      met: met('cost'),
    },
    {
      // Reliability is a sharing limit in the case-study model (slices per node); what is
      // observed is the reliability cost, the shared nodes on the slice's path.
      dimension: 'reliability',
      observed: observed?.reliabilityCost ?? null,
      limit: limits?.sharing ?? null,
      unit: 'shared nodes',
      limitText:
        profile && limits ? `≤ ${limits.sharing} slices per node (${profile.reliability})` : null,
      met: met('reliability'),
    },
  ];
}

/** `${jaegerUrl}/trace/<id>`, with one slash between them whatever the configured URL ends with. */
export function jaegerTraceUrl(jaegerUrl: string | undefined, traceId: string | undefined) {
  if (!jaegerUrl || !traceId) return null;
  return `${jaegerUrl.replace(/\/+$/, '')}/trace/${encodeURIComponent(traceId)}`;
}

export function sliceDetail(
  record: SliceRecord,
  summary: TelemetrySummary | null,
  jaegerUrl: string | undefined,
): SliceDetail {
  const live = summary?.slices.find((s) => s.sliceId === record.sliceId) ?? null;
  return {
    record,
    row: sliceRow(record),
    timeline: timeline(record),
    historyDropped: record.historyDropped ?? 0,
    qoe: {
      profile: record.profile ?? null,
      stated: record.sla ?? null,
      checks: qoeChecks(record),
      served: record.served ?? null,
      live,
      telemetry: summary ? 'ok' : 'unavailable',
    },
    violations: [...(record.violations ?? [])],
    violationCount: live?.violations ?? null,
    adaptations: record.history
      .filter((entry) => entry.state === 'adapting')
      .map((entry) => ({ at: entry.at, note: entry.note ?? null })),
    preference: record.preference ?? null,
    placement: record.placement ?? null,
    plan: record.plan ?? null,
    traceId: record.traceId ?? null,
    traceUrl: jaegerTraceUrl(jaegerUrl, record.traceId),
  };
}
