/**
 * The slice-manager's work: one lifecycle machine per slice, fed from the
 * durable intake stream, persisted on every transition, announced on the
 * events stream, and queryable through `slice.get` / `slice.list`.
 */
import { ROOT_CONTEXT, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { createActor } from 'xstate';
import { z } from 'zod';
import {
  ENDPOINTS,
  SlaViolation,
  SliceChange,
  SliceMeshError,
  SliceRequest,
  SliceTermination,
  historyCount,
  intakeSubject,
  requesterTenant,
  tenantOf,
  type SliceGetReply,
  type SliceListReply,
  type SliceRecord,
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
}

/** What intake and rehydration work with: the bound lifecycle machine and what each slice runner needs. */
interface Work {
  machine: LifecycleMachine;
  runnerDeps: RunnerDeps;
}

/** Everything start() opened, in one record: it exists exactly while the manager runs. */
interface Running extends Work {
  services: Subscription[];
  consumer: ConsumerHandle;
}

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
  readonly #counters: SliceManagerCounters = {
    accepted: 0,
    duplicates: 0,
    unknownSlice: 0,
    misrouted: 0,
    foreignTenant: 0,
    resumed: 0,
    unreadable: 0,
  };
  #running: Running | undefined;

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
    };
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

  /** Rehydrates stored slices, then serves get/list and consumes the intake stream. */
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
          placementSent: (sliceId) => this.#placementLock.release(sliceId),
        },
      ),
    });
    const work: Work = { machine, runnerDeps };
    await this.#rehydrate(work, store);

    const services = this.#serveQueries();
    let consumer: ConsumerHandle;
    try {
      // Intake starts flowing here, so its handler takes `work` rather than `#running`.
      consumer = await bus.consume(
        bus.subjects.intakeStream,
        this.#options.durable,
        bus.subjects.intakeAll(),
        IntakeMessage,
        (message, ctx) => this.#onIntake(work, message, ctx),
        { concurrency: this.#options.intakeConcurrency },
      );
    } catch (error) {
      await stopAll(services);
      throw error;
    }
    this.#running = { ...work, services, consumer };
    // After rehydration: a slice unknown now is unknown for good (one manager per namespace).
    this.#reconciler.start();
    logger.info('slice-manager running', {
      slices: this.#runners.size,
      resumed: this.#counters.resumed,
    });
  }

  /** Stops intake and services, lets queued work finish, then stops every lifecycle (state stays stored). */
  async stop(): Promise<void> {
    const grace = this.#options.shutdownGraceMs;
    await this.#reconciler.stop();
    const running = this.#running;
    this.#running = undefined;
    if (running) {
      await running.consumer.stop(grace);
      await stopAll(running.services);
    }
    // Each slice stores what it has not stored yet, then stops, behind the
    // work already queued for it; whatever is still stuck after the grace
    // time is stopped as is (its last stored snapshot is what resumes).
    const closing = [...this.#runners.values()].map((runner) =>
      this.#queue.run(runner.sliceId, () => runner.close()),
    );
    const timer = new Promise<void>((resolve) => setTimeout(resolve, grace).unref());
    await Promise.race([Promise.allSettled(closing), timer]);
    for (const runner of this.#runners.values()) runner.stop();
    this.#placementLock.close();
  }

  /** Records of all slices (optionally in one state, of one tenant), ordered by slice id. */
  records(state?: SliceRecord['state'], tenant?: string): SliceRecord[] {
    return [...this.#runners.values()]
      .map((runner) => runner.record)
      .filter((record) => state === undefined || record.state === state)
      .filter((record) => tenant === undefined || tenantOf(record) === tenant)
      .sort((a, b) => (a.sliceId < b.sliceId ? -1 : a.sliceId > b.sliceId ? 1 : 0));
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
   * `slice.get` and `slice.list`, answered from the records held here. A tenant's client
   * learns about its own tenant's slices only: the reply goes to its inbox, which no one
   * else may read, so the inbox says whom the answer is for (another tenant's slice is as
   * unknown to it as one that does not exist). Roles and the operator see every slice.
   */
  #serveQueries(): Subscription[] {
    const { bus } = this.#deps;
    const queue = bus.subjects.queueGroup('slice-manager');
    const tenantOfRequest = (ctx: MessageContext) => requesterTenant(bus.subjects, ctx.reply);
    return [
      bus.serve(
        ENDPOINTS.sliceGet,
        (request, ctx): SliceGetReply => ({
          type: 'slice.get.reply.v1',
          slice: this.#lookup(request.sliceId, tenantOfRequest(ctx)).record,
        }),
        { queue },
      ),
      bus.serve(
        ENDPOINTS.sliceList,
        (request, ctx): SliceListReply => ({
          type: 'slice.list.reply.v1',
          slices: this.records(request.state, tenantOfRequest(ctx)),
        }),
        { queue },
      ),
    ];
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

  async #rehydrate({ machine, runnerDeps: deps }: Work, store: SliceStore): Promise<void> {
    for (const key of await store.keys()) {
      try {
        const entry = await store.get(key);
        if (!entry) continue;
        const persisted = parsePersistedLifecycle(entry.value.snapshot);
        const announced = entry.value.eventsPublished;
        if (isFinished(persisted) && announced >= historyCount(persisted.context.record)) {
          this.#runners.set(key, SliceRunner.finished(deps, persisted.context.record));
          continue;
        }
        this.#runners.set(key, SliceRunner.resume(deps, machine, persisted, announced));
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

  async #onRequest(work: Work, request: SliceRequest, ctx: MessageContext): Promise<void> {
    const existing = this.#runners.get(request.sliceId);
    if (existing) {
      this.#assertSameTenant(existing, request);
      // A redelivery or a resubmission: the slice exists once. Make sure it is
      // stored before the message is acknowledged.
      this.#counters.duplicates += 1;
      await this.#queue.run(request.sliceId, () => existing.flush());
      return;
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
        const runner = SliceRunner.start(work.runnerDeps, request.sliceId, actor);
        this.#runners.set(request.sliceId, runner);
        this.#counters.accepted += 1;
        await this.#queue.run(request.sliceId, () => runner.flush());
      },
      { context: ctx.context, kind: SpanKind.INTERNAL },
    );
  }
}
