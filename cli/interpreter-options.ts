/** Options and set-up of the commands that run the interpreter graph in process. */
import { Option, type Command } from 'commander';
import { loadConfig } from '../shared/runtime/config.js';
import {
  createInterpreter,
  DEFAULT_KNOWLEDGE_PATH,
  openInterpreterResources,
  REASONER_KINDS,
  resourceOptionsFromConfig,
  type Interpreter,
  type ReasonerKind,
} from '../agents/interpreter/index.js';

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

const stderr = (line: string) => process.stderr.write(`${line}\n`);

/**
 * Opens what the flags and the environment select (progress to stderr), builds
 * the interpreter on it, runs `use`, and closes everything it opened.
 */
export async function withInterpreter<T>(
  flags: InterpreterFlags,
  use: (interpreter: Interpreter) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const resources = await openInterpreterResources(
    resourceOptionsFromConfig(config, {
      ...(flags.reasoner ? { reasoner: flags.reasoner } : {}),
      ...(flags.index ? { index: flags.index } : {}),
      onProgress: stderr,
    }),
  );
  try {
    const interpreter = await createInterpreter(
      { provider: resources.provider, store: resources.store, reasoner: resources.reasoner },
      {
        namespace: config.mesh.namespace,
        knowledge: flags.knowledge ?? DEFAULT_KNOWLEDGE_PATH,
      },
    );
    return await use(interpreter);
  } finally {
    await resources.close();
  }
}
