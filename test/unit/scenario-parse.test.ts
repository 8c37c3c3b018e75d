import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSliceMeshError } from '../../shared/contracts/index.js';
import {
  checkScenario,
  drawDemand,
  loadScenarioFile,
  parseScenario,
  sliceTruths,
  type ScenarioIssue,
} from '../../shared/scenario/index.js';

const EXAMPLE = `name: robotic-cell-morning
seed: 7
method: qappo
speed: max
events:
  - at: 0ms
    request:
      id: arm-1
      text: "Please help me to construct a network slice for the wireless control of robotic arms"
      sla: { latency: high, reliability: high, cost: general }
      demand: { cpu: 4, mem: 3 }
      lifetime: 5s
  - at: 200ms
    change: { id: arm-1, text: "the arms now also stream HD video for inspection" }
  - at: 300ms
    surge: { id: arm-1, factor: 1.5 }
  - at: 900ms
    terminate: { id: arm-1 }
`;

/** The issues of `text`, failing the test if it parses. */
function issuesOf(text: string): ScenarioIssue[] {
  const result = checkScenario(text, { source: 't.yaml' });
  if (result.ok) throw new Error('expected the scenario to be rejected');
  return result.issues;
}

/** A scenario whose events are the given YAML lines (under `events:`), the first on line 4. */
function withEvents(...lines: string[]): string {
  return ['name: t', 'seed: 1', 'events:', ...lines].join('\n') + '\n';
}

/** The YAML lines of one event for `withEvents`: `- at: <at>` and then each body line under it. */
function event(at: string, ...body: string[]): string {
  return [`  - at: ${at}`, ...body.map((line) => `    ${line}`)].join('\n');
}

describe('scenario parser: valid files', () => {
  it('parses the documented example with times in ms and the surge as a traffic factor', () => {
    const scenario = parseScenario(EXAMPLE, { source: 'example.yaml' });
    expect(scenario).toMatchObject({
      name: 'robotic-cell-morning',
      seed: 7,
      method: 'qappo',
      speed: 'max',
    });
    expect(scenario.events.map((e) => [e.kind, e.atMs, e.position.line])).toEqual([
      ['request', 0, 6],
      ['change', 200, 13],
      ['surge', 300, 15],
      ['terminate', 900, 17],
    ]);
    const [request, , surge] = scenario.events;
    expect(request).toMatchObject({
      sliceId: 'arm-1',
      demand: { cpu: 4, mem: 3 },
      demandSource: 'explicit',
      lifetimeMs: 5000,
      sla: { latency: 'high', reliability: 'high', cost: 'general' },
    });
    expect(surge).toEqual({
      kind: 'surge',
      index: 2,
      atMs: 300,
      position: { line: 15, col: 5 },
      sliceId: 'arm-1',
      factor: 1.5,
    });
  });

  it('applies defaults: seed 1, speed max, no method', () => {
    const scenario = parseScenario(
      'name: x\nevents:\n  - at: 0\n    request: { id: a, text: hello }\n',
    );
    expect(scenario.seed).toBe(1);
    expect(scenario.speed).toBe('max');
    expect(scenario.method).toBeUndefined();
  });

  it('draws a missing demand from the seed: same seed same demand, independent of other slices', () => {
    const one = parseScenario(
      withEvents(event('0ms', 'request: { id: a, text: x, sla: { serviceType: eMBB } }')),
    );
    const two = parseScenario(
      withEvents(
        event('0ms', 'request: { id: z, text: y }'),
        event('0ms', 'request: { id: a, text: x, sla: { serviceType: eMBB } }'),
      ),
    );
    const a1 = one.events[0];
    const a2 = two.events[1];
    expect(a1?.kind === 'request' && a1.demandSource).toBe('seed');
    expect(a1?.kind === 'request' ? a1.demand : undefined).toEqual(drawDemand(1, 'a', 'eMBB'));
    expect(a2?.kind === 'request' ? a2.demand : undefined).toEqual(
      a1?.kind === 'request' ? a1.demand : null,
    );
  });

  it('keeps a surge as traffic relative to the nominal demand: it changes no demand, a change does', () => {
    const scenario = parseScenario(
      withEvents(
        event('0ms', 'request: { id: a, text: x, demand: { cpu: 2, mem: 2 } }'),
        event('1s', 'surge: { id: a, factor: 2 }'),
        event('2s', 'change: { id: a, demand: { cpu: 4, mem: 3 } }'),
        event('3s', 'surge: { id: a, factor: 1 }'),
      ),
    );
    expect(
      scenario.events.map((e) =>
        e.kind === 'surge' ? ['surge', e.factor] : [e.kind, 'demand' in e ? e.demand : undefined],
      ),
    ).toEqual([
      ['request', { cpu: 2, mem: 2 }],
      ['surge', 2],
      ['change', { cpu: 4, mem: 3 }],
      ['surge', 1],
    ]);
  });

  it('parses every scenario file shipped in scenarios/', async () => {
    const dirs = ['scenarios', join('scenarios', 'paper'), join('scenarios', 'paper-text')];
    const files = dirs.flatMap((dir) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => join(dir, f)),
    );
    for (const file of files) {
      const scenario = await loadScenarioFile(file);
      expect(scenario.events.length, file).toBeGreaterThan(0);
    }
  });
});

