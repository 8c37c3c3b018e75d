/**
 * The latest changes of the resource state, in version order, for replicas
 * that missed some on the feed. Bounded: the oldest go first, and a replica
 * further behind than the log reaches takes a snapshot instead.
 */
import { SliceMeshError, type VersionedChange } from '../../shared/contracts/index.js';

/** Changes the log keeps unless configured otherwise (SLICEMESH_INFRA_CHANGE_LOG). */
export const DEFAULT_CHANGE_LOG_LENGTH = 4_096;

export class ChangeLog {
  readonly capacity: number;
  /** A ring: the entry of version v sits at (v - 1) % capacity while the log holds it. */
  readonly #ring: (VersionedChange | undefined)[];
  /** Versions up to this one are known (the state's version). */
  #version: number;
  /** The oldest version the log still holds changes after (`since` may be as low as this). */
  #floor: number;

  /** An empty log of a state now at `version` (nothing before it can be replayed). */
  constructor(capacity: number, version: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new SliceMeshError(
        'config',
        `the change log needs room for at least one change, got ${capacity}`,
      );
    }
    this.capacity = capacity;
    this.#ring = new Array<VersionedChange | undefined>(capacity);
    this.#version = version;
    this.#floor = version;
  }

  get version(): number {
    return this.#version;
  }

  /** The lowest `since` the log can answer. */
  get floor(): number {
    return this.#floor;
  }

  /** Adds the change that produced the next version. */
  append(entry: VersionedChange): void {
    if (entry.version !== this.#version + 1) {
      throw new SliceMeshError(
        'internal',
        `change ${entry.version} does not follow version ${this.#version} in the change log`,
      );
    }
    this.#ring[(entry.version - 1) % this.capacity] = entry;
    this.#version = entry.version;
    this.#floor = Math.max(this.#floor, this.#version - this.capacity);
  }

  /**
   * The changes after `since`, oldest first, at most `limit`; `view-expired`
   * when the log no longer reaches back to `since`, or `since` lies beyond
   * the current version (a replica of an earlier run of the state).
   */
  since(since: number, limit: number): { changes: VersionedChange[]; more: boolean } {
    if (since < this.#floor || since > this.#version) {
      throw new SliceMeshError(
        'view-expired',
        since > this.#version
          ? `version ${since} is ahead of the state (at ${this.#version}): the infrastructure restarted; take a snapshot`
          : `the change log starts after version ${this.#floor}, not ${since}; take a snapshot`,
        { retryable: false, details: { since, floor: this.#floor, version: this.#version } },
      );
    }
    const last = Math.min(this.#version, since + limit);
    const changes: VersionedChange[] = [];
    for (let v = since + 1; v <= last; v++)
      changes.push(this.#ring[(v - 1) % this.capacity] as VersionedChange);
    return { changes, more: last < this.#version };
  }
}
