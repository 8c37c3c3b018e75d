/**
 * Paged snapshots of the resource state. A replica that starts (or fell
 * behind the change log) reads the whole state once, a bounded page at a
 * time; the first page pins the snapshot's text, so every later page belongs
 * to the same version however the state moves meanwhile. Few snapshots are
 * pinned at once and one left unread for a while is dropped, so a replica
 * that died half-way costs nothing for long.
 */
import {
  SNAPSHOT_PAGE_MAX_CHARS,
  SliceMeshError,
  type SnapshotReply,
  type SnapshotRequest,
  type StateSnapshot,
} from '../../shared/contracts/index.js';

/** Snapshots pinned at once; a new one beyond it drops the least recently read. */
export const MAX_PINNED_SNAPSHOTS = 4;
/** A pinned snapshot not read for this long is dropped (ms). */
export const PINNED_SNAPSHOT_IDLE_MS = 30_000;

interface Pinned {
  readonly id: string;
  readonly epoch: string;
  readonly version: number;
  readonly text: string;
  readAt: number;
}

export class SnapshotPages {
  readonly #pinned = new Map<string, Pinned>();
  readonly #now: () => number;
  #count = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  /**
   * Answers one page: a request without a cursor pins `current()` (the state
   * now) and gets its first page; with a cursor, the page there of the
   * snapshot it names (`view-expired` once that one was dropped).
   */
  page(
    request: SnapshotRequest,
    current: () => { epoch: string; version: number; snapshot: StateSnapshot },
  ): SnapshotReply {
    const now = this.#now();
    this.#expire(now);
    let pinned: Pinned;
    let offset = 0;
    if (request.cursor === undefined) {
      const { epoch, version, snapshot } = current();
      this.#count += 1;
      pinned = {
        id: `snap-${this.#count}`,
        epoch,
        version,
        text: JSON.stringify(snapshot),
        readAt: now,
      };
      this.#pinned.set(pinned.id, pinned);
      this.#evict();
    } else {
      const found = this.#pinned.get(request.cursor.snapshotId);
      if (found === undefined || request.cursor.offset > found.text.length) {
        throw new SliceMeshError(
          'view-expired',
          `snapshot ${request.cursor.snapshotId} is no longer held (or has no offset ${request.cursor.offset}); start a new one`,
          { retryable: false },
        );
      }
      pinned = found;
      offset = request.cursor.offset;
      pinned.readAt = now;
    }
    const limit = Math.min(request.limit ?? SNAPSHOT_PAGE_MAX_CHARS, SNAPSHOT_PAGE_MAX_CHARS);
    const end = Math.min(pinned.text.length, offset + limit);
    const reply: SnapshotReply = {
      type: 'infra.snapshot.reply.v1',
      epoch: pinned.epoch,
      version: pinned.version,
      snapshotId: pinned.id,
      offset,
      chunk: pinned.text.slice(offset, end),
      total: pinned.text.length,
    };
    if (end < pinned.text.length) reply.next = { snapshotId: pinned.id, offset: end };
    // The last page read: nobody needs the text any more.
    else this.#pinned.delete(pinned.id);
    return reply;
  }

  /** Snapshots pinned now (for tests and inspection). */
  get pinned(): number {
    return this.#pinned.size;
  }

  clear(): void {
    this.#pinned.clear();
  }

  #expire(now: number): void {
    for (const [id, p] of this.#pinned)
      if (now - p.readAt > PINNED_SNAPSHOT_IDLE_MS) this.#pinned.delete(id);
  }

  #evict(): void {
    while (this.#pinned.size > MAX_PINNED_SNAPSHOTS) {
      let oldest: Pinned | undefined;
      for (const p of this.#pinned.values())
        if (oldest === undefined || p.readAt < oldest.readAt) oldest = p;
      if (oldest === undefined) return;
      this.#pinned.delete(oldest.id);
    }
  }
}