describe('scenario parser: errors carry the line and column of the offending node', () => {
  it('reports YAML syntax errors with their position', () => {
    const issues = issuesOf('name: t\nseed: 1\nmethod: a: b\nevents: []\n');
    expect(issues[0]?.line).toBe(3);
    expect(issues[0]?.message).toMatch(/^YAML syntax: /);
  });

  it('reports a duplicated key', () => {
    const issues = issuesOf('name: t\nname: u\nevents: []\n');
    expect(issues[0]).toMatchObject({ line: 2 });
    expect(issues[0]?.message).toMatch(/unique/);
  });

  it('rejects an unknown key at the key itself and lists the allowed keys', () => {
    const issues = issuesOf(
      withEvents(
        '  - at: 0ms',
        '    request:',
        '      id: a',
        '      text: x',
        '      lifetme: 5s',
      ),
    );
    expect(issues).toEqual([
      {
        line: 8,
        col: 7,
        path: 'events[0].request.lifetme',
        message: 'unknown key "lifetme"; allowed here: id, text, sla, truth, demand, lifetime',
      },
    ]);
  });

  it('rejects an unknown top-level key', () => {
    const issues = issuesOf(
      'name: t\nspeeed: 10\nevents:\n  - at: 0ms\n    request: { id: a, text: x }\n',
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 2, col: 1, path: 'speeed' });
  });

  it('reports a missing required key at the mapping that lacks it', () => {
    const issues = issuesOf(withEvents('  - at: 0ms', '    request:', '      id: a'));
    expect(issues).toEqual([
      { line: 6, col: 7, path: 'events[0].request.text', message: 'missing required key "text"' },
    ]);
  });

  it('reports wrong values with the expected ones', () => {
    const issues = issuesOf(
      withEvents(
        '  - at: 0ms',
        '    request:',
        '      id: a',
        '      text: x',
        '      sla: { latency: hihg }',
      ),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 8, path: 'events[0].request.sla.latency' });
    expect(issues[0]?.message).toBe('expected one of high, medium, best-effort');
  });

  it('reports bad durations: no unit, unknown unit, not a duration', () => {
    const issues = issuesOf(
      withEvents(
        event('100', 'request: { id: a, text: x }'),
        event('2h', 'request: { id: b, text: x }'),
        event('3s', 'request: { id: c, text: x, lifetime: soon }'),
      ),
    );
    expect(issues.map((i) => [i.line, i.path])).toEqual([
      [4, 'events[0].at'],
      [6, 'events[1].at'],
      [9, 'events[2].request.lifetime'],
    ]);
    expect(issues[0]?.message).toBe('duration 100 needs a unit: write 100ms, 100s or 100m');
    expect(issues[1]?.message).toMatch(
      /invalid duration "2h": use a number and a unit \(ms, s or m\)/,
    );
  });

  it('reports events out of time order at the later event', () => {
    const issues = issuesOf(
      withEvents(
        event('1s', 'request: { id: a, text: x }'),
        event('500ms', 'request: { id: b, text: x }'),
      ),
    );
    expect(issues).toEqual([
      {
        line: 6,
        col: 9,
        path: 'events[1].at',
        message: 'events are out of order: 500ms comes after 1s (line 4); order events by "at"',
      },
    ]);
  });

  it('reports a duplicated slice id at the second request', () => {
    const issues = issuesOf(
      withEvents(
        event('0ms', 'request: { id: a, text: x }'),
        event('1s', 'request: { id: a, text: y }'),
      ),
    );
    expect(issues).toEqual([
      {
        line: 7,
        col: 20,
        path: 'events[1].request.id',
        message: 'slice id "a" is already requested at line 4; slice ids must be unique',
      },
    ]);
  });

  it('reports a change, surge or termination of an unknown slice, or one before its request', () => {
    const issues = issuesOf(
      withEvents(
        event('0ms', 'change: { id: b, text: later }'),
        event('0ms', 'request: { id: a, text: x }'),
        event('1s', 'surge: { id: ghost, factor: 2 }'),
        event('2s', 'request: { id: b, text: x }'),
        event('3s', 'terminate: { id: nobody }'),
      ),
    );
    expect(issues.map((i) => [i.line, i.path, i.message])).toEqual([
      [5, 'events[0].change.id', 'change of slice "b" comes before its request (line 10)'],
      [9, 'events[2].surge.id', 'surge of unknown slice "ghost": no request has this id'],
      [13, 'events[4].terminate.id', 'terminate of unknown slice "nobody": no request has this id'],
    ]);
  });

  it('reports events of a slice after its termination or after its lifetime', () => {
    const issues = issuesOf(
      withEvents(
        event('0ms', 'request: { id: a, text: x }'),
        event('1s', 'terminate: { id: a }'),
        event('2s', 'change: { id: a, text: y }'),
        event('2s', 'request: { id: b, text: x, lifetime: 1s }'),
        event('3s', 'surge: { id: b, factor: 2 }'),
      ),
    );
    expect(issues.map((i) => [i.line, i.message])).toEqual([
      [9, 'change of slice "a" after it was terminated (line 6)'],
      [13, 'surge of slice "b" at 3s, but its lifetime ends at 3s (request at line 10)'],
    ]);
  });

  it('requires exactly one kind per event and something to change', () => {
    const issues = issuesOf(
      withEvents(
        event('0ms', 'request: { id: a, text: x }', 'terminate: { id: a }'),
        event('1s', 'change: { id: a }'),
      ),
    );
    expect(issues.map((i) => [i.line, i.message])).toEqual([
      [
        4,
        'an event needs exactly one of request, change, terminate, surge (found: request, terminate)',
      ],
      [8, 'a change needs at least one of text, sla or demand'],
    ]);
  });

  it('rejects a surge factor that is not a positive traffic factor of at most 100', () => {
    const issues = issuesOf(
      withEvents(
        event('0ms', 'request: { id: a, text: x, demand: { cpu: 500, mem: 2 } }'),
        event('1s', 'surge: { id: a, factor: 0 }'),
        event('2s', 'surge: { id: a, factor: 101 }'),
        event('3s', 'surge: { id: a, factor: "2x" }'),
      ),
    );
    expect(issues.map((i) => [i.line, i.path, i.message])).toEqual([
      [7, 'events[1].surge.factor', 'must be > 0'],
      [9, 'events[2].surge.factor', 'must be <= 100'],
      [11, 'events[3].surge.factor', 'expected a number'],
    ]);
  });

  it('collects every problem of a file and sorts them by line', () => {
    const issues = issuesOf(
      [
        'name: bad name',
        'seed: -1',
        'events:',
        event('100ms', 'request: { id: a, text: x, demand: { cpu: 0, mem: 2 } }'),
        event('50ms', 'change: { id: b, text: y }'),
      ].join('\n'),
    );
    expect(issues.map((i) => [i.line, i.path])).toEqual([
      [1, 'name'],
      [2, 'seed'],
      [5, 'events[0].request.demand.cpu'],
      [6, 'events[1].at'],
      [7, 'events[1].change.id'],
    ]);
  });

  it('throws one scenario error listing every issue as file:line:col', () => {
    let error: unknown;
    try {
      parseScenario(withEvents(event('5', 'request: { id: a, txt: x }')), {
        source: 'demo.yaml',
      });
    } catch (e) {
      error = e;
    }
    expect(isSliceMeshError(error)).toBe(true);
    if (!isSliceMeshError(error)) return;
    expect(error.code).toBe('scenario');
    expect(error.message).toContain('demo.yaml: 3 problems; nothing was published');
    expect(error.message).toContain('demo.yaml:4:9: events[0].at: duration 5 needs a unit');
    expect(error.message).toContain('demo.yaml:5:23: events[0].request.txt: unknown key "txt"');
    expect(error.message).toContain(
      'demo.yaml:5:14: events[0].request.text: missing required key "text"',
    );
    expect((error.details?.issues as unknown[]).length).toBe(3);
  });

  it('reports a missing file as a scenario error', async () => {
    await expect(loadScenarioFile('scenarios/does-not-exist.yaml')).rejects.toMatchObject({
      code: 'scenario',
      message: expect.stringContaining('no such file') as unknown,
    });
  });

  it('rejects a document that is not a mapping', () => {
    expect(issuesOf('- just\n- a list\n')[0]?.message).toMatch(/a scenario is a mapping/);
  });
});

