/**
 * The slice ids a manager holds, per intake partition, kept sorted, so that a
 * `slice.list` page starts with a binary search instead of sorting everything
 * the manager holds: a page costs the same at ten slices and at ten thousand.
 */
import { INTAKE_PARTITIONS, partitionOf } from '../../shared/contracts/index.js';

/** Index of the first element of sorted `ids` greater than `after` (0 without one). */
function firstAfter(ids: readonly string[], after: string | undefined): number {
  if (after === undefined) return 0;
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as string) <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class SliceIndex {
  readonly #partitions: string[][] = Array.from({ length: INTAKE_PARTITIONS }, () => []);

  add(sliceId: string): void {
    const ids = this.#partitions[partitionOf(sliceId)] as string[];
    // Ids mostly arrive in order (replays, generated ids): appending is the common case.
    const last = ids[ids.length - 1];
    if (last === undefined || last < sliceId) {
      ids.push(sliceId);
      return;
    }
    const at = firstAfter(ids, sliceId);
    if (ids[at - 1] === sliceId) return;
    ids.splice(at, 0, sliceId);
  }

  delete(sliceId: string): void {
    const ids = this.#partitions[partitionOf(sliceId)] as string[];
    const at = firstAfter(ids, sliceId) - 1;
    if (at >= 0 && ids[at] === sliceId) ids.splice(at, 1);
  }

  /** Ids of `partition` after `after`, in order (a lazy walk: a page reads only what it needs). */
  *after(partition: number, after: string | undefined): Generator<string> {
    const ids = this.#partitions[partition] as string[];
    for (let i = firstAfter(ids, after); i < ids.length; i++) yield ids[i] as string;
  }

  /** Ids of `partition` (for handing a partition over). */
  ids(partition: number): readonly string[] {
    return this.#partitions[partition] as string[];
  }
}
