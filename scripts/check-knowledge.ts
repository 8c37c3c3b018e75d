/**
 * Checks the labelled intent knowledge base and the evaluation set against the labelling rules
 * in docs/knowledge-base.md, and prints the class and dimension mix as Markdown tables.
 *
 *   npx tsx scripts/check-knowledge.ts          # tables + rule violations, exit 1 on any violation
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  COST_CLASSES,
  CostClass,
  LatencyClass,
  PREFERENCE_DIMENSIONS,
  PreferenceVector,
  PRIORITY_CLASSES,
  ReliabilityClass,
  SERVICE_TYPES,
  ServiceType,
  type PreferenceDimension,
} from '../shared/contracts/common.js';
import { EvalLine } from '../agents/interpreter/index.js';

export const KNOWLEDGE_PATH = 'scenarios/knowledge/intents.jsonl';
export const EVALUATION_PATH = 'scenarios/knowledge/intents-eval.jsonl';

/** One ⟨intent text, classes, preference vector⟩ entry of the knowledge base. */
export const KnowledgeEntry = z
  .object({
    id: z.string().regex(/^kb-\d{4}$/),
    text: z.string().min(15),
    serviceType: ServiceType,
    latency: LatencyClass,
    reliability: ReliabilityClass,
    cost: CostClass,
    preference: PreferenceVector,
  })
  .strict();
export type KnowledgeEntry = z.infer<typeof KnowledgeEntry>;

/**
 * One held-out request with its service type, dominant preference dimension and (optional in the
 * schema, required of the shipped file by `missingEvalLabels`) its classes: the evaluation line
 * `intents eval` reads, with no other key allowed.
 */
export const EvalEntry = EvalLine.extend({ text: z.string().min(15) }).strict();
export type EvalEntry = z.infer<typeof EvalEntry>;

/** The class labels every shipped evaluation line must carry. */
export const EVAL_CLASS_LABELS = ['latency', 'reliability', 'cost'] as const;

const projectRoot = new URL('../', import.meta.url);

/** Reads a JSONL file relative to the project root; throws naming the line that fails the schema. */
export function readJsonl<T>(relative: string, schema: z.ZodType<T>): T[] {
  const raw = readFileSync(new URL(relative, projectRoot), 'utf8');
  const result: T[] = [];
  raw.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new Error(`${relative} line ${index + 1}: not JSON (${String(error)})`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new Error(`${relative} line ${index + 1}: ${parsed.error.message}`);
    result.push(parsed.data);
  });
  return result;
}

export const loadKnowledge = (): KnowledgeEntry[] => readJsonl(KNOWLEDGE_PATH, KnowledgeEntry);
export const loadEvaluation = (): EvalEntry[] => readJsonl(EVALUATION_PATH, EvalEntry);

/** Lower-case, punctuation stripped, whitespace collapsed: what "the same text" means here. */
export function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function wordSet(text: string): Set<string> {
  return new Set(normalise(text).split(' '));
}

export function jaccard(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const word of a) if (b.has(word)) shared += 1;
  return shared / (a.size + b.size - shared);
}

/** Number of dimensions whose weight is strictly larger than `dim`'s (0 = it is a maximum). */
export function rankOf(pref: PreferenceVector, dim: PreferenceDimension): number {
  return PREFERENCE_DIMENSIONS.filter((other) => pref[other] > pref[dim]).length;
}

/** The single largest dimension, or 'tie' when two or more share the maximum. */
export function dominantOf(pref: PreferenceVector): PreferenceDimension | 'tie' {
  const top = PREFERENCE_DIMENSIONS.filter((dim) => rankOf(pref, dim) === 0);
  return top.length === 1 && top[0] !== undefined ? top[0] : 'tie';
}

/** Returns the labelling rules one knowledge-base entry breaks (empty when it is consistent). */
export function ruleViolations(entry: KnowledgeEntry): string[] {
  const p = entry.preference;
  const dominant = dominantOf(p);
  const found: string[] = [];
  const check = (ok: boolean, rule: string): void => {
    if (!ok) found.push(rule);
  };
  for (const dim of PREFERENCE_DIMENSIONS) {
    check(
      Math.abs(p[dim] * 100 - Math.round(p[dim] * 100)) < 1e-9,
      `${dim} has at most 2 decimals`,
    );
  }
  check(dominant !== 'tie', 'a single dominant dimension');
  if (entry.latency === 'high') {
    check(
      rankOf(p, 'latency') <= 1 && p.latency >= 0.25,
      'latency high: latency in top two and ≥ 0.25',
    );
  }
  if (entry.latency === 'best-effort') {
    check(
      p.latency <= 0.2 && dominant !== 'latency',
      'latency best-effort: latency ≤ 0.20, not dominant',
    );
  }
  if (entry.reliability === 'high')
    check(p.reliability >= 0.2, 'reliability high: reliability ≥ 0.20');
  if (entry.reliability === 'best-effort') {
    check(
      p.reliability <= 0.2 && dominant !== 'reliability',
      'reliability best-effort: reliability ≤ 0.20, not dominant',
    );
  }
  if (entry.cost === 'cost-sensitive')
    check(p.economics >= 0.25, 'cost-sensitive: economics ≥ 0.25');
  if (entry.cost === 'general') check(p.economics <= 0.2, 'general: economics ≤ 0.20');
  found.push(...profileViolations(entry, dominant));
  return found;
}

