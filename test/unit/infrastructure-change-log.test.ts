import { describe, expect, it } from 'vitest';
import { ChangeLog } from '../../agents/infrastructure/change-log.js';
import {
  MAX_PINNED_SNAPSHOTS,
  PINNED_SNAPSHOT_IDLE_MS,
  SnapshotPages,
} from '../../agents/infrastructure/snapshot-pages.js';
import {
  SNAPSHOT_PAGE_MAX_CHARS,
  isSliceMeshError,
  type StateSnapshot,
  type VersionedChange,
} from '../../shared/contracts/index.js';
import { NetworkState } from '../../shared/model/index.js';

const skip = (version: number): VersionedChange => ({
  version,
  change: { op: 'skip', sliceId: `r${version}` },
});

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isSliceMeshError(error) ? error.code : 'untyped';
  }
  return undefined;
}

describe('change log', () => {
  it('answers the changes after a version, a page at a time', () => {
    const log = new ChangeLog(100, 3);
    for (let v = 4; v <= 20; v++) log.append(skip(v));
    const first = log.since(3, 10);
    expect(first.changes.map((c) => c.version)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(first.more).toBe(true);
    const rest = log.since(13, 10);
    expect(rest.changes.map((c) => c.version)).toEqual([14, 15, 16, 17, 18, 19, 20]);
    expect(rest.more).toBe(false);
    expect(log.since(20, 10)).toEqual({ changes: [], more: false });
  });

  it('forgets the oldest changes beyond its length: older versions expire', () => {
    const log = new ChangeLog(5, 0);
    for (let v = 1; v <= 12; v++) log.append(skip(v));
    expect(log.floor).toBe(7);
    expect(log.since(7, 100).changes.map((c) => c.version)).toEqual([8, 9, 10, 11, 12]);
    expect(codeOf(() => log.since(6, 100))).toBe('view-expired');
  });

  it('refuses a version ahead of the state (a replica of an earlier run) and versions before its start', () => {
    const log = new ChangeLog(5, 40);
    expect(codeOf(() => log.since(41, 10))).toBe('view-expired');
    expect(codeOf(() => log.since(39, 10))).toBe('view-expired');
    expect(log.since(40, 10).changes).toEqual([]);
  });

  it('takes changes only in version order', () => {
    const log = new ChangeLog(5, 0);
    log.append(skip(1));
    expect(codeOf(() => log.append(skip(3)))).toBe('internal');
  });
});

describe('snapshot pages', () => {
  const state = new NetworkState(3);
  const snapshot: StateSnapshot = state.toSnapshot();
  const text = JSON.stringify(snapshot);

  it('serves the pinned text in bounded pages, every page of the version of the first', () => {
    const pages = new SnapshotPages(() => 0);
    let version = 7;
    const current = () => ({ epoch: 'e', version: version++, snapshot });
    let page = pages.page({ type: 'infra.snapshot.request.v1', limit: 40 }, current);
    let joined = page.chunk;
    while (page.next) {
      expect(page.chunk.length).toBeLessThanOrEqual(40);
      page = pages.page(
        { type: 'infra.snapshot.request.v1', cursor: page.next, limit: 40 },
        current,
      );
      expect(page.version).toBe(7);
      joined += page.chunk;
    }
    expect(joined).toBe(text);
    // Read to its end: the pinned text is let go.
    expect(pages.pinned).toBe(0);
  });

  it('never sends more than the page maximum', () => {
    const pages = new SnapshotPages(() => 0);
    const big = { ...snapshot, slices: [] };
    const reply = pages.page({ type: 'infra.snapshot.request.v1' }, () => ({
      epoch: 'e',
      version: 1,
      snapshot: big,
    }));
    expect(reply.chunk.length).toBeLessThanOrEqual(SNAPSHOT_PAGE_MAX_CHARS);
  });

  it('drops a snapshot left unread, and the least recently read beyond the limit', () => {
    let now = 0;
    const pages = new SnapshotPages(() => now);
    const current = () => ({ epoch: 'e', version: 1, snapshot });
    const first = pages.page({ type: 'infra.snapshot.request.v1', limit: 10 }, current);
    now += PINNED_SNAPSHOT_IDLE_MS + 1;
    const cursor = first.next;
    if (!cursor) throw new Error('expected a second page');
    expect(codeOf(() => pages.page({ type: 'infra.snapshot.request.v1', cursor }, current))).toBe(
      'view-expired',
    );
    for (let i = 0; i < MAX_PINNED_SNAPSHOTS + 2; i++)
      pages.page({ type: 'infra.snapshot.request.v1', limit: 10 }, current);
    expect(pages.pinned).toBe(MAX_PINNED_SNAPSHOTS);
  });
});
