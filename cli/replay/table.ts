/** Plain-text rendering of a replay result: one row per slice, then the totals. */
import type { PreferenceVector, SliceProfile } from '../../shared/contracts/index.js';
import type { JudgedAgainst, ReplayResult, ReplaySliceResult } from './result.js';

type Align = 'left' | 'right';
interface Column {
  readonly title: string;
  readonly align: Align;
  readonly cell: (slice: ReplaySliceResult) => string;
}

const NONE = '-';

/** `0.45/0.30/0.15/0.10` in the order latency/reliability/economics/throughput. */
export function formatPreference(p: PreferenceVector | null): string {
  if (!p) return NONE;
  return [p.latency, p.reliability, p.economics, p.throughput].map((w) => w.toFixed(2)).join('/');
}

/** `URLLC high/high/general` (latency/reliability/cost classes). */
export function formatProfile(p: SliceProfile | null): string {
  return p ? `${p.serviceType} ${p.latency}/${p.reliability}/${p.cost}` : NONE;
}

/** The truth column: `-` when unknown, `= profile` when the profile was correct, else the truth. */
export function formatTruth(slice: ReplaySliceResult): string {
  if (slice.truth === null) return NONE;
  return slice.profileCorrect === true ? '= profile' : formatProfile(slice.truth);
}

/** What to add to "availability" when it is not judged against every slice's truth. */
export function judgementLabel(judgedAgainst: JudgedAgainst): string {
  switch (judgedAgainst) {
    case 'truth':
      return '';
    case 'mixed':
      return 'partly self-judged';
    case 'inferred':
      return 'self-judged';
  }
}

/**
 * One sentence on what availability was judged against, when that is not
 * every slice's truth (undefined when it is): a self-judged figure says how
 * well the mesh met its own reading of the requests, not the requests.
 */
export function judgementNote(result: ReplayResult): string | undefined {
  const unknown = result.slices.filter((s) => s.truth === null).length;
  switch (result.summary.judgedAgainst) {
    case 'truth':
      return undefined;
    case 'mixed':
      return (
        `Availability is partly self-judged: ${unknown} of ${result.slices.length} slices have no ` +
        'truth (a `truth:` or a complete `sla:` on the request) and are judged against the classes ' +
        'the interpreter inferred for them.'
      );
    case 'inferred':
      return (
        'Availability is self-judged: no slice has a truth (a `truth:` or a complete `sla:` on the ' +
        'request), so every slice is judged against the classes the interpreter inferred for it, ' +
        'not against what its requester needs.'
      );
  }
}

export function formatPlacement(slice: ReplaySliceResult): string {
  const p = slice.placement;
  if (!p) return NONE;
  const vnfs = p.vnfNodeIds.length > 0 ? ` → ${p.vnfNodeIds.join(',')}` : '';
  return `${p.site}:${p.containerId}${vnfs}`;
}

/** The note of the slice's last transition: the reason of a rejection, the outcome of a placement. */
export function lastNote(slice: ReplaySliceResult): string {
  for (let i = slice.history.length - 1; i >= 0; i--) {
    const note = slice.history[i]?.note;
    if (note) return note;
  }
  return '';
}

const num = (v: number | null, digits: number) => (v === null ? NONE : v.toFixed(digits));

const COLUMNS: readonly Column[] = [
  { title: 'slice', align: 'left', cell: (s) => s.id },
  { title: 'state', align: 'left', cell: (s) => s.finalState },
  { title: 'served', align: 'left', cell: (s) => (s.served ? 'yes' : 'no') },
  { title: 'as inferred', align: 'left', cell: (s) => (s.servedAsInferred ? 'yes' : 'no') },
  { title: 'latency ms', align: 'right', cell: (s) => num(s.latencyMs, 1) },
  { title: 'cost', align: 'right', cell: (s) => num(s.cost, 1) },
  { title: 'rel. cost', align: 'right', cell: (s) => num(s.reliabilityCost, 1) },
  { title: 'QoE', align: 'right', cell: (s) => num(s.qoeScore, 2) },
  { title: 'preference L/R/E/T', align: 'left', cell: (s) => formatPreference(s.preference) },
  { title: 'profile', align: 'left', cell: (s) => formatProfile(s.profile) },
  { title: 'truth', align: 'left', cell: formatTruth },
  { title: 'placement', align: 'left', cell: formatPlacement },
  { title: 'why', align: 'left', cell: (s) => truncate(lastNote(s), 70) },
];

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function pad(text: string, width: number, align: Align): string {
  return align === 'right' ? text.padStart(width) : text.padEnd(width);
}

/** The per-slice table and the totals line, ready to print. */
export function renderTable(result: ReplayResult): string {
  const rows = result.slices.map((s) => COLUMNS.map((c) => c.cell(s)));
  const widths = COLUMNS.map((c, i) =>
    Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => pad(cell, widths[i] ?? 0, COLUMNS[i]?.align ?? 'left'))
      .join('  ')
      .trimEnd();
  const out = [
    line(COLUMNS.map((c) => c.title)),
    line(widths.map((w) => '─'.repeat(w))),
    ...rows.map(line),
    '',
    renderTotals(result),
  ];
  const note = judgementNote(result);
  if (note !== undefined) out.push(note);
  return `${out.join('\n')}\n`;
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

/**
 * `case-study-20 (qappo): 20 requests · 16 served · availability 80.0% · as inferred 85.0% ·
 * profile accuracy 70.0% · avg QoE score 0.45 · avg latency 41.2 ms · avg cost 30.10 · avg
 * reliability cost 0.80`; availability is marked `(self-judged)` or `(partly self-judged)`
 * unless every slice has a truth, and profile accuracy is left out when no slice has one.
 */
export function renderTotals(result: ReplayResult): string {
  const s = result.summary;
  const label = judgementLabel(s.judgedAgainst);
  return [
    `${result.scenario} (${result.method}):`,
    `${s.requests} requests`,
    `${s.served} served`,
    `availability ${percent(s.availability)}${label ? ` (${label})` : ''}`,
    `as inferred ${percent(s.availabilityAsInferred)}`,
    ...(s.profileAccuracy !== null ? [`profile accuracy ${percent(s.profileAccuracy)}`] : []),
    `avg QoE score ${num(s.avgQoeScore, 2)}`,
    `avg latency ${num(s.avgLatencyMs, 1)} ms`,
    `avg cost ${num(s.avgCost, 2)}`,
    `avg reliability cost ${num(s.avgReliabilityCost, 2)}`,
  ]
    .join(' · ')
    .replace(': ·', ':');
}
