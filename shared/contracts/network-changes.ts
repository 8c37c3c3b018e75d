/**
 * The infrastructure's change feed: every change of its resource state, as
 * the model operation that made it, numbered by the version it produced. A
 * replica (the orchestrator's) that starts from a snapshot and replays the
 * changes in version order ends with a state identical to the
 * infrastructure's. Every message here is bounded whatever the plant holds:
 * a change names one slice and at most one chain of nodes, a page of changes
 * holds at most CHANGES_PAGE_MAX of them, a snapshot page at most
 * SNAPSHOT_PAGE_MAX_CHARS characters.
 */
import { z } from 'zod';
import { Id, ResourceDemand, SliceProfile } from './common.js';
import { ContainerChoice, Site, VnfChoice } from './placement.js';

/** Most VNF nodes one change names (a chain is a few nodes; the bound keeps a change small). */
export const MAX_CHANGE_CHAIN = 16;
/** Most changes one page of `infrastructure.changes` holds. */
export const CHANGES_PAGE_MAX = 500;
/** Changes per page when the request names no limit. */
export const CHANGES_PAGE_DEFAULT = 200;
/** Most characters of snapshot text one page of `infrastructure.snapshot` carries. */
export const SNAPSHOT_PAGE_MAX_CHARS = 128 * 1024;

/**
 * A run of the state: it changes whenever the infrastructure starts (its
 * versions may then repeat with other contents), so a replica that sees
 * another epoch starts over from a snapshot.
 */
export const Epoch = z.string().min(1).max(128);
export type Epoch = z.infer<typeof Epoch>;

export const Version = z.number().int().nonnegative();

/** Where a replayed placement goes: the plan's choice of nodes (existing ids, or new). */
export const ChangePlacement = z
  .object({
    site: Site,
    container: ContainerChoice,
    vnfs: z.array(VnfChoice).max(MAX_CHANGE_CHAIN),
  })
  .strict();
export type ChangePlacement = z.infer<typeof ChangePlacement>;

/** The ids the placement ended on: a replica checks that its replay made the same. */
export const ChangeResult = z
  .object({ containerId: Id, vnfNodeIds: z.array(Id).max(MAX_CHANGE_CHAIN) })
  .strict();
export type ChangeResult = z.infer<typeof ChangeResult>;

const placing = {
  sliceId: Id,
  profile: SliceProfile,
  demand: ResourceDemand,
  placement: ChangePlacement,
  result: ChangeResult,
};

/**
 * One change of the resource state: `place` a new slice, `move` one that
 * holds resources (atomic re-placement, with its new classes and demand),
 * `release` one, or `skip` the sequence block of a refused new slice (a
 * counted decline, see DeclineRequest).
 */
export const NetworkChange = z.discriminatedUnion('op', [
  z.object({ op: z.literal('place'), ...placing }).strict(),
  z.object({ op: z.literal('move'), ...placing }).strict(),
  z.object({ op: z.literal('release'), sliceId: Id }).strict(),
  z.object({ op: z.literal('skip'), sliceId: Id }).strict(),
]);
export type NetworkChange = z.infer<typeof NetworkChange>;

/** A change and the version it produced (the version before it is one less). */
export const VersionedChange = z
  .object({ version: Version.min(1), change: NetworkChange })
  .strict();
export type VersionedChange = z.infer<typeof VersionedChange>;

/** Published on `subjects.infraChange()` after every change, before the request that made it is answered. */
export const InfraChange = z
  .object({
    type: z.literal('infra.change.v1'),
    epoch: Epoch,
    version: Version.min(1),
    change: NetworkChange,
  })
  .strict();
export type InfraChange = z.infer<typeof InfraChange>;

/**
 * The changes after version `since`, oldest first, at most `limit`. Fails
 * with `view-expired` when the log no longer holds them all (or `since` lies
 * beyond the current version: the infrastructure restarted): the caller
 * takes a snapshot instead.
 */
export const ChangesRequest = z
  .object({
    type: z.literal('infra.changes.request.v1'),
    since: Version,
    limit: z.number().int().min(1).max(CHANGES_PAGE_MAX).optional(),
  })
  .strict();
export type ChangesRequest = z.infer<typeof ChangesRequest>;

export const ChangesReply = z
  .object({
    type: z.literal('infra.changes.reply.v1'),
    epoch: Epoch,
    /** The current version (the last change's, when nothing follows). */
    version: Version,
    changes: z.array(VersionedChange).max(CHANGES_PAGE_MAX),
    /** True when more changes follow the last one listed: ask again from it. */
    more: z.boolean(),
  })
  .strict();
export type ChangesReply = z.infer<typeof ChangesReply>;

/** Where a paged snapshot goes on: the pinned snapshot and the offset in its text. */
export const SnapshotCursor = z
  .object({ snapshotId: Id, offset: z.number().int().nonnegative() })
  .strict();
export type SnapshotCursor = z.infer<typeof SnapshotCursor>;

/**
 * The whole state, a page at a time. Without a cursor the infrastructure
 * pins a snapshot of its state as it is now (its JSON text: a StateSnapshot)
 * and answers its first page; each next page names the cursor the previous
 * one gave, so every page belongs to the same version however the state
 * moves meanwhile. A pinned snapshot not read for a while is dropped
 * (`view-expired`: start over).
 */
export const SnapshotRequest = z
  .object({
    type: z.literal('infra.snapshot.request.v1'),
    cursor: SnapshotCursor.optional(),
    /** Most characters in the page (default and maximum SNAPSHOT_PAGE_MAX_CHARS). */
    limit: z.number().int().min(1).max(SNAPSHOT_PAGE_MAX_CHARS).optional(),
  })
  .strict();
export type SnapshotRequest = z.infer<typeof SnapshotRequest>;

export const SnapshotReply = z
  .object({
    type: z.literal('infra.snapshot.reply.v1'),
    epoch: Epoch,
    /** The version the snapshot shows. */
    version: Version,
    snapshotId: Id,
    offset: z.number().int().nonnegative(),
    /** Characters of the snapshot's JSON text from `offset`. */
    chunk: z.string().max(SNAPSHOT_PAGE_MAX_CHARS),
    /** Length of the whole text. */
    total: z.number().int().nonnegative(),
    /** Present when more follows: the cursor of the next page. */
    next: SnapshotCursor.optional(),
  })
  .strict();
export type SnapshotReply = z.infer<typeof SnapshotReply>;
