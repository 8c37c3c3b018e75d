/**
 * `slicemesh intents eval --data FILE.jsonl`: runs a labelled set through the
 * interpreter graph and reports service-type and dominant-dimension accuracy,
 * per-class confusion and latency percentiles.
 */
import type { Command } from 'commander';
import { PREFERENCE_DIMENSIONS, SERVICE_TYPES } from '../../shared/contracts/common.js';
import {
  addInterpreterOptions,
  withInterpreter,
  type InterpreterFlags,
} from '../interpreter-options.js';
import {
  evaluateInterpreter,
  loadEvalFile,
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

/** Human-readable evaluation report. */
export function formatEvaluation(report: EvaluationReport): string {
  return [
    `requests              ${report.n}${report.degraded > 0 ? `   (${report.degraded} degraded)` : ''}`,
    `service-type accuracy ${(report.serviceTypeAccuracy * 100).toFixed(1)} %`,
    `dominant accuracy     ${(report.dominantAccuracy * 100).toFixed(1)} %`,
    `latency               p50 ${report.p50Ms.toFixed(2)} ms   p99 ${report.p99Ms.toFixed(2)} ms`,
    '',
    confusionTable('actual \\ predicted', SERVICE_TYPES, report.serviceTypeConfusion),
    '',
    confusionTable('actual \\ predicted', PREFERENCE_DIMENSIONS, report.dominantConfusion),
  ].join('\n');
}

export function register(program: Command): void {
  const intents = program
    .command('intents')
    .description('Work with the labelled intent data of the interpreter.');
  addInterpreterOptions(intents.command('eval'))
    .description(
      'Run every line of a labelled JSONL file ({"text","serviceType","dominant"}) through the interpreter graph\n' +
        'and print service-type accuracy, dominant-dimension accuracy, per-class confusion and latency p50/p99.',
    )
    .requiredOption('--data <file>', 'evaluation set, e.g. scenarios/knowledge/intents-eval.jsonl')
    .option('--json', 'print { n, serviceTypeAccuracy, dominantAccuracy, p50Ms, p99Ms } as JSON')
    .action(async (flags: EvalFlags) => {
      const lines = await loadEvalFile(flags.data);
      await withInterpreter(flags, async (interpreter) => {
        stderr(`evaluating ${lines.length} requests with ${interpreter.reasoner}…`);
        const step = Math.max(1, Math.floor(lines.length / 10));
        const report = await evaluateInterpreter(interpreter, lines, (done, total) => {
          if (done % step === 0 || done === total) stderr(`  ${done}/${total}`);
        });
        if (flags.json) {
          const { n, serviceTypeAccuracy, dominantAccuracy, p50Ms, p99Ms } = report;
          process.stdout.write(
            `${JSON.stringify({ n, serviceTypeAccuracy, dominantAccuracy, p50Ms, p99Ms })}\n`,
          );
        } else {
          process.stdout.write(`${formatEvaluation(report)}\n`);
        }
      });
    });
}
