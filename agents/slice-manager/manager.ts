/**
 * The slice-manager's work: one lifecycle machine per slice, fed from the
 * durable intake stream, persisted on every transition, announced on the
 * events stream, and queryable through `slice.get` / `slice.list`.
 */
import { ROOT_CONTEXT, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { createActor } from 'xstate';
import { z } from 'zod';
import {
  DEFAULT_SLICE_PAGE,
  ENDPOINTS,
  INTAKE_PARTITIONS,
  PartitionQuery,
  PartitionQueryReply,
  SlaViolation,
  SliceChange,
  SliceMeshError,
  SliceRequest,
  isSliceMeshError,
  SliceTermination,
  historyCount,
  TERMINAL_SLICE_STATES,
  intakeSubject,
  partitionDurable,
  partitionOf,
  requesterTenant,
  tenantOf,
  type SliceListReply,
  type SliceListRequest,
  type SliceRecord,
  type SliceState,
} from '../../shared/contracts/index.js';
import type { Bus, ConsumerHandle, MessageContext, Subscription } from '../../shared/bus/index.js';
import type { Clock } from '../../shared/runtime/clock.js';
import type { Logger } from '../../shared/runtime/logger.js';
import {
  ATTR,
  SPAN,
  injectTraceContext,
  instrument,
  traceIdOf,
} from '../../shared/telemetry/index.js';
import { busActors } from './calls.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { PartitionLeases } from './partitions.js';
import { SliceIndex } from './slice-index.js';
import { AdmissionGate } from './admission.js';
import { PlacementLock } from './placement-lock.js';
import { resolveLimits, type LifecycleLimits } from './lifecycle/limits.js';
import {
  createLifecycleMachine,
  type LifecycleMachine,
  type TraceCarrier,
} from './lifecycle/machine.js';
import { isFinished, parsePersistedLifecycle } from './lifecycle/persistence.js';
import { Reconciler, type ReconcilerCounters, type LocalSlice } from './reconciler.js';
import { KeyedSerialQueue } from './serial-queue.js';
import { SliceRunner, type RunnerDeps } from './slice-runner.js';
import { openSliceStore, type SliceStore } from './store.js';

/** Everything the slice-manager accepts on its intake stream. */
export const IntakeMessage = z.discriminatedUnion('type', [
  SliceRequest,
  SliceChange,
  SliceTermination,
  SlaViolation,
]);
export type IntakeMessage = z.infer<typeof IntakeMessage>;

export interface SliceManagerDeps {
  bus: Bus;
  logger: Logger;
  clock: Clock;
  tracer?: Tracer;
  /** Seed of the retry jitter (default 0). */
  seed?: number;
  /** This instance's name among the slice-managers sharing the partitions (default: a fresh one). */
  instanceId?: string;
}

export interface SliceManagerOptions {
  /** Timeouts and retry bounds of every lifecycle started here. */
  limits?: Partial<LifecycleLimits>;
  /** Intake messages handled at once (different slices run concurrently; one slice is serial). */
  intakeConcurrency?: number;
  /** Durable consumer name on the intake stream. */
  durable?: string;
  /** How long stop() waits for work in flight. */
  shutdownGraceMs?: number;
  /**
   * Between two reconciliations with the infrastructure's reservations (ms;
   * see reconciler.ts); 0 = none. Default 30 s, the first right after start.
   */
  reconcileIntervalMs?: number;
  /** Reservations asked for per page while reconciling (default 100). */
  reconcilePageSize?: number;
  /** How long a partition lease lasts unless renewed (ms, default 10 s; see partitions.ts). */
  partitionLeaseMs?: number;
  /** A finished slice's record is compacted away this long after it finished (ms); 0 = never. Default 1 h. */
  finishedRetentionMs?: number;
  /**
   * Slices on their way to active at once (default 64; see admission.ts): further requests
   * wait in the intake.
   */
  preparingLimit?: number;
}

/** What went wrong how often, beyond the bus's own refusal counters. */
export interface SliceManagerCounters {
  /** Slice requests that started a lifecycle. */
  accepted: number;
  /** Requests for a slice id that already exists (redeliveries, resubmissions): not duplicated. */
  duplicates: number;
  /** Changes, terminations, violations and gets for a slice id nobody requested. */
  unknownSlice: number;
  /** Intake messages whose subject does not match their type, tenant or slice id. */
  misrouted: number;
  /** Requests, changes and terminations naming a slice of another tenant: refused. */
  foreignTenant: number;
  /** Slices resumed from the snapshot bucket at start. */
  resumed: number;
  /** Stored snapshots that could not be read back. */
  unreadable: number;
  /** Finished slices whose records were dropped after the retention period. */
  compacted: number;
}

/** What intake and rehydration work with: the bound lifecycle machine and what each slice runner needs. */
interface Work {
  machine: LifecycleMachine;
  runnerDeps: RunnerDeps;
  store: SliceStore;
}

/** What one owned partition runs: its intake consumer and the service other instances ask. */
interface PartitionWork {
  consumer: ConsumerHandle;
  service: Subscription;
}

/** A page's JSON stays well below the NATS payload limit (1 MiB by default). */
const PAGE_BYTE_BUDGET = 256 * 1024;
const PARTITION_QUERY_TIMEOUT_MS = 5_000;

let anonymousInstances = 0;

async function stopAll(subscriptions: readonly Subscription[]): Promise<void> {
  await Promise.allSettled(subscriptions.map((subscription) => subscription.stop()));
}

/** A `HeaderCarrier` that writes into a plain record (what the machine context stores). */
function recordCarrier(target: TraceCarrier) {
  return {
    get: (key: string) => target[key] ?? '',
    set: (key: string, value: string) => {
      target[key] = value;
    },
    has: (key: string) => key in target,
    keys: () => Object.keys(target),
  };
}

export class SliceManager {
  readonly #deps: SliceManagerDeps;
  readonly #tracer: Tracer;
  readonly #limits: LifecycleLimits;
  readonly #options: Required<Omit<SliceManagerOptions, 'limits'>>;
  readonly #runners = new Map<string, SliceRunner>();
  /** Stored slices that could not be read back: the reconciler leaves what they hold alone. */
  readonly #unreadable = new Set<string>();
  readonly #reconciler: Reconciler;
  readonly #placementLock = new PlacementLock({
    isPlacing: (sliceId) => this.#runners.get(sliceId)?.isPlacing() ?? false,
    onLeaseExpired: (sliceId) =>
      this.#deps.logger.warn('a slice held the placement lock too long; passing it on', {
        sliceId,
      }),
  });
  readonly #queue = new KeyedSerialQueue();
  readonly #admission: AdmissionGate;
  readonly #counters: SliceManagerCounters = {
    accepted: 0,
    duplicates: 0,
    unknownSlice: 0,
    misrouted: 0,
    foreignTenant: 0,
    resumed: 0,
    unreadable: 0,
    compacted: 0,
  };
  /** The slice ids held here, per partition, sorted (what list pages walk). */
  readonly #index = new SliceIndex();
  readonly #partitions = new Map<number, PartitionWork>();
  #work: Work | undefined;
  #services: Subscription[] = [];
  #leases: PartitionLeases | undefined;
  #compactor: NodeJS.Timeout | undefined;

  constructor(deps: SliceManagerDeps, options: SliceManagerOptions = {}) {
    this.#deps = deps;
    this.#tracer = deps.tracer ?? deps.bus.tracer;
    this.#limits = resolveLimits(options.limits);
    this.#options = {
      intakeConcurrency: options.intakeConcurrency ?? 32,
      durable: options.durable ?? 'slice-manager',
      shutdownGraceMs: options.shutdownGraceMs ?? 10_000,
      reconcileIntervalMs: options.reconcileIntervalMs ?? 30_000,
      reconcilePageSize: options.reconcilePageSize ?? 100,
      partitionLeaseMs: options.partitionLeaseMs ?? 10_000,
      finishedRetentionMs: options.finishedRetentionMs ?? 3_600_000,
      preparingLimit: options.preparingLimit ?? 64,
    };
    this.#admission = new AdmissionGate(this.#options.preparingLimit);
    this.#reconciler = new Reconciler(
      deps.bus,
      deps.logger,
      {
        lookup: (sliceId) => this.#localSlice(sliceId),
        activeSlices: () => this.#activeSlices(),
        resourcesLost: (sliceId, note) => this.#resourcesLost(sliceId, note),
      },
      {
        intervalMs: this.#options.reconcileIntervalMs,
        pageSize: this.#options.reconcilePageSize,
        requestTimeoutMs: this.#limits.releaseTimeoutMs,
      },
    );
  }

  /**
   * Serves get/list, then claims a share of the intake partitions (for each:
   * rehydrates its stored slices, then consumes its intake) and keeps the
   * share up to date as instances come and go (partitions.ts).
   */
  async start(): Promise<void> {
    const { bus, logger } = this.#deps;
    await bus.ensureStreams();
    const store = await openSliceStore(bus);
    const runnerDeps: RunnerDeps = {
      bus,
      store,
      tracer: this.#tracer,
      logger,
      queue: this.#queue,
      placementLock: this.#placementLock,
      admission: this.#admission,
    };
    const machine = createLifecycleMachine({
      now: () => this.#deps.clock.now(),
      seed: this.#deps.seed ?? 0,
    }).provide({
      // A call always belongs to a slice with a runner; ROOT_CONTEXT only guards the impossible.
      actors: busActors(
        bus,
        (sliceId) => this.#runners.get(sliceId)?.traceContext() ?? ROOT_CONTEXT,
        {
          beforePlacement: (sliceId) => this.#placementLock.acquire(sliceId),
          placementDone: (sliceId) => this.#placementLock.release(sliceId),
        },
      ),
    });
    this.#work = { machine, runnerDeps, store };
    this.#services = this.#serveQueries();
    anonymousInstances += 1;
    this.#leases = new PartitionLeases(
      bus,
      logger,
      {
        acquire: (partitions) => this.#acquire(partitions),
        release: (partitions) => this.#release(partitions),
      },
      {
        instanceId: this.#deps.instanceId ?? `slice-manager-${process.pid}-${anonymousInstances}`,
        leaseMs: this.#options.partitionLeaseMs,
      },
    );
    try {
      await this.#leases.start();
    } catch (error) {
      await stopAll(this.#services);
      throw error;
    }
    this.#reconciler.start();
    this.#startCompactor();
    logger.info('slice-manager running', {
      partitions: this.#leases.owned(),
      slices: this.#runners.size,
      resumed: this.#counters.resumed,
    });
  }

  /** Hands its partitions over (queued work finishes first; state stays stored), then stops serving. */
  async stop(): Promise<void> {
    await this.#reconciler.stop();
    if (this.#compactor) clearInterval(this.#compactor);
    const leases = this.#leases;
    this.#leases = undefined;
    if (leases) await leases.stop();
    await stopAll(this.#services);
    this.#services = [];
    // Slices of partitions lost without a handover are still here: stop them as they are.
    await this.#closeRunners([...this.#runners.keys()]);
    this.#placementLock.close();
  }

  /** The intake partitions this instance works on now. */
  partitions(): number[] {
    return this.#leases?.owned() ?? [];
  }

  /** One rebalancing of the partitions now (besides the periodic ones). */
  rebalance(): Promise<void> {
    return this.#leases?.rebalance() ?? Promise.resolve();
  }

  /** Records of the slices held here (optionally in one state, of one tenant), ordered by slice id. */
  records(state?: SliceRecord['state'], tenant?: string): SliceRecord[] {
    return [...this.#runners.values()]
      .map((runner) => runner.record)
      .filter((record) => state === undefined || record.state === state)
      .filter((record) => tenant === undefined || tenantOf(record) === tenant)
      .sort((a, b) => (a.sliceId < b.sliceId ? -1 : a.sliceId > b.sliceId ? 1 : 0));
  }

  async #acquire(partitions: number[]): Promise<void> {
    const work = this.#work;
    if (!work) return;
    const { bus } = this.#deps;
    const wanted = new Set(partitions);
    await this.#rehydrate(work, (key) => wanted.has(partitionOf(key)));
    // Spread the intake's concurrency over the partitions (each stays ≥ 2).
    const concurrency = Math.max(2, Math.ceil(this.#options.intakeConcurrency / INTAKE_PARTITIONS));
    const started: number[] = [];
    try {
      for (const partition of partitions) {
        const service = bus.serve(
          bus.subjects.slicePartitionQuery(partition),
          PartitionQuery,
          PartitionQueryReply,
          (query) => this.#answerPartitionQuery(partition, query),
          { queue: bus.subjects.queueGroup('slice-manager') },
        );
        let consumer: ConsumerHandle;
        try {
          consumer = await bus.consume(
            bus.subjects.intakeStream,
            partitionDurable(this.#options.durable, partition),
            bus.subjects.intakePartition(partition),
            IntakeMessage,
            (message, ctx) => this.#onIntake(work, message, ctx),
            { concurrency },
          );
        } catch (error) {
          await service.stop();
          throw error;
        }
        this.#partitions.set(partition, { consumer, service });
        started.push(partition);
      }
    } catch (error) {
      await this.#release(partitions);
      throw error;
    }
  }

  async #release(partitions: number[]): Promise<void> {
    const grace = this.#options.shutdownGraceMs;
    await Promise.allSettled(
      partitions.map(async (partition) => {
        const running = this.#partitions.get(partition);
        this.#partitions.delete(partition);
        if (!running) return;
        await running.consumer.stop(grace);
        await running.service.stop();
      }),
    );
    await this.#closeRunners(partitions.flatMap((partition) => [...this.#index.ids(partition)]));
  }

  /**
   * Each slice stores what it has not stored yet, then stops, behind the work
   * already queued for it; whatever is still stuck after the grace time is
   * stopped as is (its last stored snapshot is what resumes).
   */
  async #closeRunners(sliceIds: string[]): Promise<void> {
    const runners = sliceIds.flatMap((id) => {
      const runner = this.#runners.get(id);
      return runner ? [runner] : [];
    });
    if (runners.length === 0) return;
    const closing = runners.map((runner) => this.#queue.run(runner.sliceId, () => runner.close()));
    const timer = new Promise<void>((resolve) =>
      setTimeout(resolve, this.#options.shutdownGraceMs).unref(),
    );
    await Promise.race([Promise.allSettled(closing), timer]);
    for (const runner of runners) {
      runner.stop();
      this.#forget(runner.sliceId);
    }
  }

  #remember(runner: SliceRunner): void {
    this.#runners.set(runner.sliceId, runner);
    this.#index.add(runner.sliceId);
  }

  #forget(sliceId: string): void {
    this.#runners.delete(sliceId);
    this.#index.delete(sliceId);
  }

  /** Drops finished slices' records once they are older than the retention period. */
  #startCompactor(): void {
    const retention = this.#options.finishedRetentionMs;
    if (retention === 0) return;
    const every = Math.min(retention, 60_000);
    this.#compactor = setInterval(() => void this.compact(), every);
    this.#compactor.unref();
  }

  /** Compacts now: finished slices older than the retention period leave memory and the store. */
  async compact(): Promise<number> {
    const retention = this.#options.finishedRetentionMs;
    const store = this.#work?.store;
    if (retention === 0 || !store) return 0;
    const cutoff = this.#deps.clock.now() - retention;
    let dropped = 0;
    for (const runner of [...this.#runners.values()]) {
      const { record } = runner;
      const finishedAt = record.history[record.history.length - 1]?.at;
      if (!runner.finished || !TERMINAL_SLICE_STATES.includes(record.state)) continue;
      if (finishedAt === undefined || finishedAt > cutoff) continue;
      try {
        await this.#queue.run(runner.sliceId, () => store.delete(runner.sliceId));
        runner.stop();
        this.#forget(runner.sliceId);
        dropped += 1;
      } catch (error) {
        this.#deps.logger.warn('could not compact a finished slice; trying again later', {
          sliceId: runner.sliceId,
          error,
        });
      }
    }
    this.#counters.compacted += dropped;
    return dropped;
  }

  counters(): SliceManagerCounters {
    return { ...this.#counters };
  }

  /** What reconciliation with the infrastructure found so far. */
  reconcilerCounters(): ReconcilerCounters {
    return this.#reconciler.counters();
  }

  /** One reconciliation pass now (besides the periodic ones); resolves with its findings. */
  reconcile(): ReturnType<Reconciler['pass']> {
    return this.#reconciler.pass();
  }

  #localSlice(sliceId: string): LocalSlice {
    // Another instance's slice: its reservations are that instance's to reconcile.
    if (!this.#partitions.has(partitionOf(sliceId))) return { kind: 'unreadable' };
    const runner = this.#runners.get(sliceId);
    if (runner) return { kind: 'known', record: runner.record };
    return this.#unreadable.has(sliceId) ? { kind: 'unreadable' } : { kind: 'unknown' };
  }

  #activeSlices(): Map<string, number> {
    const active = new Map<string, number>();
    for (const runner of this.#runners.values()) {
      const { state, placement } = runner.record;
      if (state === 'active' && placement) active.set(runner.sliceId, placement.appliedAt);
    }
    return active;
  }

  async #resourcesLost(sliceId: string, note: string): Promise<void> {
    const runner = this.#runners.get(sliceId);
    if (!runner) return;
    await this.#queue.run(sliceId, () => runner.deliver({ type: 'slice.resources-lost', note }));
  }

  /**
   * `slice.get` and `slice.list`, answered by any instance: from the records held
   * here for the partitions it owns, by asking the owner for the others. A tenant's
   * client learns about its own tenant's slices only: the reply goes to its inbox,
   * which no one else may read, so the inbox says whom the answer is for (another
   * tenant's slice is as unknown to it as one that does not exist). Roles and the
   * operator see every slice.
   */
  #serveQueries(): Subscription[] {
    const { bus } = this.#deps;
    const queue = bus.subjects.queueGroup('slice-manager');
    const tenantOfRequest = (ctx: MessageContext) => requesterTenant(bus.subjects, ctx.reply);
    return [
      bus.serve(
        ENDPOINTS.sliceGet,
        async (request, ctx) => ({
          type: 'slice.get.reply.v1' as const,
          slice: await this.#get(request.sliceId, tenantOfRequest(ctx)),
        }),
        { queue },
      ),
      bus.serve(
        ENDPOINTS.sliceList,
        (request, ctx) => this.#listPage(request, tenantOfRequest(ctx)),
        { queue },
      ),
    ];
  }

  async #get(sliceId: string, tenant: string | undefined): Promise<SliceRecord> {
    const partition = partitionOf(sliceId);
    if (this.#partitions.has(partition)) return this.#lookup(sliceId, tenant).record;
    const reply = await this.#askOwner(partition, {
      type: 'slice.partition.query.v1',
      op: 'get',
      sliceId,
      ...(tenant === undefined ? {} : { tenant }),
    });
    const [record] = reply.slices;
    if (!record) throw new SliceMeshError('unknown-slice', `no slice with id ${sliceId}`);
    return record;
  }

  /**
   * One page: partitions in order, records by slice id within each, until the
   * limit or the byte budget is reached; the cursor says where the next page
   * starts. Nothing here walks more than the page needs (plus, with a state
   * filter, the records it skips).
   */
  async #listPage(request: SliceListRequest, tenant: string | undefined): Promise<SliceListReply> {
    const now = this.#deps.clock.now();
    const limit = request.limit ?? DEFAULT_SLICE_PAGE;
    const start = request.cursor
      ? decodeCursor(request.cursor, { state: request.state, tenant }, now)
      : { partition: 0, after: undefined, state: request.state };
    const { state } = start;
    let { partition, after } = start;
    const slices: SliceRecord[] = [];
    let bytes = 0;
    const filter = { state, tenant };
    while (partition < INTAKE_PARTITIONS && slices.length < limit) {
      const page = await this.#partitionPage(partition, {
        ...filter,
        after,
        limit: limit - slices.length,
        maxBytes: Math.max(1, PAGE_BYTE_BUDGET - bytes),
      });
      slices.push(...page.slices);
      bytes += page.bytes;
      const last = page.slices[page.slices.length - 1];
      if (page.more) {
        const position = {
          partition,
          ...(last ? { after: last.sliceId } : after ? { after } : {}),
        };
        return {
          type: 'slice.list.reply.v2',
          slices,
          nextCursor: encodeCursor(position, filter, now),
        };
      }
      partition += 1;
      after = undefined;
      if (bytes >= PAGE_BYTE_BUDGET) break;
    }
    return partition < INTAKE_PARTITIONS
      ? {
          type: 'slice.list.reply.v2',
          slices,
          nextCursor: encodeCursor({ partition }, filter, now),
        }
      : { type: 'slice.list.reply.v2', slices };
  }

  async #partitionPage(
    partition: number,
    query: {
      state: SliceState | undefined;
      tenant: string | undefined;
      after: string | undefined;
      limit: number;
      maxBytes: number;
    },
  ): Promise<{ slices: SliceRecord[]; more: boolean; bytes: number }> {
    if (this.#partitions.has(partition)) return this.#localPage(partition, query);
    const reply = await this.#askOwner(partition, {
      type: 'slice.partition.query.v1',
      op: 'list',
      limit: query.limit,
      maxBytes: query.maxBytes,
      ...(query.state === undefined ? {} : { state: query.state }),
      ...(query.tenant === undefined ? {} : { tenant: query.tenant }),
      ...(query.after === undefined ? {} : { after: query.after }),
    });
    const bytes = reply.slices.reduce((sum, record) => sum + JSON.stringify(record).length, 0);
    return { slices: reply.slices, more: reply.more, bytes };
  }

  #localPage(
    partition: number,
    query: {
      state: SliceState | undefined;
      tenant: string | undefined;
      after: string | undefined;
      limit: number;
      maxBytes: number;
    },
  ): { slices: SliceRecord[]; more: boolean; bytes: number } {
    const slices: SliceRecord[] = [];
    let bytes = 0;
    for (const sliceId of this.#index.after(partition, query.after)) {
      const record = this.#runners.get(sliceId)?.record;
      if (!record) continue;
      if (query.state !== undefined && record.state !== query.state) continue;
      if (query.tenant !== undefined && tenantOf(record) !== query.tenant) continue;
      const size = JSON.stringify(record).length;
      // Always at least one record, so every page moves the listing on.
      if (slices.length >= query.limit || (slices.length > 0 && bytes + size > query.maxBytes)) {
        return { slices, more: true, bytes };
      }
      slices.push(record);
      bytes += size;
    }
    return { slices, more: false, bytes };
  }

  /** What another instance asks about a partition owned here. */
  #answerPartitionQuery(partition: number, query: PartitionQuery): PartitionQueryReply {
    if (query.op === 'get') {
      if (partitionOf(query.sliceId) !== partition) {
        throw new SliceMeshError(
          'invalid-message',
          `slice ${query.sliceId} is not in partition ${partition}`,
        );
      }
      return {
        type: 'slice.partition.reply.v1',
        slices: [this.#lookup(query.sliceId, query.tenant).record],
        more: false,
      };
    }
    const page = this.#localPage(partition, {
      state: query.state,
      tenant: query.tenant,
      after: query.after,
      limit: query.limit,
      maxBytes: query.maxBytes,
    });
    return { type: 'slice.partition.reply.v1', slices: page.slices, more: page.more };
  }

  async #askOwner(partition: number, query: PartitionQuery): Promise<PartitionQueryReply> {
    const { bus } = this.#deps;
    try {
      return await bus.request(
        bus.subjects.slicePartitionQuery(partition),
        PartitionQuery,
        query,
        PartitionQueryReply,
        { timeoutMs: PARTITION_QUERY_TIMEOUT_MS },
      );
    } catch (error) {
      if (!isSliceMeshError(error) || error.code !== 'unavailable') throw error;
      throw new SliceMeshError(
        'unavailable',
        `no slice-manager owns partition ${partition} right now (an instance stopped without handing it over: its lease expires within ${this.#options.partitionLeaseMs} ms); try again`,
        { retryable: true, details: { partition } },
      );
    }
  }

  /** The slice's runner; `unknown-slice` when there is none (or it is not `tenant`'s, if given). */
  #lookup(sliceId: string, tenant?: string): SliceRunner {
    const found = this.#runners.get(sliceId);
    const runner =
      tenant === undefined || (found && tenantOf(found.record) === tenant) ? found : undefined;
    if (!runner) {
      this.#counters.unknownSlice += 1;
      throw new SliceMeshError('unknown-slice', `no slice with id ${sliceId}`, {
        retryable: false,
        details: { sliceId },
      });
    }
    return runner;
  }

  /** Loads the stored slices whose keys `wanted` selects (the partitions being taken over). */
  async #rehydrate(
    { machine, runnerDeps: deps, store }: Work,
    wanted: (key: string) => boolean,
  ): Promise<void> {
    for (const key of await store.keys()) {
      if (!wanted(key) || this.#runners.has(key)) continue;
      this.#unreadable.delete(key);
      try {
        const entry = await store.get(key);
        if (!entry) continue;
        const persisted = parsePersistedLifecycle(entry.value.snapshot);
        const announced = entry.value.eventsPublished;
        if (isFinished(persisted) && announced >= historyCount(persisted.context.record)) {
          this.#remember(SliceRunner.finished(deps, persisted.context.record));
          continue;
        }
        this.#remember(SliceRunner.resume(deps, machine, persisted, announced));
        this.#counters.resumed += 1;
      } catch (error) {
        this.#counters.unreadable += 1;
        this.#unreadable.add(key);
        this.#deps.logger.error('skipping a stored slice that cannot be read', { key, error });
      }
    }
  }

  async #onIntake(work: Work, message: IntakeMessage, ctx: MessageContext): Promise<void> {
    const expected = intakeSubject(this.#deps.bus.subjects, message);
    if (ctx.subject !== expected) {
      this.#counters.misrouted += 1;
      throw new SliceMeshError(
        'invalid-message',
        `${message.type} for slice ${message.sliceId} must be sent to ${expected}, not ${ctx.subject}`,
        { retryable: false },
      );
    }
    if (message.type === 'slice.request.v2') {
      await this.#onRequest(work, message, ctx);
      return;
    }
    const runner = this.#lookup(message.sliceId);
    if (message.type !== 'sla.violation.v1') this.#assertSameTenant(runner, message);
    await this.#queue.run(message.sliceId, () => runner.deliver(message));
  }

  /**
   * A requester reaches only its own tenant's slices. The server lets a client publish
   * on its own tenant's subjects only, so a message that gets here under another tenant
   * names a slice id of someone else's: it is refused (and the sender told), not obeyed.
   */
  #assertSameTenant(runner: SliceRunner, message: { sliceId: string; tenant: string }): void {
    const owner = tenantOf(runner.record);
    if (message.tenant === owner) return;
    this.#counters.foreignTenant += 1;
    throw new SliceMeshError(
      'forbidden',
      `slice ${message.sliceId} does not belong to tenant ${message.tenant}`,
      { retryable: false, details: { sliceId: message.sliceId, tenant: message.tenant } },
    );
  }

  /**
   * A redelivery or a resubmission: the slice exists once. Make sure it is stored before
   * the message is acknowledged.
   */
  async #onDuplicate(runner: SliceRunner, request: SliceRequest): Promise<void> {
    this.#assertSameTenant(runner, request);
    this.#counters.duplicates += 1;
    await this.#queue.run(request.sliceId, () => runner.flush());
  }

  async #onRequest(work: Work, request: SliceRequest, ctx: MessageContext): Promise<void> {
    const existing = this.#runners.get(request.sliceId);
    if (existing) return this.#onDuplicate(existing, request);
    // A place among the slices on their way to active: taken at once when one is free (no
    // await, so the slice is registered before a change right behind it is handled), else
    // waited for while the message stays unacknowledged in the intake (see admission.ts).
    if (!this.#admission.tryAcquire(request.sliceId)) {
      await this.#admission.acquire(request.sliceId);
      // A copy delivered again may have started the slice while this one waited. The place
      // is the slice's (one per id): give it back unless the slice is still preparing.
      const started = this.#runners.get(request.sliceId);
      if (started) {
        if (!started.isPreparing()) this.#admission.release(request.sliceId);
        return this.#onDuplicate(started, request);
      }
    }
    // One slice request = one trace: this span (child of the intake message's
    // trace, if it had one) is the parent of every state span and call. It
    // covers the intake itself: creating the machine and storing it.
    await instrument(
      this.#tracer,
      SPAN.sliceLifecycle,
      { [ATTR.sliceId]: request.sliceId },
      async (span) => {
        const rootContext = trace.setSpan(ctx.context, span);
        const carrier: TraceCarrier = {};
        injectTraceContext(recordCarrier(carrier), rootContext);
        const traceId = traceIdOf(rootContext);
        const actor = createActor(work.machine, {
          input: {
            request,
            limits: this.#limits,
            ...(Object.keys(carrier).length > 0 ? { trace: carrier } : {}),
            ...(traceId ? { traceId } : {}),
          },
        });
        // Registered before the first await, so a change right behind the
        // request never finds the slice missing.
        let runner: SliceRunner;
        try {
          runner = SliceRunner.start(work.runnerDeps, request.sliceId, actor);
        } catch (error) {
          this.#admission.release(request.sliceId); // no runner will ever release it
          throw error;
        }
        this.#remember(runner);
        this.#counters.accepted += 1;
        await this.#queue.run(request.sliceId, () => runner.flush());
      },
      { context: ctx.context, kind: SpanKind.INTERNAL },
    );
  }
}
