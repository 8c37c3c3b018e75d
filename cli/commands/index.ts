import type { Command } from 'commander';
import { register as intents } from './intents.js';
import { register as evaluate } from './eval.js';
import { register as agent } from './agent.js';
import { register as interpret } from './interpret.js';
import { register as replay } from './replay.js';
import { register as request } from './request.js';
import { register as status } from './status.js';
import { register as train } from './train.js';
import { register as up } from './up.js';

/** Each CLI command lives in its own module and registers itself here. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [interpret, intents, train, up, agent, request, status, replay, evaluate];