/** The labels the service-type rules look at; a class left out is not checked. */
interface LabelledProfile {
  readonly serviceType: ServiceType;
  readonly latency?: LatencyClass | undefined;
  readonly reliability?: ReliabilityClass | undefined;
}

/** The service-type rules of the rules table: they constrain classes and dominant dimension, not weights. */
function profileViolations(
  entry: LabelledProfile,
  dominant: PreferenceDimension | 'tie',
): string[] {
  const found: string[] = [];
  const check = (ok: boolean, rule: string): void => {
    if (!ok) found.push(rule);
  };
  const { latency, reliability } = entry;
  if (entry.serviceType === 'URLLC') {
    if (latency !== undefined) check(latency !== 'best-effort', 'URLLC: latency not best-effort');
    if (latency !== undefined && reliability !== undefined) {
      check(latency === 'high' || reliability === 'high', 'URLLC: latency or reliability high');
    }
    check(
      dominant === 'latency' || dominant === 'reliability',
      'URLLC: latency or reliability dominant',
    );
  }
  if (entry.serviceType === 'mMTC' && latency !== undefined)
    check(latency !== 'high', 'mMTC: latency not high');
  if (dominant === 'throughput')
    check(entry.serviceType === 'eMBB', 'throughput dominant: eMBB only');
  return found;
}

/**
 * Returns the labelling rules one evaluation line breaks. Without a vector, the rules that still
 * apply are the service-type rules and what the vector rules imply for the dominant dimension: a
 * dominant weight exceeds 0.25, so it cannot belong to a best-effort latency or reliability class
 * (≤ 0.20, not dominant) nor be economics under `general` (≤ 0.20). Every other combination of
 * dominant dimension and classes has a vector that satisfies the table.
 */
export function evalRuleViolations(entry: EvalEntry): string[] {
  const found = profileViolations(entry, entry.dominant);
  const check = (ok: boolean, rule: string): void => {
    if (!ok) found.push(rule);
  };
  if (entry.dominant === 'latency' && entry.latency !== undefined)
    check(entry.latency !== 'best-effort', 'latency dominant: latency class not best-effort');
  if (entry.dominant === 'reliability' && entry.reliability !== undefined) {
    check(
      entry.reliability !== 'best-effort',
      'reliability dominant: reliability class not best-effort',
    );
  }
  if (entry.dominant === 'economics' && entry.cost !== undefined)
    check(entry.cost === 'cost-sensitive', 'economics dominant: cost-sensitive');
  return found;
}

/** The class labels an evaluation line lacks (the shipped set labels all of them). */
export function missingEvalLabels(entry: EvalEntry): string[] {
  return EVAL_CLASS_LABELS.filter((label) => entry[label] === undefined);
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** Markdown table: one row per service type, one column per value of `column`, plus totals. */
function crossTable<T extends { serviceType: string }>(
  items: readonly T[],
  columns: readonly string[],
  column: (item: T) => string,
  title: string,
): string {
  const header = `| ${title} | ${columns.join(' | ')} | total |`;
  const rule = `|${' --- |'.repeat(columns.length + 2)}`;
  const rows = [...SERVICE_TYPES, 'total'].map((type) => {
    const subset = type === 'total' ? items : items.filter((i) => i.serviceType === type);
    const counts = countBy(subset, column);
    return `| ${type} | ${columns.map((c) => counts[c] ?? 0).join(' | ')} | ${subset.length} |`;
  });
  return [header, rule, ...rows].join('\n');
}

/** The class and dimension mix of both files as Markdown. */
export function summarise(
  knowledge: readonly KnowledgeEntry[],
  evaluation: readonly EvalEntry[],
): string {
  return [
    `Knowledge base: ${knowledge.length} entries`,
    crossTable(knowledge, PREFERENCE_DIMENSIONS, (e) => dominantOf(e.preference), 'dominant'),
    crossTable(knowledge, ['high', 'medium', 'best-effort'], (e) => e.latency, 'latency class'),
    crossTable(
      knowledge,
      ['high', 'medium', 'best-effort'],
      (e) => e.reliability,
      'reliability class',
    ),
    crossTable(knowledge, ['cost-sensitive', 'general'], (e) => e.cost, 'cost class'),
    `Evaluation set: ${evaluation.length} entries`,
    crossTable(evaluation, PREFERENCE_DIMENSIONS, (e) => e.dominant, 'dominant'),
    ...EVAL_CLASS_LABELS.map((label) => {
      const values: readonly string[] = label === 'cost' ? COST_CLASSES : PRIORITY_CLASSES;
      // The column appears only when it has something to show (partly labelled sets).
      const unlabelled = evaluation.some((e) => e[label] === undefined) ? ['unlabelled'] : [];
      return crossTable(
        evaluation,
        [...values, ...unlabelled],
        (e) => e[label] ?? 'unlabelled',
        `${label} class`,
      );
    }),
  ].join('\n\n');
}

function main(): void {
  const knowledge = loadKnowledge();
  const evaluation = loadEvaluation();
  console.log(summarise(knowledge, evaluation));
  const broken = [
    ...knowledge.flatMap((e) => ruleViolations(e).map((rule) => `${e.id}: ${rule}`)),
    ...evaluation.flatMap((e, i) =>
      [...evalRuleViolations(e), ...missingEvalLabels(e).map((label) => `no ${label} label`)].map(
        (rule) => `${EVALUATION_PATH} line ${i + 1}: ${rule}`,
      ),
    ),
  ];
  for (const line of broken) console.error(line);
  if (broken.length > 0) process.exitCode = 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