const TRUTH = '{ serviceType: URLLC, latency: high, reliability: medium, cost: general }';

describe('scenario truth: what the requester needs, for the judge only', () => {
  it('is read from a request, beside or instead of an sla', () => {
    const scenario = parseScenario(
      withEvents(
        event('0ms', 'request:', '  id: a', '  text: x', `  truth: ${TRUTH}`),
        event(
          '1s',
          'request:',
          '  id: b',
          '  text: x',
          '  sla: { serviceType: URLLC, latency: high, reliability: high, cost: general }',
          `  truth: ${TRUTH}`,
        ),
      ),
    );
    const [a, b] = scenario.events;
    const truth = { serviceType: 'URLLC', latency: 'high', reliability: 'medium', cost: 'general' };
    expect(a).toMatchObject({ kind: 'request', truth });
    expect(a && 'sla' in a).toBe(false);
    // Both: the sla is what the mesh is told, the truth what the replay judges.
    expect(b).toMatchObject({ kind: 'request', truth, sla: { ...truth, reliability: 'high' } });
    expect(sliceTruths(scenario)).toEqual(
      new Map([
        ['a', truth],
        ['b', truth],
      ]),
    );
  });

  it('falls back to a complete sla, merged with later changes, and is unknown for a partial one', () => {
    const scenario = parseScenario(
      withEvents(
        event(
          '0ms',
          'request:',
          '  id: full',
          '  text: x',
          '  sla: { serviceType: mMTC, latency: best-effort, reliability: best-effort, cost: general }',
        ),
        event('0ms', 'request: { id: partial, text: x, sla: { latency: high } }'),
        event('0ms', `request: { id: told, text: x, truth: ${TRUTH} }`),
        event('1s', 'change: { id: full, sla: { cost: cost-sensitive } }'),
        event('1s', 'change: { id: told, sla: { reliability: best-effort } }'),
      ),
    );
    const truths = sliceTruths(scenario);
    expect(truths.get('full')).toEqual({
      serviceType: 'mMTC',
      latency: 'best-effort',
      reliability: 'best-effort',
      cost: 'cost-sensitive',
    });
    expect(truths.has('partial')).toBe(false);
    // A change's sla changes what the mesh is told, not a truth the request gave.
    expect(truths.get('told')?.reliability).toBe('medium');
  });

  it('reports an unknown class at its line', () => {
    const issues = issuesOf(
      withEvents(
        event(
          '0ms',
          'request:',
          '  id: a',
          '  text: x',
          '  truth: { serviceType: URLLC, latency: ultra, reliability: high, cost: general }',
        ),
      ),
    );
    expect(issues).toEqual([
      {
        line: 8,
        col: 45,
        path: 'events[0].request.truth.latency',
        message: 'expected one of high, medium, best-effort',
      },
    ]);
    const type = issuesOf(
      withEvents(
        event(
          '0ms',
          'request:',
          '  id: a',
          '  text: x',
          `  truth: ${TRUTH.replace('URLLC', 'LTE')}`,
        ),
      ),
    );
    expect(type[0]).toMatchObject({ line: 8, path: 'events[0].request.truth.serviceType' });
  });

  it('needs every class: a partial truth would leave the rest to the interpreter', () => {
    const issues = issuesOf(
      withEvents(
        event(
          '0ms',
          'request:',
          '  id: a',
          '  text: x',
          '  truth: { serviceType: URLLC, latency: high }',
        ),
      ),
    );
    expect(issues.map((i) => [i.line, i.path, i.message])).toEqual([
      [8, 'events[0].request.truth.reliability', 'missing required key "reliability"'],
      [8, 'events[0].request.truth.cost', 'missing required key "cost"'],
    ]);
  });

  it('is an error on a change or a surge, at the key, saying where it belongs', () => {
    const issues = issuesOf(
      withEvents(
        event('0ms', 'request: { id: a, text: x }'),
        event('1s', 'change:', '  id: a', '  text: y', `  truth: ${TRUTH}`),
        event('2s', 'surge:', '  id: a', '  factor: 2', `  truth: ${TRUTH}`),
      ),
    );
    expect(issues.map((i) => [i.line, i.col, i.path])).toEqual([
      [10, 7, 'events[1].change.truth'],
      [15, 7, 'events[2].surge.truth'],
    ]);
    for (const issue of issues) {
      expect(issue.message).toMatch(/^unknown key "truth"; allowed here: id, /);
      expect(issue.message).toContain("a slice's truth is given once, on its request");
    }
  });
});
