/**
 * The report's charts: Vega-Lite specs compiled to Vega and rendered to SVG
 * headless (`View.toSVG()`), so the report needs no browser-side script and
 * no network.
 */
import { View, parse } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { SLICE_STATES } from '../../shared/contracts/index.js';
import type { ReplayResult } from './result.js';

/** Colours per lifecycle state: the happy path in blues/greens, the endings in greys/reds. */
const STATE_COLOURS: Record<(typeof SLICE_STATES)[number], string> = {
  requested: '#c6dbef',
  interpreting: '#9ecae1',
  planning: '#6baed6',
  deploying: '#3182bd',
  active: '#31a354',
  adapting: '#fd8d3c',
  terminating: '#bdbdbd',
  released: '#969696',
  rejected: '#de2d26',
  failed: '#a50f15',
};

/** Renders a Vega-Lite spec to an SVG string ready to inline in HTML. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    // Inline SVG in HTML needs no namespace declarations; dropping them keeps the
    // report free of any URL, including namespace names.
    return svg.replace(/\s+xmlns(?::xlink)?="[^"]*"/g, '');
  } finally {
    view.finalize();
  }
}

/** One bar per lifecycle state a slice went through, on a time axis from the replay's start. */
export function timelineSpec(
  result: ReplayResult,
  startedAt: number,
  endedAt: number,
): TopLevelSpec {
  const values = result.slices.flatMap((slice) =>
    slice.history.map((entry, i) => {
      const next = slice.history[i + 1];
      return {
        slice: slice.id,
        state: entry.state,
        start: Math.max(0, entry.at - startedAt),
        // The last state lasts until the end of the replay; keep it visible even when it began at the end.
        end: Math.max(0, (next ? next.at : Math.max(endedAt, entry.at + 1)) - startedAt),
      };
    }),
  );
  return {
    title: 'Lifecycle per slice',
    width: 720,
    height: { step: 18 },
    data: { values },
    mark: { type: 'bar', height: 14 },
    encoding: {
      y: { field: 'slice', type: 'nominal', sort: result.slices.map((s) => s.id), title: null },
      x: { field: 'start', type: 'quantitative', title: 'time since start (ms)' },
      x2: { field: 'end' },
      color: {
        field: 'state',
        type: 'nominal',
        scale: { domain: [...SLICE_STATES], range: SLICE_STATES.map((s) => STATE_COLOURS[s]) },
        legend: { title: 'state', orient: 'bottom', columns: 5 },
      },
      tooltip: [{ field: 'slice' }, { field: 'state' }, { field: 'start' }, { field: 'end' }],
    },
  };
}

export type Metric = 'latencyMs' | 'cost' | 'reliabilityCost';

const METRIC_TITLES: Record<Metric, string> = {
  latencyMs: 'latency (ms)',
  cost: 'cost',
  reliabilityCost: 'reliability cost',
};

/** One bar per deployed slice for `metric`, coloured by whether the slice was served. */
export function metricSpec(result: ReplayResult, metric: Metric): TopLevelSpec {
  const values = result.slices
    .filter((s) => s[metric] !== null)
    .map((s) => ({ slice: s.id, value: s[metric], served: s.served ? 'served' : 'not served' }));
  return {
    title: METRIC_TITLES[metric],
    width: { step: 22 },
    height: 180,
    data: { values },
    mark: 'bar',
    encoding: {
      x: {
        field: 'slice',
        type: 'nominal',
        sort: result.slices.map((s) => s.id),
        title: null,
        axis: { labelAngle: -45 },
      },
      y: { field: 'value', type: 'quantitative', title: METRIC_TITLES[metric] },
      color: {
        field: 'served',
        type: 'nominal',
        scale: { domain: ['served', 'not served'], range: ['#31a354', '#de2d26'] },
        legend: { title: null, orient: 'top' },
      },
    },
  };
}

/** The QoE preference vector of each slice as a stacked bar (weights sum to 1). */
export function preferenceSpec(result: ReplayResult): TopLevelSpec {
  const dims = ['latency', 'reliability', 'economics', 'throughput'] as const;
  const values = result.slices.flatMap((s) =>
    s.preference
      ? dims.map((d, order) => ({
          slice: s.id,
          dimension: d,
          weight: s.preference?.[d] ?? 0,
          order,
        }))
      : [],
  );
  return {
    title: 'QoE preference vectors',
    width: 480,
    height: { step: 18 },
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'slice', type: 'nominal', sort: result.slices.map((s) => s.id), title: null },
      x: {
        field: 'weight',
        type: 'quantitative',
        stack: 'zero',
        scale: { domain: [0, 1] },
        title: 'weight',
      },
      color: {
        field: 'dimension',
        type: 'nominal',
        scale: { domain: [...dims], range: ['#3182bd', '#31a354', '#fd8d3c', '#756bb1'] },
        legend: { title: null, orient: 'top' },
      },
      order: { field: 'order', type: 'quantitative' },
      tooltip: [{ field: 'slice' }, { field: 'dimension' }, { field: 'weight', format: '.2f' }],
    },
  };
}
