/**
 * The orchestrator's replica of the infrastructure's resource state: built
 * from the paged snapshot (`infrastructure.snapshot`), kept current by the
 * change feed (`subjects.infraChange()`), with gap detection — a missed
 * version is caught up through `infrastructure.changes`, and a log that no
 * longer reaches back (`view-expired`), another epoch (the infrastructure
 * restarted) or a change that does not fit (divergence) make it start over
 * from a snapshot. Nothing it receives grows with the plant but the snapshot
 * it reads once, a page at a time.
 *
 * Planning reads the replica in place instead of a copy (a copy costs as
 * much as the plant holds): a plan runs inside `plan()`, and while one runs
 * the replica does not move — feed messages wait in a bounded buffer, and a
 * catch-up waits for the plan to finish — so a policy that awaits something
 * half-way still decides on one version.
 */
import type { Bus, Subscription } from '../../shared/bus/index.js';
import {
  CHANGES_PAGE_DEFAULT,
  ENDPOINTS,
  InfraChange,
  SliceMeshError,
  StateSnapshot,
  isSliceMeshError,
  type SnapshotRequest,
  type VersionedChange,
} from '../../shared/contracts/index.js';
import { NetworkState, replayChange, type ModelConfig } from '../../shared/model/index.js';
import type { Logger } from '../../shared/runtime/logger.js';

export interface ReplicaOptions {
  /**
   * How long a placement waits for the feed to bring the version it needs
   * before it asks the change log (ms). The feed normally delivers the
   * previous placement's change before the next request arrives.
   */
  readonly waitMs?: number;
  /** Timeout of one changes or snapshot request (ms). */
  readonly requestTimeoutMs?: number;
  /** Changes asked for per page while catching up. */
  readonly changesPageLimit?: number;
  /** Characters asked for per snapshot page (default: the largest page). */
  readonly snapshotPageLimit?: number;
  /** Feed messages kept while a plan or a catch-up runs; beyond it they are dropped and read back from the log. */
  readonly maxBuffered?: number;
}

/** What happened to the replica so far. */
export interface ReplicaCounters {
  /** Snapshots read (the first one included). */
  snapshots: number;
  /** Catch-ups through the change log (after a snapshot, on a gap, or for a placement that waited in vain). */
  catchUps: number;
  /** Changes replayed from the feed. */
  fromFeed: number;
  /** Changes replayed from the change log. */
  fromLog: number;
  /** Gaps seen on the feed (a version skipped). */
  gaps: number;
  /** `view-expired` answers: the log no longer reached back, or the infrastructure restarted. */
  expired: number;
  /** Changes that did not fit the replica (it was rebuilt). */
  diverged: number;
}

export const DEFAULT_REPLICA_WAIT_MS = 250;
const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_BUFFERED = 10_000;
/** Snapshot rounds one sync may take before it gives up (the state moving faster than it can be read). */
const MAX_SNAPSHOT_ROUNDS = 3;

/** Where a plan gets the network from: the replica, or a fixed state (benchmarks, tests). */
export interface StateSource {
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Runs `decide` on a state at `minVersion` or later (after a bounded wait
   * and a catch-up; an older one only when the infrastructure itself is
   * behind it, e.g. after a restart). The state must be treated as
   * read-only and is stable until `decide` settles.
   */
  plan<T>(minVersion: number, decide: (state: NetworkState) => T | Promise<T>): Promise<T>;
}

interface Waiter {
  readonly min: number;
  readonly done: () => void;
}

