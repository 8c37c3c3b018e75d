/**
 * Which slice-manager instance owns which intake partitions. Instances hold
 * leases in a KV bucket whose entries expire (the bucket's max age) unless
 * renewed, so a partition whose owner died frees itself after one lease time,
 * while one whose owner stops is handed over at once (its lease deleted).
 *
 * Each tick, an instance renews its membership and its leases (a lease it
 * cannot renew was lost: it lets that partition go at once), counts the live
 * members, and moves towards its fair share, ⌈partitions / members⌉: it
 * hands over partitions beyond its share and claims free ones below it.
 * Claiming is a KV create, which only one contender can win.
 *
 * The lease protects against two owners only as long as an owner is not
 * paused for longer than a lease (the server expires it meanwhile): a
 * paused owner learns of the loss at its next renewal and stops that
 * partition, and a slice it touched in between is one the new owner
 * resumes from the same stored snapshot. Each message is still handled once
 * per acknowledgement, so what reaches the intake is never lost.
 */
import { z } from 'zod';
import { INTAKE_PARTITIONS, isSliceMeshError } from '../../shared/contracts/index.js';
import type { Bus, TypedKv } from '../../shared/bus/index.js';
import type { Logger } from '../../shared/runtime/logger.js';

const Lease = z.object({ instance: z.string().min(1).max(256), at: z.number() }).strict();
type Lease = z.infer<typeof Lease>;

export interface PartitionHandlers {
  /** Takes over these partitions (rehydrate, consume, serve); throws to give them back. */
  acquire(partitions: number[]): Promise<void>;
  /** Stops working on these partitions; their state stays stored. */
  release(partitions: number[]): Promise<void>;
}

export interface PartitionLeaseOptions {
  readonly instanceId: string;
  /** A lease not renewed for this long expires (default 10 s). */
  readonly leaseMs?: number;
  /** Between two ticks (default a third of the lease). */
  readonly renewMs?: number;
}

const memberKey = (instance: string) => `member.${instance}`;
const partitionKey = (partition: number) => `partition.${partition}`;
const PARTITION_KEY = /^partition\.(\d+)$/;

export class PartitionLeases {
  readonly #bus: Bus;
  readonly #logger: Logger;
  readonly #handlers: PartitionHandlers;
  readonly #instance: string;
  readonly #leaseMs: number;
  readonly #renewMs: number;
  /** Owned partitions and the revision of their lease entry. */
  readonly #owned = new Map<number, number>();
  #kv: TypedKv<Lease> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    bus: Bus,
    logger: Logger,
    handlers: PartitionHandlers,
    options: PartitionLeaseOptions,
  ) {
    this.#bus = bus;
    this.#logger = logger;
    this.#handlers = handlers;
    this.#instance = options.instanceId;
    this.#leaseMs = options.leaseMs ?? 10_000;
    this.#renewMs = options.renewMs ?? Math.max(100, Math.floor(this.#leaseMs / 3));
  }

  /** Partitions this instance works on now, ascending. */
  owned(): number[] {
    return [...this.#owned.keys()].sort((a, b) => a - b);
  }

  /** Joins, claims a first share (resolves once that is done), then keeps ticking. */
  async start(): Promise<void> {
    this.#kv = await this.#bus.kv(this.#bus.subjects.partitionBucket, Lease, {
      history: 1,
      ttlMs: this.#leaseMs,
    });
    await this.#runTick();
    this.#timer = setInterval(() => void this.#runTick(), this.#renewMs);
    this.#timer.unref();
  }

  /** Hands every partition over (their leases deleted, so others take them at once) and leaves. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#tick;
    const kv = this.#kv;
    if (!kv) return;
    const owned = this.owned();
    if (owned.length > 0) await this.#handlers.release(owned);
    this.#owned.clear();
    await Promise.allSettled([
      ...owned.map((p) => kv.delete(partitionKey(p))),
      kv.delete(memberKey(this.#instance)),
    ]);
  }

  /** One tick now (ticks never overlap); resolves when it is done. */
  rebalance(): Promise<void> {
    return this.#runTick();
  }

  #runTick(): Promise<void> {
    this.#tick = this.#tick.then(async () => {
      if (this.#stopped) return;
      try {
        await this.#once();
      } catch (error) {
        this.#logger.warn('partition leases could not be renewed; trying again', { error });
      }
    });
    return this.#tick;
  }

  async #once(): Promise<void> {
    const kv = this.#kv as TypedKv<Lease>;
    const lease: Lease = { instance: this.#instance, at: Date.now() };
    await kv.put(memberKey(this.#instance), lease);
    const lost: number[] = [];
    for (const [partition, revision] of this.#owned) {
      try {
        this.#owned.set(partition, await kv.update(partitionKey(partition), lease, revision));
      } catch (error) {
        if (!isSliceMeshError(error) || error.code !== 'stale-view') throw error;
        // A renewal the server applied but whose answer was lost (a node failing
        // over) leaves the lease ours at a newer revision: keep it, do not drop it.
        const current = await kv.get(partitionKey(partition));
        if (current?.value.instance === this.#instance) {
          this.#owned.set(partition, current.revision);
        } else {
          lost.push(partition);
        }
      }
    }
    if (lost.length > 0) {
      for (const p of lost) this.#owned.delete(p);
      this.#logger.warn('partition leases were lost (expired or taken over)', { partitions: lost });
      await this.#handlers.release(lost);
    }

    const keys = await kv.keys();
    const members = keys.filter((key) => key.startsWith('member.')).length;
    const held = new Set(
      keys.flatMap((key) => {
        const match = PARTITION_KEY.exec(key);
        return match ? [Number(match[1])] : [];
      }),
    );
    const share = Math.ceil(INTAKE_PARTITIONS / Math.max(1, members));
    const excess = this.owned().slice(share);
    if (excess.length > 0) {
      await this.#handlers.release(excess);
      for (const p of excess) {
        this.#owned.delete(p);
        await kv.delete(partitionKey(p));
      }
      this.#logger.info('handed partitions over', { partitions: excess, share, members });
    }
    const claimed: number[] = [];
    for (let p = 0; p < INTAKE_PARTITIONS && this.#owned.size < share; p++) {
      if (this.#owned.has(p) || held.has(p)) continue;
      try {
        this.#owned.set(p, await kv.create(partitionKey(p), lease));
        claimed.push(p);
      } catch (error) {
        if (!isSliceMeshError(error) || error.code !== 'stale-view') throw error;
      }
    }
    if (claimed.length === 0) return;
    try {
      await this.#handlers.acquire(claimed);
      this.#logger.info('took partitions over', { partitions: claimed, share, members });
    } catch (error) {
      // Could not start on them: give them back for another instance (or the next tick).
      for (const p of claimed) this.#owned.delete(p);
      await Promise.allSettled(claimed.map((p) => kv.delete(partitionKey(p))));
      throw error;
    }
  }
}
