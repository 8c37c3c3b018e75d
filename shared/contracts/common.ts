import { z } from 'zod';

/** What an id or any other subject token may contain: no wildcards, no level separators. */
export const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Slice ids and other ids that end up inside NATS subjects and KV keys. */
export const Id = z
  .string()
  .min(1)
  .max(128)
  .regex(ID_PATTERN, 'only letters, digits, "_" and "-" are allowed');
export type Id = z.infer<typeof Id>;

/**
 * Who a slice belongs to. A tenant is a token of the intake subjects, so the
 * server's subject permissions decide which client may send for which tenant.
 */
export const TenantId = z
  .string()
  .min(1)
  .max(64)
  .regex(ID_PATTERN, 'only letters, digits, "_" and "-" are allowed');
export type TenantId = z.infer<typeof TenantId>;

/** The tenant of a client that names none, and of slices recorded before tenants existed. */
export const DEFAULT_TENANT = 'default';

/** Milliseconds since the Unix epoch. */
export const EpochMs = z.number().int().nonnegative();

export const SERVICE_TYPES = ['URLLC', 'eMBB', 'mMTC'] as const;
export const ServiceType = z.enum(SERVICE_TYPES);
export type ServiceType = z.infer<typeof ServiceType>;

/** Priority classes shared by latency and reliability (paper §IV-B). */
export const PRIORITY_CLASSES = ['high', 'medium', 'best-effort'] as const;
export const LatencyClass = z.enum(PRIORITY_CLASSES);
export type LatencyClass = z.infer<typeof LatencyClass>;
export const ReliabilityClass = z.enum(PRIORITY_CLASSES);
export type ReliabilityClass = z.infer<typeof ReliabilityClass>;

export const COST_CLASSES = ['cost-sensitive', 'general'] as const;
export const CostClass = z.enum(COST_CLASSES);
export type CostClass = z.infer<typeof CostClass>;

export const PREFERENCE_DIMENSIONS = ['latency', 'reliability', 'economics', 'throughput'] as const;
export type PreferenceDimension = (typeof PREFERENCE_DIMENSIONS)[number];

/** Tolerance for "sums to 1" after JSON round trips and float arithmetic. */
export const SIMPLEX_TOLERANCE = 1e-6;

/** QoE preference vector: named weights, non-negative, summing to 1. */
export const PreferenceVector = z
  .object({
    latency: z.number().min(0).max(1),
    reliability: z.number().min(0).max(1),
    economics: z.number().min(0).max(1),
    throughput: z.number().min(0).max(1),
  })
  .strict()
  .refine(
    (v) =>
      Math.abs(v.latency + v.reliability + v.economics + v.throughput - 1) <= SIMPLEX_TOLERANCE,
    { message: 'preference weights must sum to 1' },
  );
export type PreferenceVector = z.infer<typeof PreferenceVector>;

/** Explicit SLA classes a requester may give; each one overrides the inferred class. */
export const SlaClasses = z
  .object({
    /** A requester who knows the service type may state it; it then overrides the inferred one. */
    serviceType: ServiceType.optional(),
    latency: LatencyClass.optional(),
    reliability: ReliabilityClass.optional(),
    cost: CostClass.optional(),
  })
  .strict();
export type SlaClasses = z.infer<typeof SlaClasses>;

/** The classes that decide a slice's constraints in the case-study model. */
export const SliceProfile = z
  .object({
    serviceType: ServiceType,
    latency: LatencyClass,
    reliability: ReliabilityClass,
    cost: CostClass,
  })
  .strict();
export type SliceProfile = z.infer<typeof SliceProfile>;

/** Resource demand in the local server's CPU and memory units. */
export const ResourceDemand = z
  .object({
    cpu: z.number().positive().max(1000),
    mem: z.number().positive().max(1000),
  })
  .strict();
export type ResourceDemand = z.infer<typeof ResourceDemand>;

/** Observed or expected QoE figures of one slice. */
export const QoeFigures = z
  .object({
    latencyMs: z.number().nonnegative(),
    cost: z.number().nonnegative(),
    reliabilityCost: z.number().nonnegative(),
  })
  .strict();
export type QoeFigures = z.infer<typeof QoeFigures>;
