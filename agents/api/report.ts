/**
 * Intent reports: at each transition where the slice's QoE is known (placed, adapting
 * after a violation, refused), the observed QoE against its SLA, judged compliant,
 * degraded (not met now, being repaired or repairable) or not met (and not going to be).
 */
import {
  INTENT_REPORTS_KEPT,
  type Compliance,
  type StoredIntent,
  type StoredReport,
} from '../../shared/contracts/api.js';
import {
  historyCount,
  type SliceEvent,
  type SliceQoeSummary,
  type SliceRecord,
} from '../../shared/contracts/messages.js';
import { DEFAULT_MODEL_CONFIG, type ModelConfig, slaLimits } from '../../shared/model/config.js';
import { intentHref } from './intent.js';

/** Whether a transition to this state makes a report. */
export function reportsOn(event: Pick<SliceEvent, 'to'>): boolean {
  return (
    event.to === 'active' ||
    event.to === 'adapting' ||
    event.to === 'rejected' ||
    event.to === 'failed'
  );
}

/** The judgement of a slice's QoE against its SLA. */
export function complianceOf(
  record: Pick<SliceRecord, 'state' | 'served' | 'adaptive'>,
  kpi?: Pick<SliceQoeSummary, 'withinSla'>,
): Compliance {
  if (record.state === 'rejected' || record.state === 'failed') return 'notMet';
  if (record.state === 'adapting') return 'degraded';
  if (record.served === false) return record.adaptive === false ? 'notMet' : 'degraded';
  if (kpi?.withinSla === false) return 'degraded';
  return 'compliant';
}

/** The report of one slice event (its id names the transition, so a redelivery makes no second). */
export function reportOf(
  event: SliceEvent,
  kpi: SliceQoeSummary | undefined,
  model: ModelConfig = DEFAULT_MODEL_CONFIG,
): StoredReport {
  const record = event.record;
  const limits = limitsOf(record, model);
  return {
    id: `${event.sliceId}-r${historyCount(record)}`,
    at: event.at,
    state: record.state,
    compliance: complianceOf(record, kpi),
    ...(record.served === undefined ? {} : { served: record.served }),
    ...(record.observed ? { observed: record.observed } : {}),
    ...(limits ? { limits } : {}),
    violations: [...(record.violations ?? [])],
    ...(kpi
      ? {
          kpi: {
            ...(kpi.withinSla === undefined ? {} : { withinSla: kpi.withinSla }),
            ...(kpi.qoe === undefined ? {} : { qoe: kpi.qoe }),
            ...(kpi.latencyMs === undefined ? {} : { latencyMs: kpi.latencyMs }),
            violations: kpi.violations,
          },
        }
      : {}),
  };
}

/** `intent` with `report` added (once; the oldest dropped beyond the bound). */
export function withReport(intent: StoredIntent, report: StoredReport): StoredIntent {
  if (intent.reports.some((r) => r.id === report.id)) return intent;
  return { ...intent, reports: [...intent.reports, report].slice(-INTENT_REPORTS_KEPT) };
}

/** The limits of the slice's profile, when the interpreter gave it one. */
function limitsOf(record: SliceRecord, model: ModelConfig): StoredReport['limits'] {
  return record.profile ? slaLimits(record.profile, model) : undefined;
}

/** The TMF921 IntentReport of a stored report. */
export function toIntentReport(intentId: string, intentName: string, report: StoredReport) {
  const limits = report.limits;
  return {
    '@type': 'IntentReport' as const,
    id: report.id,
    href: `${intentHref(intentId)}/intentReport/${report.id}`,
    name: `${intentName} ${report.state}: ${report.compliance}`,
    description: `observed QoE against the SLA when the slice became ${report.state}`,
    creationDate: new Date(report.at).toISOString(),
    intent: {
      '@type': 'IntentRef' as const,
      id: intentId,
      href: intentHref(intentId),
      name: intentName,
    },
    expression: {
      '@type': 'JsonLdExpression' as const,
      expressionValue: {
        '@context': { slicemesh: 'urn:slicemesh:' },
        compliance: report.compliance,
        sliceState: report.state,
        ...(report.served === undefined ? {} : { served: report.served }),
        ...(report.observed ? { observed: report.observed } : {}),
        ...(limits ? { limits } : {}),
        violations: report.violations,
        ...(report.kpi ? { kpi: report.kpi } : {}),
      },
    },
  };
}
