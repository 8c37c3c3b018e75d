import type { Command } from 'commander';
import { register as intents } from './intents.js';
import { register as agent } from './agent.js';
import { register as interpret } from './interpret.js';
import { register as up } from './up.js';

/** Each CLI command lives in its own module and registers itself here. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [interpret, intents, up, agent];