export class NetworkReplica implements StateSource {
  readonly #bus: Bus;
  readonly #logger: Logger;
  readonly #config: ModelConfig | undefined;
  readonly #waitMs: number;
  readonly #timeoutMs: number;
  readonly #changesLimit: number;
  readonly #snapshotLimit: number | undefined;
  readonly #maxBuffered: number;
  readonly #counters: ReplicaCounters = {
    snapshots: 0,
    catchUps: 0,
    fromFeed: 0,
    fromLog: 0,
    gaps: 0,
    expired: 0,
    diverged: 0,
  };
  #state: NetworkState | undefined;
  #epoch: string | undefined;
  /** Epochs the replica has left (the infrastructure restarted since): their messages are old. */
  readonly #leftEpochs = new Set<string>();
  #subscription: Subscription | undefined;
  /** Feed messages that arrived while the replica could not take them. */
  #buffer: InfraChange[] = [];
  /** Feed messages were dropped from a full buffer: the log has them. */
  #dropped = false;
  /** The one catch-up or snapshot in progress. */
  #sync: Promise<void> | undefined;
  /** The next sync must start from a snapshot. */
  #rebuild = false;
  /** Plans reading the state now. */
  #readers = 0;
  #readersDone: (() => void)[] = [];
  readonly #waiters = new Set<Waiter>();

  constructor(bus: Bus, logger: Logger, config?: ModelConfig, options: ReplicaOptions = {}) {
    this.#bus = bus;
    this.#logger = logger;
    this.#config = config;
    this.#waitMs = options.waitMs ?? DEFAULT_REPLICA_WAIT_MS;
    this.#timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#changesLimit = options.changesPageLimit ?? CHANGES_PAGE_DEFAULT;
    this.#snapshotLimit = options.snapshotPageLimit;
    this.#maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
  }

  /** The version the replica is at (undefined before its first snapshot). */
  get version(): number | undefined {
    return this.#state?.version;
  }

  get epoch(): string | undefined {
    return this.#epoch;
  }

  counters(): ReplicaCounters {
    return { ...this.#counters };
  }

  /** Subscribes to the feed first (nothing published after the snapshot is missed), then reads a snapshot in the background. */
  async start(): Promise<void> {
    if (this.#subscription) return;
    this.#subscription = this.#bus.subscribe(
      this.#bus.subjects.infraChange(),
      InfraChange,
      (change) => this.#onFeed(change),
      { trace: false },
    );
    await this.#bus.flush();
    // The infrastructure may not be up yet: the first placement tries again.
    this.#startSync().catch((error: unknown) =>
      this.#logger.debug('no replica of the resource state yet', { error }),
    );
  }

  async stop(): Promise<void> {
    const subscription = this.#subscription;
    this.#subscription = undefined;
    await subscription?.stop();
    await this.#sync?.catch(() => undefined);
    for (const waiter of this.#waiters) waiter.done();
    this.#waiters.clear();
  }

  /** Brings the replica to the infrastructure's current version through the log (or a snapshot) now. */
  async catchUp(): Promise<void> {
    await this.#startSync();
  }

  async plan<T>(minVersion: number, decide: (state: NetworkState) => T | Promise<T>): Promise<T> {
    const state = await this.#ready(minVersion);
    this.#readers += 1;
    try {
      return await decide(state);
    } finally {
      this.#readers -= 1;
      if (this.#readers === 0) {
        for (const done of this.#readersDone.splice(0)) done();
        if (this.#sync === undefined) this.#drain();
      }
    }
  }

  async #ready(minVersion: number): Promise<NetworkState> {
    if (this.#sync) await this.#sync.catch(() => undefined);
    if (this.#state === undefined || this.#rebuild) await this.#startSync();
    if ((this.#state?.version ?? -1) < minVersion) await this.#waitFor(minVersion);
    if ((this.#state?.version ?? -1) < minVersion) {
      // The feed did not bring it in time: ask the log.
      await this.#startSync();
    }
    const state = this.#state;
    if (state === undefined) {
      throw new SliceMeshError('unavailable', 'no replica of the resource state yet');
    }
    if (state.version < minVersion) {
      // Caught up, and still behind: the infrastructure itself is (it restarted
      // from an older saved state, or the version came from its earlier run).
      // Planning on its current state is right; an apply settles the rest.
      this.#logger.debug(
        'planning on the infrastructure’s current version, below the one asked for',
        {
          viewVersion: state.version,
          minViewVersion: minVersion,
        },
      );
    }
    return state;
  }

  /** Resolves once the replica reaches `min`, or after the wait. */
  #waitFor(min: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        min,
        done: () => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.done, this.#waitMs);
      timer.unref();
      this.#waiters.add(waiter);
    });
  }

  #notify(): void {
    const version = this.#state?.version ?? -1;
    for (const waiter of [...this.#waiters]) if (version >= waiter.min) waiter.done();
  }

  /** The sync in progress, or a new one. */
  #startSync(): Promise<void> {
    this.#sync ??= this.#runSync().finally(() => {
      this.#sync = undefined;
      if (this.#readers === 0) this.#drain();
    });
    return this.#sync;
  }

  /** Waits until no plan reads the state, before changing it. */
  async #writable(): Promise<void> {
    while (this.#readers > 0) await new Promise<void>((resolve) => this.#readersDone.push(resolve));
  }

  async #runSync(): Promise<void> {
    for (let round = 0; round < MAX_SNAPSHOT_ROUNDS; round++) {
      if (this.#state === undefined || this.#rebuild) await this.#loadSnapshot();
      try {
        await this.#catchUpFromLog();
        return;
      } catch (error) {
        if (!isSliceMeshError(error) || error.code !== 'view-expired') throw error;
        this.#counters.expired += 1;
        this.#rebuild = true;
      }
    }
    throw new SliceMeshError(
      'unavailable',
      `the resource state moved past the change log ${MAX_SNAPSHOT_ROUNDS} times while a snapshot was read`,
    );
  }

  async #loadSnapshot(): Promise<void> {
    let text = '';
    let cursor: SnapshotRequest['cursor'];
    for (;;) {
      const request: SnapshotRequest = { type: 'infra.snapshot.request.v1' };
      if (cursor) request.cursor = cursor;
      if (this.#snapshotLimit !== undefined) request.limit = this.#snapshotLimit;
      const page = await this.#bus.request(ENDPOINTS.infraSnapshot, request, {
        timeoutMs: this.#timeoutMs,
      });
      text += page.chunk;
      if (page.next === undefined) {
        const parsed = StateSnapshot.safeParse(JSON.parse(text));
        if (!parsed.success) {
          throw new SliceMeshError('invalid-message', `unusable snapshot: ${parsed.error.message}`);
        }
        const state = NetworkState.fromSnapshot(parsed.data, this.#config);
        await this.#writable();
        if (this.#epoch !== undefined && this.#epoch !== page.epoch)
          this.#leftEpochs.add(this.#epoch);
        this.#state = state;
        this.#epoch = page.epoch;
        this.#rebuild = false;
        this.#counters.snapshots += 1;
        this.#logger.info('read a snapshot of the resource state', {
          viewVersion: page.version,
          slices: state.slices.size,
          bytes: text.length,
        });
        this.#notify();
        return;
      }
      cursor = page.next;
    }
  }

  /** Replays the log from the replica's version until nothing follows. */
  async #catchUpFromLog(): Promise<void> {
    this.#counters.catchUps += 1;
    for (;;) {
      const state = this.#state;
      if (state === undefined) return;
      const reply = await this.#bus.request(
        ENDPOINTS.infraChanges,
        { type: 'infra.changes.request.v1', since: state.version, limit: this.#changesLimit },
        { timeoutMs: this.#timeoutMs },
      );
      if (reply.epoch !== this.#epoch) {
        throw new SliceMeshError('view-expired', 'the infrastructure restarted: another epoch', {
          retryable: false,
        });
      }
      await this.#writable();
      if (this.#state !== state) continue;
      for (const entry of reply.changes) {
        if (entry.version <= state.version) continue;
        if (!this.#replay(state, entry)) {
          throw new SliceMeshError(
            'view-expired',
            `change ${entry.version} did not fit the replica`,
            {
              retryable: false,
            },
          );
        }
        this.#counters.fromLog += 1;
      }
      this.#notify();
      if (!reply.more) return;
    }
  }

  /** Replays one change; on a change that does not fit, marks the replica for a rebuild. */
  #replay(state: NetworkState, entry: VersionedChange): boolean {
    try {
      replayChange(state, entry);
      return true;
    } catch (error) {
      this.#counters.diverged += 1;
      this.#rebuild = true;
      this.#logger.warn(
        'a change did not fit the replica of the resource state; reading a snapshot',
        {
          viewVersion: entry.version,
          error,
        },
      );
      return false;
    }
  }

  #onFeed(change: InfraChange): void {
    if (this.#sync !== undefined || this.#readers > 0 || this.#state === undefined) {
      if (this.#buffer.length < this.#maxBuffered) this.#buffer.push(change);
      else this.#dropped = true;
      return;
    }
    this.#take(change);
    this.#notify();
  }

  /** Applies one feed message to an idle replica, or notes what must happen instead. */
  #take(change: InfraChange): void {
    const state = this.#state;
    if (state === undefined || this.#leftEpochs.has(change.epoch)) return;
    if (change.epoch !== this.#epoch) {
      // The infrastructure restarted: its versions start again from what it resumed.
      this.#rebuild = true;
      this.#startSync().catch((error: unknown) =>
        this.#logger.warn('could not read a snapshot of the restarted infrastructure', { error }),
      );
      return;
    }
    if (change.version <= state.version) return;
    if (change.version > state.version + 1) {
      this.#counters.gaps += 1;
      this.#buffer.push(change);
      this.#startSync().catch((error: unknown) =>
        this.#logger.warn('could not catch up with the change log', { error }),
      );
      return;
    }
    if (this.#replay(state, { version: change.version, change: change.change })) {
      this.#counters.fromFeed += 1;
      return;
    }
    this.#startSync().catch((error: unknown) =>
      this.#logger.warn('could not rebuild the replica of the resource state', { error }),
    );
  }

  /** Applies what the feed brought while the replica was busy, in version order. */
  #drain(): void {
    if (this.#dropped) {
      this.#dropped = false;
      this.#buffer = [];
      this.#startSync().catch((error: unknown) =>
        this.#logger.warn('could not catch up with the change log', { error }),
      );
      return;
    }
    if (this.#buffer.length === 0 || this.#state === undefined) return;
    const pending = this.#buffer.sort((a, b) => a.version - b.version);
    this.#buffer = [];
    for (const change of pending) {
      if (this.#sync !== undefined) {
        // A gap or an epoch change started a sync: it reads the rest from the log.
        this.#buffer.push(change);
        continue;
      }
      this.#take(change);
    }
    this.#notify();
  }
}

/** A fixed state as the source of every plan (the in-process benchmark; tests). */
export function fixedStateSource(state: () => NetworkState): StateSource {
  return {
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    plan: async (_minVersion, decide) => decide(state()),
  };
}
