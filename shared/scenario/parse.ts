/**
 * Scenario parser: YAML text → checked `Scenario`.
 *
 * Three passes, each collecting every problem it finds rather than stopping
 * at the first: YAML syntax (with the `yaml` package, positions kept through
 * a `LineCounter`), shape (zod, strict), then the cross-event rules. Every
 * issue carries the line and column of the node it is about. Any issue makes
 * `parseScenario` throw one `SliceMeshError('scenario')` listing them all.
 */
import { readFile } from 'node:fs/promises';
import {
  LineCounter,
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Document,
} from 'yaml';
import type { z } from 'zod';
import { SliceMeshError } from '../contracts/index.js';
import { resolveDemands } from './demand.js';
import { parseDuration } from './duration.js';
import {
  EVENT_KINDS,
  EventEntry,
  ScenarioHeader,
  allowedKeysAt,
  misplacedKeyHint,
  type EventKind,
} from './schema.js';
import { checkEventOrder, type EventSketch } from './semantics.js';
import type { Scenario, ScenarioIssue, SourcePosition } from './types.js';

type Path = readonly PropertyKey[];

/** Maps paths of the parsed document back to line and column. */
class Locator {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** Position of the node at `path`, or of its nearest existing ancestor. */
  at(path: Path): SourcePosition {
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return this.pos(node.range[0]);
    }
    return { line: 1, col: 1 };
  }

  /** Position of the key `key` inside the mapping at `path` (for unknown keys). */
  keyAt(path: Path, key: string): SourcePosition {
    const map: unknown = path.length === 0 ? this.doc.contents : this.doc.getIn(path, true);
    if (isMap(map)) {
      for (const pair of map.items) {
        if (
          isPair(pair) &&
          isScalar(pair.key) &&
          String(pair.key.value) === key &&
          pair.key.range
        ) {
          return this.pos(pair.key.range[0]);
        }
      }
    }
    return this.at(path);
  }

  has(path: Path): boolean {
    return path.length === 0 ? this.doc.contents !== null : this.doc.hasIn(path);
  }

  pos(offset: number): SourcePosition {
    const { line, col } = this.lines.linePos(offset);
    // linePos reports line 0 before the first newline has been seen.
    return { line: Math.max(1, line), col: Math.max(1, col) };
  }
}

/** `events[2].request.demand.cpu` */
export function formatPath(path: Path): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

class IssueList {
  readonly items: ScenarioIssue[] = [];

  add(position: SourcePosition, path: Path, message: string): void {
    this.items.push({ ...position, path: formatPath(path), message });
  }
}

export interface ParseOptions {
  /** Name used in messages, usually the file path. */
  source?: string;
}

/**
 * Parses and checks a scenario. Throws `SliceMeshError` with code `scenario`
 * whose message lists every issue as `source:line:col: path: message`, and
 * whose `details.issues` holds them as `ScenarioIssue`s.
 */
export function parseScenario(text: string, options: ParseOptions = {}): Scenario {
  const source = options.source ?? '<inline>';
  const result = checkScenario(text, options);
  if (result.ok) return result.scenario;
  throw scenarioError(source, result.issues);
}

/** Reads and parses a scenario file; a missing file is a `scenario` error too. */
export async function loadScenarioFile(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : (error as Error).message;
    throw new SliceMeshError('scenario', `cannot read scenario ${path}: ${reason}`, {
      cause: error,
    });
  }
  return parseScenario(text, { source: path });
}

export type CheckResult = { ok: true; scenario: Scenario } | { ok: false; issues: ScenarioIssue[] };

