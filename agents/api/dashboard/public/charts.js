// Charts as inline SVG, drawn from the data (no chart library): the replay
// report's lifecycle timeline, QoE figures per slice and preference vectors,
// and the bars of one slice's detail.
import { html } from './html.js';
import { STATE_COLOURS, duration } from './format.js';

const DIMENSION_COLOURS = {
  latency: '#3182bd',
  reliability: '#31a354',
  economics: '#fd8d3c',
  throughput: '#756bb1',
};
export const DIMENSIONS = Object.keys(DIMENSION_COLOURS);

/** Ticks at a round step covering 0..max. */
function ticks(max, count = 5) {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const out = [];
  for (let t = 0; t <= max + step / 2; t += step) out.push(t);
  return out;
}

const LABEL_W = 150;
const ROW_H = 18;

/** One row per slice, one bar per state it was in, on a time axis from the replay's start. */
export function TimelineChart({ slices, startedAt, endedAt }) {
  const width = 760;
  const plotW = width - LABEL_W - 40;
  const end = Math.max(endedAt, ...slices.flatMap((s) => s.history.map((h) => h.at))) - startedAt;
  const x = (ms) => LABEL_W + (Math.max(0, ms) / Math.max(1, end)) * plotW;
  const height = slices.length * ROW_H + 40;
  return html`<svg
    class="chart"
    viewBox=${`0 0 ${width} ${height}`}
    role="img"
    aria-label="Lifecycle per slice"
  >
    ${slices.map((slice, row) => {
      const y = row * ROW_H + 4;
      return html`<g>
        <text x=${LABEL_W - 6} y=${y + 12} text-anchor="end" class="label">${slice.id}</text>
        ${slice.history.map((entry, i) => {
          const next = slice.history[i + 1];
          const from = entry.at - startedAt;
          const to = (next ? next.at : Math.max(endedAt, entry.at + 1)) - startedAt;
          return html`<rect
            x=${x(from)}
            y=${y}
            width=${Math.max(1, x(to) - x(from))}
            height=${ROW_H - 4}
            fill=${STATE_COLOURS[entry.state] ?? '#ccc'}
          >
            <title>${slice.id}: ${entry.state} for ${duration(to - from)}</title>
          </rect>`;
        })}
      </g>`;
    })}
    ${ticks(end).map(
      (t) =>
        html`<g>
          <line
            x1=${x(t)}
            x2=${x(t)}
            y1=${slices.length * ROW_H + 4}
            y2=${slices.length * ROW_H + 9}
            class="axis"
          />
          <text x=${x(t)} y=${slices.length * ROW_H + 22} text-anchor="middle" class="tick"
            >${duration(t)}</text
          >
        </g>`,
    )}
  </svg>`;
}

/** One bar per slice for a QoE figure, green when the slice was served, red when not. */
export function MetricChart({ slices, metric, title }) {
  const values = slices.filter((s) => s[metric] != null);
  const width = 360;
  const height = 200;
  const left = 40;
  const bottom = 24;
  const max = Math.max(0, ...values.map((s) => s[metric]));
  // All zero (no shared node anywhere): an axis up to 1 rather than a vanishing one.
  const ts = max > 0 ? ticks(max, 4) : [0, 1];
  const top = ts.at(-1) || 1;
  const plotH = height - bottom - 20;
  const barW = Math.max(2, (width - left - 10) / Math.max(1, values.length) - 2);
  const y = (v) => 20 + plotH - (v / top) * plotH;
  return html`<figure class="metric">
    <figcaption>${title}</figcaption>
    <svg class="chart" viewBox=${`0 0 ${width} ${height}`} role="img" aria-label=${title}>
      ${ts.map(
        (t) =>
          html`<g>
            <line x1=${left} x2=${width - 6} y1=${y(t)} y2=${y(t)} class="grid" />
            <text x=${left - 4} y=${y(t) + 4} text-anchor="end" class="tick"
              >${Number(t.toPrecision(3))}</text
            >
          </g>`,
      )}
      ${values.map(
        (s, i) =>
          html`<rect
            x=${left + 2 + i * (barW + 2)}
            y=${y(s[metric])}
            width=${barW}
            height=${Math.max(0, y(0) - y(s[metric]))}
            fill=${s.served ? '#31a354' : '#de2d26'}
          >
            <title>
              ${s.id}: ${Number(s[metric].toPrecision(4))} (${s.served ? 'served' : 'not served'})
            </title>
          </rect>`,
      )}
      <text x=${left} y=${height - 6} class="tick">${values.length} slices</text>
    </svg>
  </figure>`;
}

/** Stacked weights of one preference vector (they sum to 1). */
export function PreferenceBar({ preference, width = 320, label }) {
  let offset = 0;
  return html`<svg
    class="pref"
    viewBox=${`0 0 ${width} 16`}
    width=${width}
    height="16"
    role="img"
    aria-label=${label ?? 'preference vector'}
  >
    ${DIMENSIONS.map((d) => {
      const w = (preference?.[d] ?? 0) * width;
      const x = offset;
      offset += w;
      return html`<rect x=${x} y="0" width=${w} height="16" fill=${DIMENSION_COLOURS[d]}>
        <title>${d} ${(preference?.[d] ?? 0).toFixed(3)}</title>
      </rect>`;
    })}
  </svg>`;
}

export function PreferenceLegend() {
  return html`<p class="legend">
    ${DIMENSIONS.map(
      (d) => html`<span><i style=${`background:${DIMENSION_COLOURS[d]}`}></i>${d}</span>`,
    )}
  </p>`;
}

/** The lifecycle of one slice as one bar, each state as wide as the time spent in it. */
export function LifecycleStrip({ steps, now }) {
  const width = 640;
  const spans = steps.map((s) => ({ ...s, ms: Math.max(1, s.durationMs ?? now - s.at) }));
  const total = spans.reduce((sum, s) => sum + s.ms, 0);
  let offset = 0;
  return html`<svg class="strip" viewBox=${`0 0 ${width} 18`} role="img" aria-label="lifecycle">
    ${spans.map((s) => {
      const w = (s.ms / total) * width;
      const x = offset;
      offset += w;
      return html`<rect
        x=${x}
        y="0"
        width=${w}
        height="18"
        fill=${STATE_COLOURS[s.state] ?? '#ccc'}
      >
        <title>${s.state}: ${duration(s.durationMs)}</title>
      </rect>`;
    })}
  </svg>`;
}
