/**
 * The shape of a scenario file, as zod schemas over what the YAML parser
 * produces. Objects are strict: an unknown key is an error, because a typo
 * such as `lifetme:` would otherwise be silently ignored.
 *
 * Only the shape is checked here; cross-event rules (unique ids, order,
 * references) live in `semantics.ts`.
 */
import { z } from 'zod';
import {
  ID_PATTERN,
  Id,
  MAX_LOAD_FACTOR,
  RequestText,
  ResourceDemand,
  SlaClasses,
  SliceProfile,
} from '../contracts/index.js';
import { parseDuration, parseSpeed } from './duration.js';

/** A duration field (`200ms`, `1.5s`, `2m`) turned into milliseconds. */
const Duration = z.unknown().transform((value, ctx) => {
  const result = parseDuration(value);
  if (!result.ok) {
    ctx.addIssue({ code: 'custom', message: result.message });
    return z.NEVER;
  }
  return result.ms;
});

const SpeedField = z.unknown().transform((value, ctx) => {
  const result = parseSpeed(value);
  if (!result.ok) {
    ctx.addIssue({ code: 'custom', message: result.message });
    return z.NEVER;
  }
  return result.speed;
});

export const RequestBody = z.strictObject({
  id: Id,
  text: RequestText,
  sla: SlaClasses.optional(),
  /**
   * What the requester actually needs, for the replay's judge only: never sent
   * to the mesh. Every class is required, since a slice judged against a
   * partial truth would be judged against the interpreter for the rest.
   */
  truth: SliceProfile.optional(),
  demand: ResourceDemand.optional(),
  lifetime: Duration.optional(),
});

export const ChangeBody = z
  .strictObject({
    id: Id,
    text: RequestText.optional(),
    sla: SlaClasses.optional(),
    demand: ResourceDemand.optional(),
  })
  .refine((c) => c.text !== undefined || c.sla !== undefined || c.demand !== undefined, {
    message: 'a change needs at least one of text, sla or demand',
  });

export const TerminateBody = z.strictObject({
  id: Id,
  reason: z.string().max(500).optional(),
});

/** The largest surge factor: what a `TrafficLoad` message accepts. */
export const MAX_SURGE_FACTOR = MAX_LOAD_FACTOR;

export const SurgeBody = z.strictObject({
  id: Id,
  factor: z.number().positive().max(MAX_SURGE_FACTOR),
});

export const EVENT_KINDS = ['request', 'change', 'terminate', 'surge'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const EventEntry = z.strictObject({
  at: Duration,
  request: RequestBody.optional(),
  change: ChangeBody.optional(),
  terminate: TerminateBody.optional(),
  surge: SurgeBody.optional(),
});

export const Fluctuation = z.strictObject({
  /** Relative amplitude of the seeded traffic fluctuation: 0.2 = load varies by up to ±20 %. */
  amplitude: z.number().min(0).lt(1),
});

/** The top level of a scenario file. `events` is checked entry by entry (see the parser). */
export const ScenarioHeader = z.strictObject({
  name: Id.max(64),
  description: z.string().max(2_000).optional(),
  seed: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).default(1),
  method: z
    .string()
    .min(1)
    .max(64)
    .regex(ID_PATTERN, 'only letters, digits, "_" and "-" are allowed')
    .optional(),
  speed: SpeedField.optional(),
  /** off: SLA violations are recorded but slices are never re-placed (the paper's static case study). */
  adaptation: z.enum(['on', 'off']).optional(),
  fluctuation: Fluctuation.optional(),
  events: z.array(z.unknown()).min(1, 'a scenario needs at least one event'),
});

/**
 * Why a key that is valid elsewhere is not accepted at `path`, for "unknown
 * key" messages; undefined when there is nothing more to say.
 */
export function misplacedKeyHint(path: readonly PropertyKey[], key: string): string | undefined {
  const body = path.at(-1);
  if (key === 'truth' && (body === 'change' || body === 'surge' || body === 'terminate')) {
    // A change tells the mesh something new; the truth is what the replay judges the end against.
    return "a slice's truth is given once, on its request, and covers the slice's whole life";
  }
  return undefined;
}

/** Keys an object at `path` accepts, for "unknown key" messages; undefined if `path` is no object. */
export function allowedKeysAt(path: readonly PropertyKey[]): string[] | undefined {
  let schema: z.ZodType | undefined = ScenarioHeader;
  for (const [i, segment] of path.entries()) {
    schema = unwrap(schema);
    // `events` holds unknowns at the top level; each entry is an EventEntry.
    if (i === 1 && path[0] === 'events' && typeof segment === 'number') {
      schema = EventEntry;
      continue;
    }
    if (schema instanceof z.ZodArray && typeof segment === 'number') {
      schema = schema.element as z.ZodType;
    } else if (schema instanceof z.ZodObject && typeof segment === 'string') {
      schema = (schema.shape as Record<string, z.ZodType>)[segment];
    } else {
      return undefined;
    }
    if (schema === undefined) return undefined;
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape as object) : undefined;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}