/** Like `parseScenario` but returns the issues instead of throwing. */
export function checkScenario(text: string, options: ParseOptions = {}): CheckResult {
  const source = options.source ?? '<inline>';
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const issues = new IssueList();
  const locator = new Locator(doc, lines);

  for (const error of doc.errors) {
    issues.add(locator.pos(error.pos[0]), [], yamlMessage(error.message));
  }
  if (issues.items.length === 0) checkYamlFeatures(doc, locator, issues);
  if (issues.items.length > 0) return { ok: false, issues: sortIssues(issues.items) };

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    // checkYamlFeatures refuses what toJS throws on; this is the net for anything it missed.
    issues.add({ line: 1, col: 1 }, [], `YAML: ${(error as Error).message}`);
    return { ok: false, issues: issues.items };
  }
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) {
    issues.add(
      locator.at([]),
      [],
      'a scenario is a mapping with name, seed and events (see docs/scenarios.md)',
    );
    return { ok: false, issues: issues.items };
  }

  const header = ScenarioHeader.safeParse(raw);
  if (!header.success) reportZod(header.error, [], locator, issues);

  const rawEvents = (raw as { events?: unknown }).events;
  const sketches: EventSketch[] = [];
  const parsedEvents: (z.output<typeof EventEntry> | undefined)[] = [];
  if (Array.isArray(rawEvents)) {
    rawEvents.forEach((entry: unknown, index) => {
      const path = ['events', index];
      const parsed = EventEntry.safeParse(entry);
      const kinds = presentKinds(entry);
      if (kinds.length !== 1) {
        const found = kinds.length === 0 ? 'none' : kinds.join(', ');
        issues.add(
          locator.at(path),
          path,
          `an event needs exactly one of ${EVENT_KINDS.join(', ')} (found: ${found})`,
        );
      }
      if (!parsed.success) reportZod(parsed.error, path, locator, issues);
      parsedEvents.push(parsed.success ? parsed.data : undefined);
      sketches.push(sketchEvent(entry, kinds, index, locator));
    });
  }

  const semanticIssues = checkEventOrder(sketches);
  for (const issue of semanticIssues) issues.add(locator.at(issue.path), issue.path, issue.message);

  if (issues.items.length > 0 || !header.success)
    return { ok: false, issues: sortIssues(issues.items) };

  const events = parsedEvents.map((entry, index) => {
    // Every entry parsed, or an issue would have been reported above.
    const e = entry as z.output<typeof EventEntry>;
    return { entry: e, index, position: locator.at(['events', index]) };
  });
  const resolved = resolveDemands(header.data.seed, events);

  const h = header.data;
  const scenario: Scenario = {
    name: h.name,
    seed: h.seed,
    speed: h.speed ?? 'max',
    adaptation: h.adaptation ?? 'on',
    events: resolved,
    source,
    ...(h.description !== undefined ? { description: h.description } : {}),
    ...(h.method !== undefined ? { method: h.method } : {}),
    ...(h.fluctuation !== undefined ? { fluctuation: h.fluctuation } : {}),
  };
  return { ok: true, scenario };
}

/** The error `parseScenario` throws: one line per issue, all issues in `details`. */
export function scenarioError(source: string, issues: readonly ScenarioIssue[]): SliceMeshError {
  const lines = issues.map((i) => `  ${formatIssue(source, i)}`);
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return new SliceMeshError(
    'scenario',
    `${source}: ${count}; nothing was published\n${lines.join('\n')}`,
    {
      details: { source, issues },
    },
  );
}

/** Aliases allowed in one file (also the yaml package's expansion limit). */
const MAX_ALIASES = 100;

/**
 * Refuses the YAML features a scenario has no use for and that would otherwise throw
 * from `toJS` or lose positions: an alias to no anchor, to a mapping or list (which
 * also rules out self-references), more than MAX_ALIASES aliases, merge keys,
 * mappings or lists as keys, and unknown tags (yaml's warnings). Aliases that repeat
 * a single value are fine.
 */
function checkYamlFeatures(doc: Document.Parsed, locator: Locator, issues: IssueList): void {
  const at = (node: unknown): SourcePosition =>
    isNode(node) && node.range ? locator.pos(node.range[0]) : { line: 1, col: 1 };
  const anchors = new Map<string, unknown>();
  let aliases = 0;
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) return;
      if (node.anchor) anchors.set(node.anchor, node);
    },
    Alias: (_key, node, path) => {
      const parent = path[path.length - 1];
      // A merge key is reported once, at the key.
      if (isPair(parent) && isMergeKey(parent.key)) return;
      aliases++;
      if (aliases === MAX_ALIASES + 1) {
        issues.add(
          at(node),
          [],
          `YAML alias: more than ${MAX_ALIASES} aliases in one file; write the values out`,
        );
      }
      const target = anchors.get(node.source);
      if (target === undefined) {
        issues.add(
          at(node),
          [],
          `YAML alias: *${node.source} refers to no anchor before it (define &${node.source} first)`,
        );
      } else if (isMap(target) || isSeq(target)) {
        const what = isMap(target) ? 'mapping' : 'list';
        issues.add(
          at(node),
          [],
          `YAML alias: *${node.source} refers to a ${what}; an alias may only repeat a single value (write the ${what} out)`,
        );
      }
    },
    Pair: (_key, pair) => {
      if (isMergeKey(pair.key)) {
        issues.add(at(pair.key), [], 'YAML merge key "<<" is not supported; write the keys out');
      } else if (isMap(pair.key) || isSeq(pair.key)) {
        const what = isMap(pair.key) ? 'mapping' : 'list';
        issues.add(at(pair.key), [], `YAML: a key must be a single value, not a ${what}`);
      }
    },
  });
  for (const warning of doc.warnings) {
    issues.add(locator.pos(warning.pos[0]), [], `YAML: ${yamlText(warning.message)}`);
  }
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && key.value === '<<' && key.type === 'PLAIN';
}

