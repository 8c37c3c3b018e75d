/** Plain-text table of an evaluation report, one row per method and request count. */
import type { EvaluationReport, IntentMode, Metric } from './evaluate.js';

function cell(
  value: number | null,
  ci: [number, number] | null,
  digits: number,
  scale = 1,
): string {
  if (value === null) return '—';
  const v = (value * scale).toFixed(digits);
  if (ci === null) return v;
  const half = ((ci[1] - ci[0]) / 2) * scale;
  return `${v} ± ${half.toFixed(digits)}`;
}

const COLUMNS: readonly { metric: Metric; title: string; digits: number; scale?: number }[] = [
  { metric: 'avgLatencyMs', title: 'latency ms', digits: 1 },
  { metric: 'avgCost', title: 'cost', digits: 2 },
  { metric: 'avgReliabilityCost', title: 'reliability cost', digits: 2 },
  { metric: 'availability', title: 'availability %', digits: 1, scale: 100 },
  { metric: 'qoeScore', title: 'QoE score', digits: 3 },
];

const INTENT_LINE: Readonly<Record<IntentMode, string>> = {
  stated: 'intent: stated (every request states its SLA classes)',
  text:
    'intent: text (each method acts on the profile inferred from the request text alone, ' +
    'the oracle on the true classes; all are judged against the true classes)',
};

/** Renders the report as an aligned text table; ± is the half-width of the 95% CI. */
export function formatReportTable(report: EvaluationReport): string {
  const header = ['method', 'requests', 'seeds', ...COLUMNS.map((c) => c.title)];
  const rows = report.results.map((r) => [
    r.method,
    String(r.requests),
    String(r.seeds),
    ...COLUMNS.map((c) => cell(r[c.metric], r.ci95[c.metric], c.digits, c.scale)),
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] as string).length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < 1 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ');
  const out = [
    INTENT_LINE[report.intent],
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
  ];
  let previous = '';
  for (const [i, row] of rows.entries()) {
    const method = report.results[i]?.method ?? '';
    if (previous !== '' && method !== previous) out.push('');
    previous = method;
    out.push(line(row));
  }
  return (
    `${out.join('\n')}\n± = half-width of the 95% confidence interval across seeds; ` +
    'QoE score: mean over served slices, weighted by the true classes (1 is best)\n'
  );
}
