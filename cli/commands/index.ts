import type { Command } from 'commander';

/** Each CLI command lives in its own module and registers itself. */
export type RegisterCommand = (program: Command) => void;

interface CommandModule {
  register: RegisterCommand;
}

/**
 * Command name → its module, loaded on demand: `slicemesh status` should not
 * pay for TensorFlow.js and LangChain, which `train` and `interpret` import.
 * To add a command, add one line here.
 */
export const commandModules: Readonly<Record<string, () => Promise<CommandModule>>> = {
  up: () => import('./up.js'),
  agent: () => import('./agent.js'),
  replay: () => import('./replay.js'),
  request: () => import('./request.js'),
  status: () => import('./status.js'),
  security: () => import('./security.js'),
  interpret: () => import('./interpret.js'),
  intents: () => import('./intents.js'),
  eval: () => import('./eval.js'),
  train: () => import('./train.js'),
};

/**
 * The registrations needed for `argv`: only the named command when there is
 * one, every command otherwise (top-level help, an unknown command).
 */
export async function commandsFor(argv: readonly string[]): Promise<RegisterCommand[]> {
  const name = argv.find((arg) => !arg.startsWith('-'));
  const only = name === undefined ? undefined : commandModules[name];
  const loaders = only ? [only] : Object.values(commandModules);
  const modules = await Promise.all(loaders.map((load) => load()));
  return modules.map((module) => module.register);
}