/** `file.yaml:12:7: events[2].at: …` */
export function formatIssue(source: string, issue: ScenarioIssue): string {
  const where = issue.path === '' ? '' : `${issue.path}: `;
  return `${source}:${issue.line}:${issue.col}: ${where}${issue.message}`;
}

function sortIssues(issues: ScenarioIssue[]): ScenarioIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col);
}

/** The yaml package's messages end with a code such as ` at line 3, column 5:`; positions are reported separately. */
function yamlMessage(message: string): string {
  return `YAML syntax: ${yamlText(message)}`;
}

function yamlText(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

function presentKinds(entry: unknown): EventKind[] {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return [];
  return EVENT_KINDS.filter((k) => k in entry);
}

/** `value[key]` when `value` is a mapping (or list), else undefined. */
function member(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object'
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** What the cross-event checks need of one event, taken from the raw entry when its shape is broken. */
function sketchEvent(
  entry: unknown,
  kinds: EventKind[],
  index: number,
  locator: Locator,
): EventSketch {
  const kind = kinds.length === 1 ? kinds[0] : undefined;
  const body = kind === undefined ? undefined : member(entry, kind);
  const rawId = member(body, 'id');
  // Durations are read from the raw entry so order checks run even when another field is broken.
  const at = parseDuration(member(entry, 'at'));
  const rawLifetime = kind === 'request' ? member(body, 'lifetime') : undefined;
  const lifetime = rawLifetime === undefined ? undefined : parseDuration(rawLifetime);
  const requestId = kinds.includes('request') ? member(member(entry, 'request'), 'id') : undefined;
  return {
    index,
    ...(kind !== undefined ? { kind } : {}),
    ...(typeof rawId === 'string' ? { id: rawId } : {}),
    ...(kind === undefined && typeof requestId === 'string' ? { requestId } : {}),
    ...(at.ok ? { atMs: at.ms } : {}),
    ...(lifetime?.ok ? { lifetimeMs: lifetime.ms } : {}),
    line: locator.at(['events', index]).line,
  };
}

function reportZod(error: z.ZodError, base: Path, locator: Locator, issues: IssueList): void {
  for (const issue of error.issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeysAt(path);
      for (const key of issue.keys) {
        const hint = allowed ? `; allowed here: ${allowed.join(', ')}` : '';
        const misplaced = misplacedKeyHint(path, key);
        issues.add(
          locator.keyAt(path, key),
          [...path, key],
          `unknown key "${key}"${hint}${misplaced ? ` (${misplaced})` : ''}`,
        );
      }
      continue;
    }
    if (path.length > 0 && !locator.has(path)) {
      const key = path[path.length - 1];
      issues.add(locator.at(path), path, `missing required key "${String(key)}"`);
      continue;
    }
    issues.add(locator.at(path), path, zodMessage(issue));
  }
}

function zodMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${article(issue.expected)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'array') return issue.message;
      if (issue.origin === 'string') {
        return issue.minimum === 1
          ? 'must not be empty'
          : `must be at least ${issue.minimum} characters long`;
      }
      return `must be ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters long`;
      return `must be ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    default:
      return issue.message;
  }
}

function article(type: string): string {
  const named: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    int: 'an integer',
    object: 'a mapping',
    array: 'a list',
    boolean: 'true or false',
  };
  return named[type] ?? type;
}
