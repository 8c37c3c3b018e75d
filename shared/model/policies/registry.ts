/**
 * Registry of placement methods by name. The built-in baselines register in
 * ./index.ts; other modules (the PPO policies) call `registerPolicy` and then
 * appear in `slicemesh eval` once their module is imported.
 */
import { SliceMeshError } from '../../contracts/errors.js';
import { DEFAULT_MODEL_CONFIG } from '../config.js';
import type { Policy, PolicyFactory, PolicyOptions } from './types.js';

export interface PolicyRegistration {
  readonly name: string;
  readonly description: string;
  readonly factory: PolicyFactory;
  /**
   * False for a method that decides a whole request sequence at once (the
   * exact oracle): it runs in evaluation episodes, not as the live
   * orchestrator, which places one slice at a time.
   */
  readonly online: boolean;
}

const registry = new Map<string, PolicyRegistration>();

const NAME = /^[a-z][a-z0-9-]{0,63}$/;

/** Registers a method; throws `duplicate` if the name is taken (unless `replace`). */
export function registerPolicy(
  name: string,
  factory: PolicyFactory,
  options: { description?: string; replace?: boolean; online?: boolean } = {},
): void {
  if (!NAME.test(name)) {
    throw new SliceMeshError(
      'config',
      `policy name "${name}" must be lower-case letters, digits and "-"`,
    );
  }
  if (registry.has(name) && options.replace !== true) {
    throw new SliceMeshError('duplicate', `a policy named "${name}" is already registered`);
  }
  registry.set(name, {
    name,
    description: options.description ?? '',
    factory,
    online: options.online ?? true,
  });
}

export function listPolicies(): PolicyRegistration[] {
  return [...registry.values()];
}

export function hasPolicy(name: string): boolean {
  return registry.has(name);
}

/** Names of the registered methods that can place slices one at a time (see `online`). */
export function onlinePolicies(): string[] {
  return [...registry.values()].filter((r) => r.online).map((r) => r.name);
}

/** Instantiates a registered method; throws `config` naming the known ones when unknown. */
export async function createPolicy(
  name: string,
  options: Partial<PolicyOptions> = {},
): Promise<Policy> {
  const entry = registry.get(name);
  if (entry === undefined) {
    throw new SliceMeshError(
      'config',
      `unknown method "${name}"; known: ${[...registry.keys()].join(', ') || '(none)'}`,
    );
  }
  return entry.factory({ config: options.config ?? DEFAULT_MODEL_CONFIG, seed: options.seed ?? 0 });
}
