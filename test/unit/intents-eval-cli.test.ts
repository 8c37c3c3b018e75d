/**
 * `slicemesh intents eval --json` on a small partly labelled set: the JSON
 * carries every measure, the coverage of each, the confusion tables and its
 * source; `--generated` measures the generated requests of held-out seeds and
 * refuses training seeds and a second source.
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

function intentsEval(...args: string[]) {
  return spawnSync(process.execPath, ['bin/slicemesh.js', 'intents', 'eval', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('slicemesh intents eval --json', () => {
  it('reports every measure with its coverage, null where nothing is labelled', () => {
    const data = join(dir, 'eval.jsonl');
    writeFileSync(data, lines.map((l) => JSON.stringify(l)).join('\n'));
    const run = intentsEval('--data', data, '--index', 'memory', '--json');
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
        'source',
      ].sort(),
    );
    expect(report.source).toEqual({ kind: 'file', path: data });
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

describe('slicemesh intents eval --generated', () => {
  it('measures every request of a held-out seed against its profile, with no dominant label', () => {
    const run = intentsEval('--generated', '1000000:1', '--index', 'memory', '--json');
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(report.source).toEqual({ kind: 'generated', firstSeed: 1_000_000, seeds: 1 });
    expect(report.n).toBe(20);
    expect(report.coverage).toEqual({
      serviceType: 20,
      dominant: 0,
      latency: 20,
      reliability: 20,
      cost: 20,
      profile: 20,
    });
    expect(report.dominantAccuracy).toBeNull();
    for (const key of [
      'serviceTypeAccuracy',
      'latencyAccuracy',
      'reliabilityAccuracy',
      'costAccuracy',
      'profileAccuracy',
    ]) {
      expect(report[key], key).toBeTypeOf('number');
    }
  });

  it('refuses a training seed with a config error naming the held-out range', () => {
    const run = intentsEval('--generated', '42:2', '--index', 'memory');
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('slicemesh: config: --generated 42:2: seed 42 is a training seed');
    expect(run.stderr).toContain('held-out evaluation seeds 1000000..1999999');
  });

  it('refuses seeds that run past the end of the held-out range', () => {
    const run = intentsEval('--generated', '1999999:2', '--index', 'memory');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('seeds 1999999..2000000 reach outside the held-out range');
  });

  it('refuses --data and --generated together, and neither', () => {
    const both = intentsEval(
      '--data',
      'scenarios/knowledge/intents-eval.jsonl',
      '--generated',
      '1000000:1',
      '--index',
      'memory',
    );
    expect(both.status).toBe(1);
    expect(both.stdout).toBe('');
    expect(both.stderr).toContain(
      'slicemesh: config: --data and --generated are mutually exclusive',
    );
    const neither = intentsEval('--index', 'memory');
    expect(neither.status).toBe(1);
    expect(neither.stderr).toContain(
      'slicemesh: config: intents eval needs one of --data <file> or --generated <first>[:<count>]',
    );
  });
});
