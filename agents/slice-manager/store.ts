/**
 * What the slice-manager keeps per slice in the snapshot KV bucket: the
 * machine's persisted snapshot and how many of its transitions have been
 * announced on the events stream (so a restart announces the rest).
 */
import { z } from 'zod';
import type { Bus, TypedKv } from '../../shared/bus/index.js';

export const StoredSlice = z
  .object({
    type: z.literal('slice.snapshot.v1'),
    /** XState persisted snapshot; checked by `parsePersistedLifecycle` on load. */
    snapshot: z.record(z.string(), z.unknown()),
    /** History entries already published as slice events. */
    eventsPublished: z.number().int().nonnegative(),
  })
  .strict();
export type StoredSlice = z.infer<typeof StoredSlice>;

export type SliceStore = TypedKv<StoredSlice>;

/** Opens the namespace's snapshot bucket. */
export function openSliceStore(bus: Bus): Promise<SliceStore> {
  return bus.kv(bus.subjects.snapshotBucket, StoredSlice);
}
