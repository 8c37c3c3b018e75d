import { Command } from 'commander';
import { isSliceMeshError } from '../shared/contracts/index.js';
import { commandsFor } from './commands/index.js';

const program = new Command()
  .name('slicemesh')
  .description(
    'QoE-aware network-slice management for Industrial IoT: a multi-agent mesh over NATS.\n' +
      'With no NATS_URL / CHROMA_URL set, commands that need them start their own servers under .data/.',
  )
  .showHelpAfterError()
  .enablePositionalOptions();

for (const register of await commandsFor(process.argv.slice(2))) register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Typed errors are expected outcomes (bad input, missing dependency): print
  // the message without a stack trace; anything else is a bug and keeps it.
  if (isSliceMeshError(error)) {
    process.stderr.write(`slicemesh: ${error.code}: ${error.message}\n`);
  } else {
    process.stderr.write(
      `slicemesh: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exitCode = 1;
}
