/**
 * A slice's SLA and how a KPI sample measures up to it. The limits come from
 * the case-study model's parameter set: latency limit per latency class,
 * sharing limit per reliability class, cost limit per cost class.
 */
import type { KpiSample, PreferenceVector } from '../../shared/contracts/index.js';
import type { SlaLimits } from '../../shared/model/index.js';

// The limits themselves live with the model's parameter set (the api's reports use them too).
export { slaLimits, type SlaLimits } from '../../shared/model/index.js';

export type SlaDimension = 'latency' | 'reliability' | 'cost';

export interface Breach {
  readonly dimension: SlaDimension;
  readonly observed: number;
  readonly limit: number;
  /** observed / limit (> 1). */
  readonly ratio: number;
}

export interface SampleVerdict {
  readonly withinSla: boolean;
  /** Breached dimensions, worst (highest ratio) first; ties keep latency, reliability, cost order. */
  readonly breaches: Breach[];
  /** Preference-weighted satisfaction in [0, 1] (1 = every limit met). */
  readonly qoe: number;
}

/** The figures of a sample the SLA is judged on (a record's observed figures fit too). */
export type JudgedFigures = Pick<KpiSample, 'latencyMs' | 'cost' | 'reliabilityCost' | 'sharing'>;

/** The sharing a sample reports: exact when the infrastructure sends it, else the least it implies. */
function observedSharing(sample: JudgedFigures): number {
  if (sample.sharing !== undefined) return sample.sharing;
  // Without the tenant count, a shared node on the path means at least two slices on it.
  return sample.reliabilityCost > 0 ? 2 : 1;
}

/** Satisfaction of one dimension: 1 within the limit, limit/observed beyond it. */
function satisfaction(observed: number, limit: number): number {
  return observed <= limit ? 1 : limit / observed;
}

/**
 * Judges a sample against the SLA. The QoE weights latency, reliability and
 * economics by the slice's preference vector (renormalised over those three:
 * the case-study model measures no throughput); without a preference, equally.
 */
export function judgeSample(
  limits: SlaLimits,
  sample: JudgedFigures,
  preference?: PreferenceVector,
): SampleVerdict {
  const figures: [SlaDimension, number, number][] = [
    ['latency', sample.latencyMs, limits.latencyMs],
    ['reliability', observedSharing(sample), limits.sharing],
    ['cost', sample.cost, limits.cost],
  ];
  const breaches: Breach[] = [];
  for (const [dimension, observed, limit] of figures) {
    if (observed > limit) breaches.push({ dimension, observed, limit, ratio: observed / limit });
  }
  breaches.sort((a, b) => b.ratio - a.ratio);
  const weights = preference
    ? [preference.latency, preference.reliability, preference.economics]
    : [1, 1, 1];
  const total = weights.reduce((a, b) => a + b, 0);
  const w = total > 0 ? weights.map((x) => x / total) : [1 / 3, 1 / 3, 1 / 3];
  let qoe = 0;
  figures.forEach(([, observed, limit], i) => {
    qoe += (w[i] ?? 0) * satisfaction(observed, limit);
  });
  // Renormalised weights can sum to a hair over 1 (0.4 + 0.3 + 0.2 over 0.9): the summary's
  // schema caps QoE at 1, and a reply over it would be refused as invalid.
  return { withinSla: breaches.length === 0, breaches, qoe: Math.min(1, qoe) };
}
