import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SliceRecord } from '../../shared/contracts/index.js';
import { renderReport, writeReport, type ReportContext } from '../../cli/replay/report.js';
import { sliceResult, type ReplayResult, type ReplaySliceResult } from '../../cli/replay/result.js';
import { summarise } from '../../cli/replay/summary.js';
import { renderTable, renderTotals } from '../../cli/replay/table.js';

const T0 = 1_700_000_000_000;
const dir = mkdtempSync(join(tmpdir(), 'report-render-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function record(id: string, patch: Partial<SliceRecord>): SliceRecord {
  return {
    sliceId: id,
    state: 'active',
    text: `request ${id}`,
    history: [
      { state: 'requested', at: T0 },
      { state: 'interpreting', at: T0 + 5 },
      { state: 'planning', at: T0 + 20 },
      { state: 'deploying', at: T0 + 30 },
      { state: 'active', at: T0 + 45, note: 'applied on local' },
    ],
    ...patch,
  };
}

const preference = { latency: 0.5, reliability: 0.3, economics: 0.1, throughput: 0.1 };
const profile = {
  serviceType: 'URLLC',
  latency: 'high',
  reliability: 'high',
  cost: 'general',
} as const;

/** Each slice's id and last record. */
const RECORDS: [string, SliceRecord][] = [
  [
    'arm-1',
    record('arm-1', {
      served: true,
      observed: { latencyMs: 28, cost: 32, reliabilityCost: 0 },
      preference,
      profile,
      placement: {
        site: 'local',
        containerId: 'c-1',
        vnfNodeIds: ['v-1', 'v-2'],
        appliedAt: T0 + 45,
      },
      traceId: '0af7651916cd43dd8448eb211c80319c',
    }),
  ],
  [
    'cam-<2>',
    record('cam-2', {
      served: false,
      observed: { latencyMs: 120, cost: 18, reliabilityCost: 2 },
      preference,
      profile: { ...profile, serviceType: 'eMBB' },
      placement: { site: 'cloud', containerId: 'c-9', vnfNodeIds: [], appliedAt: T0 + 60 },
    }),
  ],
  [
    'sensors',
    record('sensors', {
      state: 'rejected',
      history: [
        { state: 'requested', at: T0 + 100 },
        { state: 'rejected', at: T0 + 130, note: 'no placement meets the cost limit <25>' },
      ],
    }),
  ],
];

const SLICES: ReplaySliceResult[] = RECORDS.map(([id, r]) => sliceResult(id, r));

/** 1 − (3/7 · 28/100 + 1/7 · 32/40 + 3/7 · 0/3), to six decimals. */
const ARM_SCORE = 0.765714;

const RESULT: ReplayResult = {
  scenario: 'demo',
  method: 'qappo',
  summary: summarise(SLICES),
  slices: SLICES,
};
const CONTEXT: ReportContext = {
  source: 'scenarios/demo.yaml',
  description: 'A demo & its "quotes"',
  seed: 7,
  speed: 'max',
  startedAt: T0,
  endedAt: T0 + 500,
  namespace: 'replay-demo-abc123',
  traceFile: 'traces/replay-demo.json',
};

describe('replay summary', () => {
  it('counts availability over all requests and averages over every placed slice', () => {
    expect(RESULT.summary).toEqual({
      requests: 3,
      served: 1,
      availability: 1 / 3,
      // No slice has a truth: both availabilities are the mesh's own verdict.
      servedAsInferred: 1,
      availabilityAsInferred: 1 / 3,
      judgedAgainst: 'inferred',
      profileAccuracy: null,
      // arm-1, weighted by its profile (high, high, general: 3/7, 3/7, 1/7).
      avgQoeScore: ARM_SCORE,
      avgLatencyMs: (28 + 120) / 2,
      avgCost: (32 + 18) / 2,
      avgReliabilityCost: (0 + 2) / 2,
    });
  });

  it('reports null averages when no slice was placed', () => {
    const none = summarise([SLICES[2] as ReplaySliceResult]);
    expect(none).toEqual({
      requests: 1,
      served: 0,
      availability: 0,
      servedAsInferred: 0,
      availabilityAsInferred: 0,
      judgedAgainst: 'inferred',
      profileAccuracy: null,
      avgQoeScore: null,
      avgLatencyMs: null,
      avgCost: null,
      avgReliabilityCost: null,
    });
  });
});

describe('replay table', () => {
  it('shows one row per slice with state, figures, preference, placement and why, then the totals', () => {
    const lines = renderTable(RESULT).split('\n');
    expect(lines[0]).toMatch(
      /^slice\s+state\s+served\s+as inferred\s+latency ms\s+cost\s+rel\. cost\s+QoE\s+preference L\/R\/E\/T\s+profile\s+truth\s+placement/,
    );
    const arm = lines.find((l) => l.startsWith('arm-1'));
    expect(arm).toMatch(
      /active\s+yes\s+yes\s+28\.0\s+32\.0\s+0\.0\s+0\.77\s+0\.50\/0\.30\/0\.10\/0\.10\s+URLLC high\/high\/general\s+-\s+local:c-1 → v-1,v-2/,
    );
    expect(lines.find((l) => l.startsWith('sensors'))).toMatch(
      /rejected\s+no\s+no\s+-\s+-\s+-\s+-.*no placement meets the cost limit <25>/,
    );
    expect(lines.at(-3)).toBe(
      'demo (qappo): 3 requests · 1 served · availability 33.3% (self-judged) · as inferred 33.3% · avg QoE score 0.77 · avg latency 74.0 ms · avg cost 25.00 · avg reliability cost 1.00',
    );
    expect(lines.at(-2)).toMatch(/^Availability is self-judged: no slice has a truth/);
  });
});

describe('HTML report', () => {
  it('is self-contained: inline SVG charts, no script, no URL of any kind', async () => {
    const html = await renderReport(RESULT, CONTEXT);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|<img|\ssrc=|\shref=|@import|url\(/i);
    // Timeline, three metric charts, preference vectors.
    expect(html.match(/<svg[\s>]/g)).toHaveLength(5);
    expect(html).toContain('Lifecycle per slice');
    expect(html).toContain('reliability cost');
    expect(html).toContain('QoE preference vectors');
  });

  it('shows the summary, every slice and the run facts, escaping text', async () => {
    const html = await renderReport(RESULT, CONTEXT);
    expect(html).toContain('<b>33.3%</b>');
    expect(html).toContain('cam-&lt;2&gt;');
    expect(html).not.toContain('cam-<2>');
    expect(html).toContain('A demo &amp; its &quot;quotes&quot;');
    expect(html).toContain('no placement meets the cost limit &lt;25&gt;');
    expect(html).toContain('0af7651916cd43dd8448eb211c80319c');
    expect(html).toContain('traces/replay-demo.json');
    expect(html).toContain('replay-demo-abc123');
  });

  it('writes index.html into the report directory', async () => {
    const path = await writeReport(join(dir, 'nested', 'report'), RESULT, CONTEXT);
    expect(path).toBe(join(dir, 'nested', 'report', 'index.html'));
    expect(readFileSync(path, 'utf8')).toMatch(/^<!doctype html>/);
  });
});

describe('self-judged availability, in the table and the report', () => {
  /** RESULT's slices judged with a truth for the first `withTruth` of them; arm-1's is cost-sensitive. */
  function judged(withTruth: number): ReplayResult {
    const truths = [
      { ...profile, cost: 'cost-sensitive' } as const,
      { ...profile, serviceType: 'eMBB' } as const,
      { ...profile, serviceType: 'mMTC' } as const,
    ];
    const slices = RECORDS.map(([id, r], i) =>
      sliceResult(id, r, undefined, i < withTruth ? truths[i] : undefined),
    );
    return { ...RESULT, slices, summary: summarise(slices) };
  }

  it('says plainly that availability is self-judged when no slice has a truth', async () => {
    const table = renderTable(RESULT);
    expect(renderTotals(RESULT)).toContain('availability 33.3% (self-judged) · as inferred 33.3%');
    expect(table).toContain(
      'Availability is self-judged: no slice has a truth (a `truth:` or a complete `sla:` on the request)',
    );
    const html = await renderReport(RESULT, CONTEXT);
    expect(html).toContain('availability (self-judged)');
    expect(html).toContain('availability as inferred');
    expect(html).toContain('<p class="warning">Availability is self-judged');
  });

  it('says it is partly self-judged, and for how many slices, when only some have a truth', async () => {
    const result = judged(1);
    expect(result.summary.judgedAgainst).toBe('mixed');
    const table = renderTable(result);
    expect(renderTotals(result)).toContain(
      'availability 0.0% (partly self-judged) · as inferred 33.3% · profile accuracy 0.0%',
    );
    expect(table).toContain('Availability is partly self-judged: 2 of 3 slices have no truth');
    const html = await renderReport(result, CONTEXT);
    expect(html).toContain('availability (partly self-judged)');
    expect(html).toContain('Availability is partly self-judged: 2 of 3 slices');
  });

  it('shows both availabilities, profile accuracy and the truth column, with no self-judged note, when every slice has a truth', async () => {
    const result = judged(3);
    expect(result.summary.judgedAgainst).toBe('truth');
    const totals = renderTotals(result);
    // arm-1 costs 32, over the 25 of its cost-sensitive truth: served as inferred only.
    expect(totals).toContain(
      '0 served · availability 0.0% · as inferred 33.3% · profile accuracy 50.0% · avg QoE score -',
    );
    expect(totals).not.toContain('self-judged');
    const table = renderTable(result);
    expect(table).not.toContain('self-judged');
    const lines = table.split('\n');
    // arm-1's profile (general) is not its truth (cost-sensitive): the truth is shown; cam-2's is.
    expect(lines.find((l) => l.startsWith('arm-1'))).toContain(
      'URLLC high/high/general  URLLC high/high/cost-sensitive',
    );
    expect(lines.find((l) => l.startsWith('cam-<2>'))).toContain(
      'eMBB high/high/general   = profile',
    );
    const html = await renderReport(result, CONTEXT);
    expect(html).not.toContain('self-judged');
    expect(html).toContain('URLLC high/high/cost-sensitive');
    expect(html).toContain('<b>50.0%</b>');
  });
});
