/**
 * The self-contained HTML report of a replay: one file, inline CSS, charts
 * as inline SVG rendered headless, no script and no external reference.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { formatDuration, type Speed } from '../../shared/scenario/index.js';
import { metricSpec, preferenceSpec, renderSvg, timelineSpec, type Metric } from './charts.js';
import type { ReplayResult } from './result.js';
import {
  formatPlacement,
  formatPreference,
  formatProfile,
  formatTruth,
  judgementLabel,
  judgementNote,
  lastNote,
} from './table.js';

/** What the report says about the run besides the result. */
export interface ReportContext {
  readonly source: string;
  readonly description?: string;
  readonly seed: number;
  readonly speed: Speed;
  /** Epoch ms of the first published event and of the end of the replay. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly namespace?: string;
  readonly traceFile?: string;
  /** Set when the replay ended before every slice settled. */
  readonly warning?: string;
}

export const REPORT_FILE = 'index.html';
/**
 * The same report as data, beside the HTML: what the live dashboard lists and
 * draws its charts from (it reads report dirs, it does not parse HTML).
 */
export const REPORT_DATA_FILE = 'report.json';
export const REPORT_DATA_TYPE = 'slicemesh.replay-report.v1';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const num = (v: number | null, digits: number) => (v === null ? '–' : v.toFixed(digits));

const METRICS: readonly Metric[] = ['latencyMs', 'cost', 'reliabilityCost'];

/** Renders the report's HTML. */
export async function renderReport(result: ReplayResult, context: ReportContext): Promise<string> {
  const [timeline, preferences, ...metrics] = await Promise.all([
    renderSvg(timelineSpec(result, context.startedAt, context.endedAt)),
    renderSvg(preferenceSpec(result)),
    ...METRICS.map((m) => renderSvg(metricSpec(result, m))),
  ]);
  const s = result.summary;
  const percent = (share: number | null) => (share === null ? '–' : `${(share * 100).toFixed(1)}%`);
  const label = judgementLabel(s.judgedAgainst);
  const note = judgementNote(result);
  const cards: [string, string][] = [
    ['requests', String(s.requests)],
    ['served', String(s.served)],
    [label ? `availability (${label})` : 'availability', percent(s.availability)],
    ['availability as inferred', percent(s.availabilityAsInferred)],
    ['profile accuracy', percent(s.profileAccuracy)],
    ['avg QoE score', num(s.avgQoeScore, 2)],
    ['avg latency', `${num(s.avgLatencyMs, 1)} ms`],
    ['avg cost', num(s.avgCost, 2)],
    ['avg reliability cost', num(s.avgReliabilityCost, 2)],
  ];
  const rows = result.slices
    .map(
      (slice) => `<tr class="${slice.served ? 'ok' : 'bad'}">
<td>${escapeHtml(slice.id)}</td><td>${escapeHtml(slice.finalState)}</td><td>${slice.served ? 'yes' : 'no'}</td><td>${slice.servedAsInferred ? 'yes' : 'no'}</td>
<td class="n">${num(slice.latencyMs, 1)}</td><td class="n">${num(slice.cost, 2)}</td><td class="n">${num(slice.reliabilityCost, 2)}</td><td class="n">${num(slice.qoeScore, 2)}</td>
<td>${escapeHtml(formatPreference(slice.preference))}</td><td>${escapeHtml(formatProfile(slice.profile))}</td><td>${escapeHtml(formatTruth(slice))}</td>
<td>${escapeHtml(formatPlacement(slice))}</td><td class="why">${escapeHtml(lastNote(slice))}</td>
<td class="mono">${escapeHtml(slice.traceId ?? '–')}</td></tr>`,
    )
    .join('\n');
  const facts: [string, string | undefined][] = [
    ['scenario file', context.source],
    ['method', result.method],
    ['seed', String(context.seed)],
    ['speed', context.speed === 'max' ? 'max' : `×${context.speed}`],
    ['wall time', formatDuration(Math.max(0, Math.round(context.endedAt - context.startedAt)))],
    ['started', new Date(context.startedAt).toISOString()],
    ['namespace', context.namespace],
    ['trace file', context.traceFile],
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SliceMesh replay: ${escapeHtml(result.scenario)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #222; max-width: 1400px; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
.muted { color: #666; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1rem 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: .6rem 1rem; min-width: 9rem; }
.card b { display: block; font-size: 1.5rem; }
.warning { background: #fff3cd; border: 1px solid #e0c36a; padding: .6rem 1rem; border-radius: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #eee; padding: .25rem .5rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td.why { max-width: 28rem; } .mono { font-family: ui-monospace, monospace; font-size: 12px; }
tr.bad td:nth-child(3) { color: #b00; font-weight: 600; } tr.ok td:nth-child(3) { color: #070; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dt { color: #666; } dd { margin: 0; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
</style>
</head>
<body>
<h1>${escapeHtml(result.scenario)}</h1>
${context.description ? `<p class="muted">${escapeHtml(context.description)}</p>` : ''}
${context.warning ? `<p class="warning">${escapeHtml(context.warning)}</p>` : ''}
<section>
<h2>Summary</h2>
<div class="cards">${cards.map(([k, v]) => `<div class="card"><span class="muted">${k}</span><b>${escapeHtml(v)}</b></div>`).join('')}</div>
${note ? `<p class="warning">${escapeHtml(note)}</p>` : ''}
<p class="muted">Availability is served slices over requested slices. A slice is served when its placement meets every constraint of its truth (what its requester needs), or, where the scenario gives no truth, of the classes the mesh used; availability as inferred judges every slice against the classes the mesh used. Profile accuracy is the share of slices with a truth whose profile equals it. The QoE score is averaged over served slices, the other averages over every placed slice, served or not.</p>
<dl>${facts
    .filter((f): f is [string, string] => f[1] !== undefined)
    .map(([k, v]) => `<dt>${k}</dt><dd class="mono">${escapeHtml(v)}</dd>`)
    .join('')}</dl>
</section>
<section>
<h2>Slices</h2>
<table>
<thead><tr><th>slice</th><th>state</th><th>served</th><th>as inferred</th><th>latency ms</th><th>cost</th><th>rel. cost</th><th>QoE score</th><th>preference L/R/E/T</th><th>profile</th><th>truth</th><th>placement</th><th>why</th><th>trace id</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</section>
<section>
<h2>Timeline</h2>
<figure>${timeline}</figure>
</section>
<section>
<h2>QoE figures per slice</h2>
<div class="charts">${metrics.map((svg) => `<figure>${svg}</figure>`).join('')}</div>
</section>
<section>
<h2>Preference vectors</h2>
<figure>${preferences}</figure>
</section>
</body>
</html>
`;
}

/** Writes the report as `<dir>/index.html` (and its data as `<dir>/report.json`); returns the HTML's absolute path. */
export async function writeReport(
  dir: string,
  result: ReplayResult,
  context: ReportContext,
): Promise<string> {
  const html = await renderReport(result, context);
  await mkdir(dir, { recursive: true });
  const data = { type: REPORT_DATA_TYPE, context, result };
  await writeFile(join(dir, REPORT_DATA_FILE), `${JSON.stringify(data, null, 2)}\n`);
  const path = resolve(join(dir, REPORT_FILE));
  await writeFile(path, html);
  return path;
}
