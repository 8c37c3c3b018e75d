/**
 * `slicemesh intents eval --data FILE.jsonl | --generated FIRST[:COUNT]`: runs
 * a labelled set, or the generated request descriptions of held-out seeds of
 * the case-study model, through the interpreter graph and reports the accuracy
 * of the service type, the dominant dimension and each SLA class (and of the
 * whole profile), per-measure confusion and latency percentiles.
 */
import type { Command } from 'commander';
import {
  COST_CLASSES,
  PREFERENCE_DIMENSIONS,
  PRIORITY_CLASSES,
  SERVICE_TYPES,
} from '../../shared/contracts/common.js';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import { isEvaluationSeed, isTrainingSeed, SEED_RANGES } from '../../shared/model/config.js';
import { generateInstance } from '../../shared/model/generator.js';
import {
  addInterpreterOptions,
  withInterpreter,
  type InterpreterFlags,
} from '../interpreter-options.js';
import {
  evaluateInterpreter,
  loadEvalFile,
  type EvalItem,
  type EvalMeasure,
  type EvaluationReport,
} from '../../agents/interpreter/index.js';

interface EvalFlags extends InterpreterFlags {
  data?: string;
  generated?: string;
  json?: boolean;
}

/** Seeds `--generated FIRST` evaluates when no count is given. */
export const DEFAULT_GENERATED_SEEDS = 5;
/** Requests per generated instance: the instance size of the case-study evaluation. */
export const GENERATED_REQUESTS_PER_SEED = 20;

/** What an evaluation was measured on; `--json` prints it as `source`. */
export type EvalSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'generated'; readonly firstSeed: number; readonly seeds: number };

const { min: EVAL_MIN, max: EVAL_MAX } = SEED_RANGES.evaluation;

/**
 * Parses `--generated FIRST[:COUNT]`; a `config` error unless every seed is a
 * held-out evaluation seed (training seeds' requests are what the policies
 * learned from, so they must not be reported as held-out figures).
 */
export function parseGeneratedSeeds(spec: string): { firstSeed: number; seeds: number } {
  const match = /^(\d+)(?::(\d+))?$/.exec(spec.trim());
  if (match === null) {
    throw new SliceMeshError(
      'config',
      `--generated expects <first>[:<count>] (e.g. ${EVAL_MIN}:${DEFAULT_GENERATED_SEEDS}), got "${spec}"`,
    );
  }
  const firstSeed = Number(match[1]);
  const seeds = match[2] === undefined ? DEFAULT_GENERATED_SEEDS : Number(match[2]);
  if (!Number.isSafeInteger(seeds) || seeds < 1) {
    throw new SliceMeshError('config', `--generated ${spec}: the seed count must be at least 1`);
  }
  const lastSeed = firstSeed + seeds - 1;
  if (!isEvaluationSeed(firstSeed) || !isEvaluationSeed(lastSeed)) {
    const { min: trainMin, max: trainMax } = SEED_RANGES.training;
    const why = isTrainingSeed(firstSeed)
      ? `seed ${firstSeed} is a training seed (${trainMin}..${trainMax})`
      : `seeds ${firstSeed}..${lastSeed} reach outside the held-out range`;
    throw new SliceMeshError(
      'config',
      `--generated ${spec}: ${why}; generated requests are evaluated only on the held-out evaluation seeds ${EVAL_MIN}..${EVAL_MAX}`,
    );
  }
  return { firstSeed, seeds };
}

/**
 * Every request of `generateInstance(seed, 20)` for `seeds` seeds from
 * `firstSeed`, as an evaluation item: its description as the text, its
 * profile as the labels, no dominant label (the generator has none).
 */
export function generatedEvalItems(firstSeed: number, seeds: number): EvalItem[] {
  return Array.from({ length: seeds }, (_, i) =>
    generateInstance(firstSeed + i, GENERATED_REQUESTS_PER_SEED).requests.map(
      ({ description, profile }): EvalItem => ({
        text: description,
        serviceType: profile.serviceType,
        latency: profile.latency,
        reliability: profile.reliability,
        cost: profile.cost,
      }),
    ),
  ).flat();
}

/** `--data` xor `--generated`, as a source; `config` error for neither or both. */
function sourceOf(flags: EvalFlags): EvalSource {
  if (flags.data !== undefined && flags.generated !== undefined) {
    throw new SliceMeshError(
      'config',
      '--data and --generated are mutually exclusive: evaluate a labelled file or generated requests, not both',
    );
  }
  if (flags.data !== undefined) return { kind: 'file', path: flags.data };
  if (flags.generated !== undefined) {
    return { kind: 'generated', ...parseGeneratedSeeds(flags.generated) };
  }
  throw new SliceMeshError(
    'config',
    'intents eval needs one of --data <file> or --generated <first>[:<count>]',
  );
}

function describeSource(source: EvalSource): string {
  if (source.kind === 'file') return source.path;
  const last = source.firstSeed + source.seeds - 1;
  const seeds =
    source.seeds === 1 ? `seed ${source.firstSeed}` : `seeds ${source.firstSeed}..${last}`;
  return `generated requests of held-out ${seeds} (${GENERATED_REQUESTS_PER_SEED} per seed)`;
}

const stderr = (line: string) => process.stderr.write(`${line}\n`);

function confusionTable(
  title: string,
  keys: readonly string[],
  matrix: Record<string, Record<string, number>>,
): string {
  const width = Math.max(12, ...keys.map((k) => k.length + 2));
  const header = `${title.padEnd(width)}${keys.map((k) => k.padStart(width)).join('')}`;
  const rows = keys.map(
    (a) =>
      `${a.padEnd(width)}${keys.map((p) => String(matrix[a]?.[p] ?? 0).padStart(width)).join('')}`,
  );
  return [header, ...rows].join('\n');
}

