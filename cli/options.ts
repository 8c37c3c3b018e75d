/**
 * Option groups shared by several commands, defined once so their names,
 * choices and help texts cannot drift apart. (The interpreter's options are
 * in interpreter-options.ts, so commands that do not run it stay light.)
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  COST_CLASSES,
  PRIORITY_CLASSES,
  SERVICE_TYPES,
  TenantId,
  type SlaClasses,
} from '../shared/contracts/common.js';

/** The flags `addSlaOptions` defines, as commander parses them. */
export interface SlaFlags {
  slaServiceType?: SlaClasses['serviceType'];
  slaLatency?: SlaClasses['latency'];
  slaReliability?: SlaClasses['reliability'];
  slaCost?: SlaClasses['cost'];
}

/** `--sla-service-type/--sla-latency/--sla-reliability/--sla-cost`: explicit SLA classes. */
export function addSlaOptions(command: Command): Command {
  const explicit = (flag: string, what: string, choices: readonly string[]) =>
    new Option(flag, `explicit ${what} (overrides the inferred one)`).choices(choices);
  return command
    .addOption(explicit('--sla-service-type <type>', 'service type', SERVICE_TYPES))
    .addOption(explicit('--sla-latency <class>', 'latency class', PRIORITY_CLASSES))
    .addOption(explicit('--sla-reliability <class>', 'reliability class', PRIORITY_CLASSES))
    .addOption(explicit('--sla-cost <class>', 'cost class', COST_CLASSES));
}

/** The SLA classes the user stated; empty when none. */
export function slaFromFlags(flags: SlaFlags): SlaClasses {
  return {
    ...(flags.slaServiceType ? { serviceType: flags.slaServiceType } : {}),
    ...(flags.slaLatency ? { latency: flags.slaLatency } : {}),
    ...(flags.slaReliability ? { reliability: flags.slaReliability } : {}),
    ...(flags.slaCost ? { cost: flags.slaCost } : {}),
  };
}

/** Parses a positive whole number of milliseconds (commander argParser). */
function parseMs(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0)
    throw new InvalidArgumentError('expected a positive whole number of milliseconds');
  return ms;
}

/** `--grace-ms <ms>` of the commands that run agents: how long each shutdown phase may take. */
export function graceMsOption(): Option {
  return new Option('--grace-ms <ms>', 'time each shutdown phase may take')
    .default(15_000)
    .argParser(parseMs);
}

function parseTenant(value: string): string {
  const parsed = TenantId.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError('use 1-64 letters, digits, "_" or "-"');
  return parsed.data;
}

/**
 * `--tenant <tenant>` of the commands that act for a tenant; unset, they use
 * SLICEMESH_TENANT (`mesh.tenant`, default `default`).
 */
export function tenantOption(what: string): Option {
  return new Option(
    '--tenant <tenant>',
    `${what} (default: SLICEMESH_TENANT or "default")`,
  ).argParser(parseTenant);
}
