/**
 * `slicemesh interpret "TEXT"`: runs one request through the interpreter
 * graph in this process and prints the preference vector, slice profile,
 * confidence, rationale and the retrieved examples.
 */
import type { Command } from 'commander';
import { PREFERENCE_DIMENSIONS } from '../../shared/contracts/common.js';
import {
  addInterpreterOptions,
  withInterpreter,
  type InterpreterFlags,
} from '../interpreter-options.js';
import { addSlaOptions, slaFromFlags, type SlaFlags } from '../options.js';
import { dominantDimension, type Interpretation } from '../../agents/interpreter/index.js';

interface InterpretFlags extends SlaFlags, InterpreterFlags {
  json?: boolean;
}

/** Human-readable rendering of one interpretation. */
export function formatInterpretation(result: Interpretation): string {
  const p = result.preference;
  const dominant = dominantDimension(p);
  const lines = [
    `preference   ${PREFERENCE_DIMENSIONS.map((d) => `${d} ${p[d].toFixed(3)}`).join('  ')}   (dominant: ${dominant})`,
    `profile      ${result.profile.serviceType} · latency ${result.profile.latency} · reliability ${result.profile.reliability} · cost ${result.profile.cost}`,
    `confidence   ${result.confidence.toFixed(2)}   reasoner ${result.reasoner}${result.degraded ? '   DEGRADED (fallback answer)' : ''}`,
    `rationale    ${result.rationale}`,
    result.neighbours.length === 0 ? 'neighbours   (none)' : 'neighbours',
    ...result.neighbours.map(
      (n) =>
        `  ${n.id.padEnd(14)} ${n.source.padEnd(9)} similarity ${n.similarity.toFixed(3)}  weight ${n.weight.toFixed(3)}`,
    ),
  ];
  return lines.join('\n');
}

export function register(program: Command): void {
  const command = program
    .command('interpret')
    .description(
      'Infer the QoE preference vector and slice profile of a natural-language slice request.\n' +
        'Runs the interpreter graph in this process against CHROMA_URL, the Chroma of a running mesh, or an embedded one.',
    )
    .argument('<text>', 'the slice request, e.g. "AGV fleet control, 10 ms, 99.999 % availability"')
    .option('--json', 'print the answer as JSON');
  addSlaOptions(command);
  addInterpreterOptions(command);
  command.action(async (text: string, flags: InterpretFlags) => {
    const sla = slaFromFlags(flags);
    await withInterpreter(flags, async (interpreter) => {
      const result = await interpreter.interpret({
        text,
        sla: Object.keys(sla).length > 0 ? sla : undefined,
      });
      process.stdout.write(
        flags.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatInterpretation(result)}\n`,
      );
    });
  });
}