const ACCURACY_ROWS: readonly {
  label: string;
  measure: EvalMeasure;
  value: (r: EvaluationReport) => number | null;
}[] = [
  { label: 'service-type', measure: 'serviceType', value: (r) => r.serviceTypeAccuracy },
  { label: 'dominant', measure: 'dominant', value: (r) => r.dominantAccuracy },
  { label: 'latency', measure: 'latency', value: (r) => r.latencyAccuracy },
  { label: 'reliability', measure: 'reliability', value: (r) => r.reliabilityAccuracy },
  { label: 'cost', measure: 'cost', value: (r) => r.costAccuracy },
  { label: 'profile', measure: 'profile', value: (r) => r.profileAccuracy },
];

/** Human-readable evaluation report, headed by what it was measured on when `source` is given. */
export function formatEvaluation(report: EvaluationReport, source?: EvalSource): string {
  const accuracy = ACCURACY_ROWS.map(({ label, measure, value }) => {
    const v = value(report);
    const figure = v === null ? 'not measured' : `${(v * 100).toFixed(1)} %`;
    return `${`${label} accuracy`.padEnd(22)}${figure.padEnd(13)}(${report.coverage[measure]} of ${report.n} lines)`;
  });
  const { confusion } = report;
  return [
    ...(source ? [`source                ${describeSource(source)}`] : []),
    `requests              ${report.n}${report.degraded > 0 ? `   (${report.degraded} degraded)` : ''}`,
    ...accuracy,
    '                      (profile: service type and all three classes right)',
    `time per request      p50 ${report.p50Ms.toFixed(2)} ms   p99 ${report.p99Ms.toFixed(2)} ms`,
    '',
    'confusion: rows are the labels, columns what the interpreter answered',
    '',
    confusionTable('service type', SERVICE_TYPES, confusion.serviceType),
    '',
    confusionTable('dominant', PREFERENCE_DIMENSIONS, confusion.dominant),
    '',
    confusionTable('latency', PRIORITY_CLASSES, confusion.latency),
    '',
    confusionTable('reliability', PRIORITY_CLASSES, confusion.reliability),
    '',
    confusionTable('cost', COST_CLASSES, confusion.cost),
  ].join('\n');
}

export function register(program: Command): void {
  const intents = program
    .command('intents')
    .description('Work with the labelled intent data of the interpreter.');
  addInterpreterOptions(intents.command('eval'))
    .description(
      'Run labelled requests through the interpreter graph and print the accuracy of the service type, ' +
        'the dominant dimension, the latency, reliability and cost classes and the whole profile ' +
        '(service type and all three classes right), confusion tables and time per request p50/p99. ' +
        'The requests come from exactly one of --data and --generated.',
    )
    .option('--data <file>', 'labelled JSONL file, e.g. scenarios/knowledge/intents-eval.jsonl')
    .option(
      '--generated <first[:count]>',
      `the generated requests of held-out seeds first..first+count-1 of the case-study model ` +
        `(${EVAL_MIN}..${EVAL_MAX}; count default ${DEFAULT_GENERATED_SEEDS})`,
    )
    .option(
      '--json',
      'print { n, serviceTypeAccuracy, dominantAccuracy, latencyAccuracy, reliabilityAccuracy, ' +
        'costAccuracy, profileAccuracy, coverage, p50Ms, p99Ms, confusion, degraded, source } as JSON, ' +
        "source being { kind: 'file', path } or { kind: 'generated', firstSeed, seeds }",
    )
    .addHelpText(
      'after',
      [
        '',
        'Sources:',
        '  --data FILE         one JSON object a line: {"text","serviceType","dominant"} with',
        '                      optional "latency", "reliability" (high | medium | best-effort)',
        '                      and "cost" (cost-sensitive | general)',
        `  --generated F[:N]   every request of generateInstance(seed, ${GENERATED_REQUESTS_PER_SEED}) for the held-out`,
        `                      seeds F..F+N-1 (N default ${DEFAULT_GENERATED_SEEDS}): its generated description as the`,
        '                      text, its profile as the labels; the generator states no dominant',
        '                      dimension, so dominant is not measured',
        'A request counts only for the measures it is labelled for; the report says how many',
        'requests each measure covers, and a measure none covers is reported as not measured',
        '(null in JSON).',
        '',
        'Examples:',
        '  slicemesh intents eval --data scenarios/knowledge/intents-eval.jsonl --index memory',
        `  slicemesh intents eval --generated ${EVAL_MIN}:100 --index memory --json`,
      ].join('\n'),
    )
    .action(async (flags: EvalFlags) => {
      const source = sourceOf(flags);
      const lines: readonly EvalItem[] =
        source.kind === 'file'
          ? await loadEvalFile(source.path)
          : generatedEvalItems(source.firstSeed, source.seeds);
      await withInterpreter(flags, async (interpreter) => {
        stderr(`evaluating ${lines.length} requests with ${interpreter.reasoner}…`);
        const step = Math.max(1, Math.floor(lines.length / 10));
        const report = await evaluateInterpreter(interpreter, lines, (done, total) => {
          if (done % step === 0 || done === total) stderr(`  ${done}/${total}`);
        });
        process.stdout.write(
          `${flags.json ? JSON.stringify({ ...report, source }) : formatEvaluation(report, source)}\n`,
        );
      });
    });
}
