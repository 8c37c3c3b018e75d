/**
 * YAML features beyond plain values — anchors and aliases, merge keys, tags,
 * complex keys — are scenario errors with a line and column, never a crash of the
 * parser (an unknown alias used to surface as "unexpected error" and a stack trace).
 * The fuzz test mutates real scenario files with a seeded RNG and asserts that
 * parsing either succeeds or throws the typed `scenario` error.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isSliceMeshError } from '../../shared/contracts/index.js';
import { createRng, type Rng } from '../../shared/random.js';
import { checkScenario, parseScenario, type ScenarioIssue } from '../../shared/scenario/index.js';

function issuesOf(text: string): ScenarioIssue[] {
  const result = checkScenario(text, { source: 't.yaml' });
  if (result.ok) throw new Error('expected the scenario to be rejected');
  return result.issues;
}

const HEAD = 'name: t\nseed: 1\nevents:\n';

describe('scenario parser: YAML aliases and other YAML features', () => {
  it('reports an alias to no anchor at the alias, as a scenario error', () => {
    const text = HEAD + '  - at: *nope\n';
    expect(issuesOf(text)).toEqual([
      {
        line: 4,
        col: 9,
        path: '',
        message: 'YAML alias: *nope refers to no anchor before it (define &nope first)',
      },
    ]);
    let thrown: unknown;
    try {
      parseScenario(text, { source: 'a.yaml' });
    } catch (error) {
      thrown = error;
    }
    expect(isSliceMeshError(thrown) && thrown.code).toBe('scenario');
    expect((thrown as Error).message).toContain('a.yaml:4:9: YAML alias: *nope');
  });

  it('reports an alias used before its anchor', () => {
    const text = HEAD + '  - at: *t\n    terminate: { id: &t a }\n';
    expect(issuesOf(text)[0]).toMatchObject({ line: 4, col: 9 });
    expect(issuesOf(text)[0]?.message).toMatch(/^YAML alias: \*t refers to no anchor/);
  });

  it('accepts an alias that repeats a single value', () => {
    const scenario = parseScenario(
      HEAD +
        '  - at: &start 0ms\n    request: { id: a, text: "a robot cell" }\n' +
        '  - at: *start\n    surge: { id: a, factor: 2 }\n',
    );
    expect(scenario.events.map((e) => e.atMs)).toEqual([0, 0]);
  });

  it('refuses an alias to a mapping or a list, which includes a self-reference', () => {
    const mapping =
      HEAD + '  - at: 0ms\n    request: &r { id: a, text: x }\n  - at: 1s\n    request: *r\n';
    expect(issuesOf(mapping)).toEqual([
      {
        line: 7,
        col: 14,
        path: '',
        message:
          'YAML alias: *r refers to a mapping; an alias may only repeat a single value (write the mapping out)',
      },
    ]);
    const selfRef = 'name: t\nseed: 1\nevents: &e [*e]\n';
    expect(issuesOf(selfRef)).toEqual([
      {
        line: 3,
        col: 13,
        path: '',
        message:
          'YAML alias: *e refers to a list; an alias may only repeat a single value (write the list out)',
      },
    ]);
  });

  it('refuses excessive alias expansion at the first alias over the limit', () => {
    const uses = Array.from({ length: 101 }, () => '*x').join(', ');
    const text = `name: &x t\nseed: 1\nlots: [${uses}]\nevents: []\n`;
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 3, col: 8 + 4 * 100 });
    expect(issues[0]?.message).toBe(
      'YAML alias: more than 100 aliases in one file; write the values out',
    );
  });

  it('refuses a merge key at the key', () => {
    const text =
      HEAD +
      '  - at: 0ms\n    request: { id: a, text: x }\n  - at: 1s\n    terminate:\n      <<: { id: a }\n';
    expect(issuesOf(text)).toEqual([
      {
        line: 8,
        col: 7,
        path: '',
        message: 'YAML merge key "<<" is not supported; write the keys out',
      },
    ]);
  });

  it('refuses a mapping or a list as a key', () => {
    expect(issuesOf('? [a, b]\n: 1\nname: t\nseed: 1\nevents: []\n')).toEqual([
      { line: 1, col: 3, path: '', message: 'YAML: a key must be a single value, not a list' },
    ]);
  });

  it('reports an unknown tag at the tagged node', () => {
    expect(issuesOf('name: !robot t\nseed: 1\nevents: []\n')).toEqual([
      { line: 1, col: 7, path: '', message: 'YAML: Unresolved tag: !robot' },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------

const SEEDS = ['scenarios/factory-shift.yaml', 'scenarios/paper/case-study-4.yaml'].map((file) =>
  readFileSync(file, 'utf8'),
);
const SNIPPETS = [
  '*x',
  '&x ',
  '&x',
  '*',
  '&',
  '<<: ',
  '<<: *x',
  '\t',
  '  ',
  ' ',
  '? ',
  '!tag ',
  '!!binary ',
  ': ',
  '- ',
  '{',
  '[',
  '"',
  "'",
  '|',
  '>',
  '#',
  '---\n',
  '%YAML 1.1\n',
  '\n',
];

/** One seeded mutation of a scenario text: truncation, insertion, indentation, line shuffles. */
function mutate(text: string, rng: Rng): string {
  let out = text;
  const rounds = rng.int(1, 4);
  for (let r = 0; r < rounds; r++) {
    const at = rng.int(0, out.length);
    switch (rng.int(0, 6)) {
      case 0: // truncation
        out = out.slice(0, at);
        break;
      case 1: // an inserted YAML token
      case 2:
        out = out.slice(0, at) + rng.pick(SNIPPETS) + out.slice(at);
        break;
      case 3: {
        // odd indentation of one line
        const lines = out.split('\n');
        const i = rng.int(0, Math.max(0, lines.length - 1));
        lines[i] = rng.pick(['\t', ' ', '   ', '']) + (lines[i] ?? '').replace(/^ {0,2}/, '');
        out = lines.join('\n');
        break;
      }
      case 4: {
        // an anchor on one value and an alias to it somewhere later
        const lines = out.split('\n');
        const i = rng.int(0, Math.max(0, lines.length - 1));
        const j = rng.int(0, Math.max(0, lines.length - 1));
        lines[i] = (lines[i] ?? '').replace(/: /, ': &x ');
        lines[j] = (lines[j] ?? '').replace(
          /: .*/,
          rng.pick([': *x', ': *y', ': [*x, *x]', ': {<<: *x}']),
        );
        out = lines.join('\n');
        break;
      }
      case 5: // a deleted span
        out = out.slice(0, at) + out.slice(Math.min(out.length, at + rng.int(1, 40)));
        break;
      default: {
        // two lines swapped
        const lines = out.split('\n');
        const i = rng.int(0, Math.max(0, lines.length - 1));
        const j = rng.int(0, Math.max(0, lines.length - 1));
        [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
        out = lines.join('\n');
      }
    }
  }
  return out;
}

describe('scenario parser: seeded fuzzing', () => {
  it('parses 200 mutated scenario files or throws the typed scenario error, never anything else', () => {
    const rng = createRng('scenario-fuzz');
    const outcomes = { parsed: 0, rejected: 0 };
    for (let i = 0; i < 200; i++) {
      const text = mutate(rng.pick(SEEDS), rng.fork(i));
      try {
        parseScenario(text, { source: `fuzz-${i}.yaml` });
        outcomes.parsed++;
      } catch (error) {
        if (!(isSliceMeshError(error) && error.code === 'scenario')) {
          throw new Error(`mutation ${i} threw ${String(error)}\n--- text ---\n${text}`);
        }
        const issues = (error.details as { issues?: ScenarioIssue[] } | undefined)?.issues ?? [];
        expect(issues.length, `mutation ${i}`).toBeGreaterThan(0);
        for (const issue of issues) {
          expect(issue.line, `mutation ${i}: ${issue.message}`).toBeGreaterThanOrEqual(1);
          expect(issue.col, `mutation ${i}: ${issue.message}`).toBeGreaterThanOrEqual(1);
        }
        outcomes.rejected++;
      }
    }
    // The mutations exercise both outcomes, so the test is not vacuous.
    expect(outcomes.parsed).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(100);
  });
});
