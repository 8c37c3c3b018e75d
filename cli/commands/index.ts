import type { Command } from 'commander';

/** Each CLI command lives in its own module and registers itself here. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [];
