/**
 * `slicemesh intents eval --json` on a small partly labelled set: the JSON
 * carries every measure, the coverage of each and the confusion tables.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'slicemesh-intents-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = [
  {
    text: 'Closed-loop servo control of the press, 1 ms cycle.',
    serviceType: 'URLLC',
    dominant: 'latency',
    latency: 'high',
    reliability: 'medium',
  },
  {
    text: 'Stream 4K video of the yard cameras to the control room.',
    serviceType: 'eMBB',
    dominant: 'throughput',
    latency: 'medium',
  },
  {
    text: 'Ten thousand water meters, one reading a day, as cheap as possible.',
    serviceType: 'mMTC',
    dominant: 'economics',
  },
];

describe('slicemesh intents eval --json', () => {
  it('reports every measure with its coverage, null where nothing is labelled', () => {
    const data = join(dir, 'eval.jsonl');
    writeFileSync(data, lines.map((l) => JSON.stringify(l)).join('\n'));
    const run = spawnSync(
      process.execPath,
      ['bin/slicemesh.js', 'intents', 'eval', '--data', data, '--index', 'memory', '--json'],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(report).sort()).toEqual(
      [
        'n',
        'serviceTypeAccuracy',
        'dominantAccuracy',
        'latencyAccuracy',
        'reliabilityAccuracy',
        'costAccuracy',
        'profileAccuracy',
        'coverage',
        'p50Ms',
        'p99Ms',
        'confusion',
        'degraded',
      ].sort(),
    );
    expect(report.n).toBe(3);
    expect(report.coverage).toEqual({
      serviceType: 3,
      dominant: 3,
      latency: 2,
      reliability: 1,
      cost: 0,
      profile: 0,
    });
    for (const key of [
      'serviceTypeAccuracy',
      'dominantAccuracy',
      'latencyAccuracy',
      'reliabilityAccuracy',
    ]) {
      expect(report[key], key).toBeTypeOf('number');
    }
    // no line has a cost label, so neither cost nor the whole profile is measured
    expect(report.costAccuracy).toBeNull();
    expect(report.profileAccuracy).toBeNull();
    const confusion = report.confusion as Record<string, Record<string, Record<string, number>>>;
    expect(Object.keys(confusion).sort()).toEqual(
      ['cost', 'dominant', 'latency', 'reliability', 'serviceType'].sort(),
    );
    const total = (table: Record<string, Record<string, number>> | undefined) =>
      Object.values(table ?? {})
        .flatMap((row) => Object.values(row))
        .reduce((a, b) => a + b, 0);
    expect(total(confusion.serviceType)).toBe(3);
    expect(total(confusion.latency)).toBe(2);
    expect(total(confusion.reliability)).toBe(1);
    expect(total(confusion.cost)).toBe(0);
  });
});
