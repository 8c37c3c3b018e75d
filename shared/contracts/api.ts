/**
 * What the api role keeps in its own KV buckets: per intent what TMF921 adds to a slice
 * (its name, its JSON-LD expression, its reports), and the event hub's registrations.
 * Both are validated on every put and get like any other message of the mesh.
 */
import { z } from 'zod';
import { EpochMs, Id, QoeFigures, TenantId } from './common.js';
import { QoeViolation, SliceState } from './messages.js';

/** How an observation compares with the slice's SLA. */
export const COMPLIANCE = ['compliant', 'degraded', 'notMet'] as const;
export const Compliance = z.enum(COMPLIANCE);
export type Compliance = z.infer<typeof Compliance>;

/** Reports kept per intent (the oldest go first): a slice adapted again and again stays bounded. */
export const INTENT_REPORTS_KEPT = 50;

/** One report: the slice's observed QoE against its SLA at one transition. */
export const StoredReport = z
  .object({
    /** `<slice id>-r<n>`, n the transition's number in the slice's history. */
    id: Id,
    at: EpochMs,
    state: SliceState,
    compliance: Compliance,
    served: z.boolean().optional(),
    observed: QoeFigures.optional(),
    /** The limits of the slice's profile at the time (latency ms, cost, slices per node). */
    limits: z
      .object({
        latencyMs: z.number().nonnegative(),
        cost: z.number().nonnegative(),
        sharing: z.number().int().positive(),
      })
      .strict()
      .optional(),
    violations: z.array(QoeViolation).max(8),
    /** The telemetry agent's view of the slice's latest KPI sample, when it had one. */
    kpi: z
      .object({
        withinSla: z.boolean().optional(),
        qoe: z.number().min(0).max(1).optional(),
        latencyMs: z.number().nonnegative().optional(),
        violations: z.number().int().nonnegative(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type StoredReport = z.infer<typeof StoredReport>;

/** The TMF921 side of one slice (key: the slice id). */
export const StoredIntent = z
  .object({
    type: z.literal('api.intent.v1'),
    sliceId: Id,
    tenant: TenantId,
    name: z.string().min(1).max(256),
    description: z.string().max(20_000).optional(),
    /** The JSON-LD expression as submitted (bounded by the HTTP body limit). */
    expression: z.record(z.string(), z.unknown()),
    createdAt: EpochMs,
    updatedAt: EpochMs,
    /**
     * Set once JetStream acknowledged the slice request: an intent stored while the bus
     * failed (answered 503) stays invisible until the slice-manager knows its slice.
     */
    accepted: z.boolean(),
    reports: z.array(StoredReport).max(INTENT_REPORTS_KEPT),
  })
  .strict();
export type StoredIntent = z.infer<typeof StoredIntent>;

/** An event hub registration (key: its id). */
export const HubRegistration = z
  .object({
    type: z.literal('api.hub.v1'),
    id: Id,
    callback: z.url({ protocol: /^https?$/ }).max(2_000),
    query: z.string().max(1_000).optional(),
    createdAt: EpochMs,
  })
  .strict();
export type HubRegistration = z.infer<typeof HubRegistration>;
