import type { ResourceDemand, SliceProfile } from '../contracts/common.js';
import { QoeViolation } from '../contracts/messages.js';

/** One slice request of an instance: what the requester wants, in classes and resources, plus its text. */
export interface ModelRequest {
  /** Slice id, unique within the instance. */
  readonly id: string;
  readonly profile: SliceProfile;
  readonly demand: ResourceDemand;
  /** English description of the request, for the interpreter. */
  readonly description: string;
}

/** A reproducible problem instance: the seed it came from and its requests in arrival order. */
export interface Instance {
  readonly seed: number;
  readonly requests: readonly ModelRequest[];
}

/** QoE constraints a slice can violate (the wire's `QoeViolation`). */
export const VIOLATION_KINDS = QoeViolation.options;
export type ViolationKind = QoeViolation;

/** Bit flags of `ViolationKind`, for allocation-free outcomes. */
export const VIOLATION_BIT: Readonly<Record<ViolationKind, number>> = {
  latency: 1,
  reliability: 2,
  cost: 4,
};

/** Decodes a violation bit set into names, in a fixed order. */
export function violationNames(bits: number): ViolationKind[] {
  return VIOLATION_KINDS.filter((kind) => (bits & VIOLATION_BIT[kind]) !== 0);
}

/** The QoE figures of one placed slice and whether all its constraints hold. */
export interface SliceQoe {
  readonly latencyMs: number;
  readonly cost: number;
  readonly reliabilityCost: number;
  readonly served: boolean;
  readonly violations: ViolationKind[];
}
