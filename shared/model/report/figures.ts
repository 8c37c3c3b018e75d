/**
 * Fig. 5 of the paper as four SVG panels, plus a fifth with the per-slice
 * QoE score, from an evaluation report:
 * Vega-Lite specs compiled to Vega and rendered headless (no canvas, no
 * network). Pure: returns the SVG text; the caller writes the files.
 */
import { compile, type TopLevelSpec } from 'vega-lite';
import { View, parse } from 'vega';
import type { EvaluationReport, Metric } from './evaluate.js';

export interface FigurePanel {
  /** File-friendly name, e.g. `fig5a-latency`. */
  name: string;
  title: string;
  svg: string;
}

const PANELS: readonly { metric: Metric; name: string; title: string; axis: string }[] = [
  {
    metric: 'avgLatencyMs',
    name: 'fig5a-latency',
    title: '(a) Average latency per slice',
    axis: 'Latency (ms)',
  },
  {
    metric: 'avgCost',
    name: 'fig5b-cost',
    title: '(b) Average cost per slice',
    axis: 'Cost (units)',
  },
  {
    metric: 'avgReliabilityCost',
    name: 'fig5c-reliability',
    title: '(c) Average reliability cost per slice',
    axis: 'Reliability cost (shared nodes)',
  },
  {
    metric: 'availability',
    name: 'fig5d-availability',
    title: '(d) Slice availability ratio',
    axis: 'Served / requested',
  },
  {
    metric: 'qoeScore',
    name: 'fig5e-qoe-score',
    title: '(e) QoE score per served slice',
    axis: 'QoE score (true-class weights)',
  },
];

/** The Vega-Lite spec of one panel: a line per method with 95% CI error bars. */
export function panelSpec(
  report: EvaluationReport,
  metric: Metric,
  title: string,
  axis: string,
): TopLevelSpec {
  const values = report.results
    .filter((r) => r[metric] !== null)
    .map((r) => ({
      method: r.method,
      requests: r.requests,
      value: r[metric],
      low: r.ci95[metric]?.[0] ?? r[metric],
      high: r.ci95[metric]?.[1] ?? r[metric],
    }));
  const methods = [...new Set(report.results.map((r) => r.method))];
  const x = {
    field: 'requests',
    type: 'quantitative' as const,
    title: 'Number of slice requests',
    axis: { tickMinStep: 4 },
  };
  const color = { field: 'method', type: 'nominal' as const, title: 'Method', sort: methods };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 360,
    height: 240,
    background: 'white',
    data: { values },
    layer: [
      {
        mark: { type: 'errorbar', ticks: true },
        encoding: {
          x,
          y: { field: 'low', type: 'quantitative', title: axis },
          y2: { field: 'high' },
          color,
        },
      },
      {
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'value', type: 'quantitative', title: axis }, color },
      },
    ],
  };
}

/** Renders the four panels of Fig. 5 as SVG, plus the QoE score panel. */
export async function renderFigure5(report: EvaluationReport): Promise<FigurePanel[]> {
  const panels: FigurePanel[] = [];
  for (const panel of PANELS) {
    const spec = panelSpec(report, panel.metric, panel.title, panel.axis);
    const view = new View(parse(compile(spec).spec), { renderer: 'none' });
    try {
      panels.push({ name: panel.name, title: panel.title, svg: await view.toSVG() });
    } finally {
      view.finalize();
    }
  }
  return panels;
}
