/**
 * `slicemesh intents eval --data FILE.jsonl`: runs a labelled set through the
 * interpreter graph and reports the accuracy of the service type, the dominant
 * dimension and each SLA class (and of the whole profile), per-measure
 * confusion and latency percentiles.
 */
import type { Command } from 'commander';
import {
  COST_CLASSES,
  PREFERENCE_DIMENSIONS,
  PRIORITY_CLASSES,
  SERVICE_TYPES,
} from '../../shared/contracts/common.js';
import {
  addInterpreterOptions,
  withInterpreter,
  type InterpreterFlags,
} from '../interpreter-options.js';
import {
  evaluateInterpreter,
  loadEvalFile,
  type EvalMeasure,
  type EvaluationReport,
} from '../../agents/interpreter/index.js';

interface EvalFlags extends InterpreterFlags {
  data: string;
  json?: boolean;
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

/** Human-readable evaluation report. */
export function formatEvaluation(report: EvaluationReport): string {
  const accuracy = ACCURACY_ROWS.map(({ label, measure, value }) => {
    const v = value(report);
    const figure = v === null ? 'not measured' : `${(v * 100).toFixed(1)} %`;
    return `${`${label} accuracy`.padEnd(22)}${figure.padEnd(13)}(${report.coverage[measure]} of ${report.n} lines)`;
  });
  const { confusion } = report;
  return [
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
      'Run every line of a labelled JSONL file through the interpreter graph and print the accuracy of the\n' +
        'service type, the dominant dimension, the latency, reliability and cost classes and the whole profile\n' +
        '(service type and all three classes right), confusion tables and time per request p50/p99.\n' +
        'A line is {"text","serviceType","dominant"} with optional "latency", "reliability" (high | medium |\n' +
        'best-effort) and "cost" (cost-sensitive | general); a line counts only for the measures it is\n' +
        'labelled for, the report says how many lines each measure covers, and a measure no line covers\n' +
        'is reported as not measured (null in JSON).',
    )
    .requiredOption('--data <file>', 'evaluation set, e.g. scenarios/knowledge/intents-eval.jsonl')
    .option(
      '--json',
      'print { n, serviceTypeAccuracy, dominantAccuracy, latencyAccuracy, reliabilityAccuracy, costAccuracy,\n' +
        'profileAccuracy, coverage, p50Ms, p99Ms, confusion, degraded } as JSON',
    )
    .action(async (flags: EvalFlags) => {
      const lines = await loadEvalFile(flags.data);
      await withInterpreter(flags, async (interpreter) => {
        stderr(`evaluating ${lines.length} requests with ${interpreter.reasoner}…`);
        const step = Math.max(1, Math.floor(lines.length / 10));
        const report = await evaluateInterpreter(interpreter, lines, (done, total) => {
          if (done % step === 0 || done === total) stderr(`  ${done}/${total}`);
        });
        process.stdout.write(`${flags.json ? JSON.stringify(report) : formatEvaluation(report)}\n`);
      });
    });
}
