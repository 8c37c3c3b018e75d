/**
 * Resource demands of a scenario's slices: explicit ones are kept; missing
 * ones are drawn from the scenario seed, one independent stream per slice id
 * (so adding a slice never changes another slice's demand). A surge changes
 * no demand: it is traffic on the slice (a load factor), not a request.
 */
import type { z } from 'zod';
import { SERVICE_TYPES, type ResourceDemand, type ServiceType } from '../contracts/index.js';
import { DEFAULT_CLASS_MIX } from '../model/generator.js';
import { deriveSeed, createRng } from '../random.js';
import type { EventEntry } from './schema.js';
import type { ScenarioEvent, SourcePosition } from './types.js';

/** Inclusive integer ranges a slice's CPU and memory demand is drawn from. */
export interface DemandRange {
  readonly cpu: readonly [number, number];
  readonly mem: readonly [number, number];
}

const fromModel = (t: ServiceType): DemandRange => {
  const r = DEFAULT_CLASS_MIX.demand[t];
  return { cpu: [r.cpu.min, r.cpu.max], mem: [r.mem.min, r.mem.max] };
};

/**
 * The case-study model's demand ranges per service type (paper §IV-B: "one
 * demands 2∼5 CPU and 2∼4 memory units, while another requires 3∼6 units of
 * both"), so drawn demands look like the ones `slicemesh eval` generates.
 */
export const DEMAND_RANGES: Readonly<Record<ServiceType, DemandRange>> = {
  URLLC: fromModel('URLLC'),
  eMBB: fromModel('eMBB'),
  mMTC: fromModel('mMTC'),
};

/** Used when the file does not state the service type (the interpreter infers it later): the union of all ranges. */
export const UNTYPED_DEMAND_RANGE: DemandRange = {
  cpu: [
    Math.min(...SERVICE_TYPES.map((t) => DEMAND_RANGES[t].cpu[0])),
    Math.max(...SERVICE_TYPES.map((t) => DEMAND_RANGES[t].cpu[1])),
  ],
  mem: [
    Math.min(...SERVICE_TYPES.map((t) => DEMAND_RANGES[t].mem[0])),
    Math.max(...SERVICE_TYPES.map((t) => DEMAND_RANGES[t].mem[1])),
  ],
};

/** Draws a slice's demand from the scenario seed; same seed and id → same demand. */
export function drawDemand(
  seed: number,
  sliceId: string,
  serviceType?: ServiceType,
): ResourceDemand {
  const range = serviceType ? DEMAND_RANGES[serviceType] : UNTYPED_DEMAND_RANGE;
  const rng = createRng(deriveSeed(seed, 'scenario-demand', sliceId));
  return { cpu: rng.int(range.cpu[0], range.cpu[1]), mem: rng.int(range.mem[0], range.mem[1]) };
}

interface Entry {
  readonly entry: z.output<typeof EventEntry>;
  readonly index: number;
  readonly position: SourcePosition;
}

/** Turns checked entries into scenario events with every request's demand resolved. */
export function resolveDemands(seed: number, entries: readonly Entry[]): ScenarioEvent[] {
  return entries.map(({ entry, index, position }): ScenarioEvent => {
    const base = { index, atMs: entry.at, position };
    if (entry.request) {
      const r = entry.request;
      return {
        ...base,
        kind: 'request',
        sliceId: r.id,
        text: r.text,
        // Only the stated type: a truth must not change what the mesh is sent.
        demand: r.demand ?? drawDemand(seed, r.id, r.sla?.serviceType),
        demandSource: r.demand ? 'explicit' : 'seed',
        ...(r.sla !== undefined ? { sla: r.sla } : {}),
        ...(r.truth !== undefined ? { truth: r.truth } : {}),
        ...(r.lifetime !== undefined ? { lifetimeMs: r.lifetime } : {}),
      };
    }
    if (entry.change) {
      const c = entry.change;
      return {
        ...base,
        kind: 'change',
        sliceId: c.id,
        ...(c.text !== undefined ? { text: c.text } : {}),
        ...(c.sla !== undefined ? { sla: c.sla } : {}),
        ...(c.demand !== undefined ? { demand: c.demand } : {}),
      };
    }
    if (entry.surge) {
      return { ...base, kind: 'surge', sliceId: entry.surge.id, factor: entry.surge.factor };
    }
    // The parser guarantees exactly one kind per event.
    const t = entry.terminate as NonNullable<typeof entry.terminate>;
    return {
      ...base,
      kind: 'terminate',
      sliceId: t.id,
      ...(t.reason !== undefined ? { reason: t.reason } : {}),
    };
  });
}
