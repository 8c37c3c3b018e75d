/** Options of the commands that run the interpreter graph in process. */
import { Option, type Command } from 'commander';
import { REASONER_KINDS, type ReasonerKind } from '../agents/interpreter/index.js';

/** The flags `addInterpreterOptions` defines. */
export interface InterpreterFlags {
  reasoner?: ReasonerKind;
  index?: 'chroma' | 'memory';
  knowledge?: string;
}

/** `--reasoner`, `--index`, `--knowledge`: how an in-process interpreter is set up. */
export function addInterpreterOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--reasoner <kind>',
        'reasoning step (default: SLICEMESH_REASONER or offline)',
      ).choices(REASONER_KINDS),
    )
    .addOption(
      new Option(
        '--index <kind>',
        'retrieval index: chroma (default) or an in-process memory index',
      ).choices(['chroma', 'memory']),
    )
    .option(
      '--knowledge <file>',
      'knowledge base to bootstrap (default: the shipped scenarios/knowledge/intents.jsonl)',
    );
}
