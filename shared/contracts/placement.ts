import { z } from 'zod';
import {
  EpochMs,
  Id,
  QoeFigures,
  ReliabilityClass,
  ResourceDemand,
  ServiceType,
  SliceProfile,
} from './common.js';

/** A slice that uses a shared container or VNF node, with the sharing limit it brings. */
export const Tenant = z
  .object({
    sliceId: Id,
    reliability: ReliabilityClass,
  })
  .strict();
export type Tenant = z.infer<typeof Tenant>;

export const Site = z.enum(['local', 'cloud']);
export type Site = z.infer<typeof Site>;

export const ContainerView = z
  .object({
    id: Id,
    site: Site,
    serviceType: ServiceType,
    cpu: z.number().nonnegative(),
    mem: z.number().nonnegative(),
    tenants: z.array(Tenant),
  })
  .strict();
export type ContainerView = z.infer<typeof ContainerView>;

export const VnfNodeView = z
  .object({
    id: Id,
    serviceType: ServiceType,
    /** Position of the node in its service type's CU→cloud chain, from 0. */
    position: z.number().int().nonnegative(),
    delayMs: z.number().nonnegative(),
    deployCost: z.number().nonnegative(),
    tenants: z.array(Tenant),
  })
  .strict();
export type VnfNodeView = z.infer<typeof VnfNodeView>;

/**
 * What the infrastructure exposes of its resource state. `version` grows with
 * every change so a plan made on an older view can be refused (optimistic
 * concurrency). `seed` and `nextNodeSeq` make the delay and cost of the next
 * newly deployed VNF node computable by any policy, so plans are exact.
 */
export const NetworkView = z
  .object({
    version: z.number().int().nonnegative(),
    seed: z.number().int(),
    nextNodeSeq: z.number().int().nonnegative(),
    local: z
      .object({
        cpuCapacity: z.number().nonnegative(),
        memCapacity: z.number().nonnegative(),
        cpuUsed: z.number().nonnegative(),
        memUsed: z.number().nonnegative(),
      })
      .strict(),
    containers: z.array(ContainerView),
    vnfNodes: z.array(VnfNodeView),
  })
  .strict();
export type NetworkView = z.infer<typeof NetworkView>;

export const ContainerChoice = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('new') }).strict(),
  z.object({ mode: z.literal('join'), containerId: Id }).strict(),
]);
export type ContainerChoice = z.infer<typeof ContainerChoice>;

export const VnfChoice = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('new'), position: z.number().int().nonnegative() }).strict(),
  z
    .object({ mode: z.literal('share'), position: z.number().int().nonnegative(), nodeId: Id })
    .strict(),
]);
export type VnfChoice = z.infer<typeof VnfChoice>;

/** The orchestrator's answer for one slice: where it runs and which VNF nodes it crosses. */
export const PlacementPlan = z
  .object({
    site: Site,
    /** vertical = join an existing container, horizontal = a new local container, offload = cloud. */
    scaling: z.enum(['vertical', 'horizontal', 'offload']),
    container: ContainerChoice,
    vnfs: z.array(VnfChoice),
    expected: QoeFigures,
    method: z.string().min(1).max(64),
    viewVersion: z.number().int().nonnegative(),
    /** Why: the action taken and, for learned policies, the action probabilities. */
    decision: z
      .object({
        action: z.string().max(128),
        probabilities: z.record(z.string(), z.number().min(0).max(1)).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type PlacementPlan = z.infer<typeof PlacementPlan>;

/** A plan as it was applied: the concrete ids of the container and VNF nodes the slice uses. */
export const AppliedPlacement = z
  .object({
    site: Site,
    containerId: Id,
    vnfNodeIds: z.array(Id),
    appliedAt: EpochMs,
  })
  .strict();
export type AppliedPlacement = z.infer<typeof AppliedPlacement>;

/** One slice of a full state snapshot: what a view does not say about it (classes, demand, paid figures). */
export const SnapshotSlice = z
  .object({
    id: Id,
    profile: SliceProfile,
    demand: ResourceDemand,
    bootMs: z.number().nonnegative(),
    cost: z.number().nonnegative(),
  })
  .strict();
export type SnapshotSlice = z.infer<typeof SnapshotSlice>;

/**
 * The whole resource state: the view plus every slice's own figures, from
 * which a state identical to the infrastructure's is rebuilt (persistence,
 * and a replica's starting point).
 */
export const StateSnapshot = z
  .object({
    view: NetworkView,
    slices: z.array(SnapshotSlice),
  })
  .strict();
export type StateSnapshot = z.infer<typeof StateSnapshot>;
