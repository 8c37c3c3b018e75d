/**
 * One slice inside the slice-manager: its lifecycle actor, the persistence of
 * every transition, the events and outcomes it announces, and the spans that
 * show its states in the slice's trace.
 *
 * Order per transition: persist the snapshot → publish the new slice events
 * (deduplicated by `<sliceId>:<index>`) and outcomes → persist the published
 * count. A crash between the steps makes a restart publish the events again;
 * JetStream drops the repeats within its duplicate window. An observer never
 * sees a state that a restart could take back.
 */
import {
  ROOT_CONTEXT,
  context as otelContext,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import {
  SliceEvent,
  SliceOutcome,
  TERMINAL_SLICE_STATES,
  historyCount,
  tenantOf,
  type SliceRecord,
  type SliceState,
} from '../../shared/contracts/index.js';
import type { Bus } from '../../shared/bus/index.js';
import type { Logger } from '../../shared/runtime/logger.js';
import { ATTR, SPAN } from '../../shared/telemetry/index.js';
import { extractTraceContext } from '../../shared/telemetry/propagation.js';
import type {
  LifecycleActor,
  LifecycleContext,
  LifecycleEvent,
  LifecycleMachine,
  TraceCarrier,
} from './lifecycle/machine.js';
import {
  createRestoredActor,
  persistLifecycle,
  resumeLifecycle,
  type PersistedLifecycle,
} from './lifecycle/persistence.js';
import type { AdmissionGate } from './admission.js';
import type { PlacementLock } from './placement-lock.js';
import type { KeyedSerialQueue } from './serial-queue.js';
import type { SliceStore } from './store.js';

export interface RunnerDeps {
  bus: Bus;
  store: SliceStore;
  tracer: Tracer;
  logger: Logger;
  queue: KeyedSerialQueue;
  /** Released as soon as the slice is no longer placing (see placement-lock.ts). */
  placementLock?: PlacementLock;
  /** Released as soon as the slice is no longer on its way to active (see admission.ts). */
  admission?: AdmissionGate;
}

/** Top-level states in which a slice views the network, plans or applies. */
const PLACING_STATES: ReadonlySet<string> = new Set(['planning', 'deploying', 'adapting']);
/** Top-level states of a slice on its way to active (what the admission gate counts). */
const PREPARING_STATES: ReadonlySet<string> = new Set([
  'requested',
  'interpreting',
  'planning',
  'deploying',
]);

/** Causes after which a slice's deployment outcome is worth remembering. */
const OUTCOME_CAUSES = new Set(['applied', 'adapted']);
const FLUSH_RETRY_MAX_MS = 5_000;
/**
 * How long the count of announced transitions may go unstored. The next
 * snapshot carries it anyway; for a slice that then stays put it is written
 * after this delay. A restart in between announces the latest transitions
 * again under the same message ids, which JetStream drops as duplicates.
 * (Writing it after every announcement cost a KV write per transition.)
 */
const ANNOUNCED_COUNT_DELAY_MS = 250;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A `HeaderCarrier` view of a plain record, for W3C trace context extraction. */
function carrierOf(record: TraceCarrier | undefined) {
  const map = new Map(Object.entries(record ?? {}));
  return {
    get: (key: string) => map.get(key) ?? '',
    set: (key: string, value: string) => void map.set(key, value),
    has: (key: string) => map.has(key),
    keys: () => [...map.keys()],
  };
}

export class SliceRunner {
  readonly sliceId: string;
  readonly #deps: RunnerDeps;
  readonly #actor: LifecycleActor | undefined;
  /** Record of a slice loaded finished from the store (no actor runs for it). */
  readonly #finishedRecord: SliceRecord | undefined;
  readonly #root: Context;
  #eventsPublished: number;
  /** `eventsPublished` as last written to the store. */
  #storedCount: number;
  #countTimer: NodeJS.Timeout | undefined;
  #storedJson: string | undefined;
  #flushQueued = false;
  #stopped = false;
  #spanned: number;
  #stateSpan: { span: Span; context: Context } | undefined;
  #unsubscribe: (() => void) | undefined;

  private constructor(
    deps: RunnerDeps,
    sliceId: string,
    options: {
      actor?: LifecycleActor;
      finishedRecord?: SliceRecord;
      trace: TraceCarrier | undefined;
      eventsPublished: number;
      storedJson?: string;
    },
  ) {
    this.#deps = deps;
    this.sliceId = sliceId;
    this.#actor = options.actor;
    this.#finishedRecord = options.finishedRecord;
    this.#root = extractTraceContext(carrierOf(options.trace), ROOT_CONTEXT);
    this.#eventsPublished = options.eventsPublished;
    this.#storedCount = options.eventsPublished;
    this.#storedJson = options.storedJson;
    this.#spanned = 0;
  }

  /** Starts a new slice from a fresh actor (created but not started). */
  static start(deps: RunnerDeps, sliceId: string, actor: LifecycleActor): SliceRunner {
    const snapshot = actor.getSnapshot();
    const runner = new SliceRunner(deps, sliceId, {
      actor,
      trace: snapshot.context.trace,
      eventsPublished: 0,
    });
    runner.#watch();
    actor.start();
    return runner;
  }

  /** Resumes a slice from its stored snapshot (see `restoreLifecycle`). */
  static resume(
    deps: RunnerDeps,
    machine: LifecycleMachine,
    persisted: PersistedLifecycle,
    eventsPublished: number,
  ): SliceRunner {
    const actor = createRestoredActor(machine, persisted);
    const runner = new SliceRunner(deps, persisted.context.record.sliceId, {
      actor,
      trace: (persisted.context as Partial<LifecycleContext>).trace,
      eventsPublished,
      storedJson: JSON.stringify(persisted),
    });
    // Transitions announced before the restart had their spans in the previous process.
    runner.#spanned = Math.min(eventsPublished, historyCount(actor.getSnapshot().context.record));
    runner.#watch();
    resumeLifecycle(actor);
    // Announces transitions stored but not yet published before the restart.
    runner.#onSnapshot();
    return runner;
  }

  /** Holds a finished slice for get/list; nothing runs for it. */
  static finished(deps: RunnerDeps, record: SliceRecord): SliceRunner {
    return new SliceRunner(deps, record.sliceId, {
      finishedRecord: record,
      trace: undefined,
      eventsPublished: historyCount(record),
    });
  }

  /** The slice as it stands. */
  get record(): SliceRecord {
    return this.#actor
      ? this.#actor.getSnapshot().context.record
      : (this.#finishedRecord as SliceRecord);
  }

  get finished(): boolean {
    return TERMINAL_SLICE_STATES.includes(this.record.state);
  }

  /** Trace context for calls made now: the span of the current state, else the slice's root. */
  traceContext(): Context {
    return this.#stateSpan?.context ?? this.#root;
  }

  /** Hands an intake event to the machine and persists the outcome. Run it inside the slice's queue. */
  async deliver(event: LifecycleEvent): Promise<void> {
    if (!this.#actor || this.finished) return;
    this.#actor.send(event);
    await this.flush();
  }

  /**
   * Persists the snapshot if it changed and announces new transitions.
   * Throws when NATS is unavailable; callers retry (or nak the intake message).
   */
  async flush(): Promise<void> {
    if (!this.#actor || this.#stopped) return;
    const persisted = persistLifecycle(this.#actor);
    const json = JSON.stringify(persisted);
    if (json !== this.#storedJson) await this.#store(persisted, json);
    const transitions = historyCount(persisted.context.record);
    if (transitions > this.#eventsPublished) {
      await this.#announce(persisted.context as unknown as LifecycleContext, this.#eventsPublished);
      this.#eventsPublished = transitions;
      // A finished slice stores no further snapshot: its count is written now.
      if (TERMINAL_SLICE_STATES.includes(persisted.context.record.state))
        await this.#store(persisted, json);
      else this.#storeCountLater();
    }
  }

  /** Writes the announced count soon, unless a snapshot written meanwhile carries it. */
  #storeCountLater(): void {
    if (this.#countTimer !== undefined) return;
    this.#countTimer = setTimeout(() => {
      this.#countTimer = undefined;
      void this.#deps.queue.run(this.sliceId, async () => {
        try {
          await this.#storeCount();
        } catch (error) {
          // The next snapshot carries it; until then a restart re-announces (deduplicated).
          this.#deps.logger.warn('could not store the announced count of a slice', {
            sliceId: this.sliceId,
            error,
          });
        }
      });
    }, ANNOUNCED_COUNT_DELAY_MS);
    this.#countTimer.unref();
  }

  async #storeCount(): Promise<void> {
    if (!this.#actor || this.#stopped || this.#storedCount >= this.#eventsPublished) return;
    // The latest snapshot: transitions in it not announced yet are above the count, as after any write.
    const persisted = persistLifecycle(this.#actor);
    await this.#store(persisted, JSON.stringify(persisted));
  }

  /** Stores the latest snapshot (best effort), then stops the actor. Run it inside the slice's queue. */
  async close(): Promise<void> {
    try {
      await this.flush();
      await this.#storeCount();
    } catch (error) {
      this.#deps.logger.warn(
        'could not store a slice at shutdown; it resumes from its last stored state',
        {
          sliceId: this.sliceId,
          error,
        },
      );
    }
    this.stop();
  }

  /** Whether the slice is in a state that may hold the placement lock. */
  isPlacing(): boolean {
    const top = this.#topState();
    return top !== undefined && PLACING_STATES.has(top);
  }

  /** Whether the slice is still on its way to active. */
  isPreparing(): boolean {
    const top = this.#topState();
    return top !== undefined && PREPARING_STATES.has(top);
  }

  #topState(): string | undefined {
    if (this.#stopped || !this.#actor) return undefined;
    const value = this.#actor.getSnapshot().value;
    return typeof value === 'string' ? value : Object.keys(value)[0];
  }

  /** Stops the actor without touching what is stored; in-flight calls are re-sent on resume. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#countTimer);
    this.#countTimer = undefined;
    this.#deps.placementLock?.release(this.sliceId);
    this.#deps.admission?.release(this.sliceId);
    this.#unsubscribe?.();
    this.#actor?.stop();
    this.#stateSpan?.span.end();
    this.#stateSpan = undefined;
  }

  #watch(): void {
    const actor = this.#actor;
    if (!actor) return;
    const subscription = actor.subscribe({
      next: () => this.#onSnapshot(),
      error: (error) =>
        this.#deps.logger.error('slice lifecycle crashed', { sliceId: this.sliceId, error }),
    });
    this.#unsubscribe = () => subscription.unsubscribe();
  }

  /** Called synchronously on every snapshot: open state spans, queue a flush. */
  #onSnapshot(): void {
    if (this.#stopped || !this.#actor) return;
    const context = this.#actor.getSnapshot().context;
    if (!this.isPlacing()) this.#deps.placementLock?.release(this.sliceId);
    if (!this.isPreparing()) this.#deps.admission?.release(this.sliceId);
    this.#openStateSpans(context);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    void this.#deps.queue.run(this.sliceId, async () => {
      this.#flushQueued = false;
      await this.#flushUntilStored();
    });
  }

  async #flushUntilStored(): Promise<void> {
    for (let attempt = 1; !this.#stopped; attempt++) {
      try {
        await this.flush();
        return;
      } catch (error) {
        const delay = Math.min(FLUSH_RETRY_MAX_MS, 100 * 2 ** Math.min(attempt, 6));
        this.#deps.logger.warn('could not persist a slice transition, retrying', {
          sliceId: this.sliceId,
          attempt,
          retryInMs: delay,
          error,
        });
        await sleep(delay);
      }
    }
  }

  /** One span per state the slice passes through, lasting as long as it stays there. */
  #openStateSpans(context: LifecycleContext): void {
    const history = context.record.history;
    const dropped = context.record.historyDropped ?? 0;
    // #spanned counts transitions in all; history holds the latest ones (see SLICE_HISTORY_LIMIT).
    for (let i = Math.max(0, this.#spanned - dropped); i < history.length; i++) {
      const entry = history[i];
      if (!entry) continue;
      this.#stateSpan?.span.end();
      const span = this.#deps.tracer.startSpan(
        `${SPAN.sliceTransition} ${entry.state}`,
        {
          attributes: {
            [ATTR.sliceId]: this.sliceId,
            [ATTR.sliceState]: entry.state,
            [ATTR.sliceCause]: context.causes[i] ?? entry.state,
            ...(i > 0 && history[i - 1]
              ? { [ATTR.slicePreviousState]: (history[i - 1] as { state: SliceState }).state }
              : {}),
          },
        },
        this.#root,
      );
      if (entry.note) span.addEvent('note', { note: entry.note });
      if (TERMINAL_SLICE_STATES.includes(entry.state)) {
        span.end();
        this.#stateSpan = undefined;
      } else {
        this.#stateSpan = { span, context: trace.setSpan(this.#root, span) };
      }
    }
    this.#spanned = dropped + history.length;
  }

  /** Writes `persisted` (serialised as `json`) with the count of transitions announced so far. */
  async #store(persisted: PersistedLifecycle, json: string): Promise<void> {
    const eventsPublished = this.#eventsPublished;
    await this.#deps.store.put(this.sliceId, {
      type: 'slice.snapshot.v1',
      snapshot: persisted as unknown as Record<string, unknown>,
      eventsPublished,
    });
    this.#storedJson = json;
    this.#storedCount = Math.max(this.#storedCount, eventsPublished);
  }

  async #announce(context: LifecycleContext, from: number): Promise<void> {
    const { bus } = this.#deps;
    const record = context.record;
    const history = record.history;
    const dropped = record.historyDropped ?? 0;
    // `from` counts transitions in all; history holds the latest ones (see SLICE_HISTORY_LIMIT).
    for (let i = Math.max(0, from - dropped); i < history.length; i++) {
      const entry = history[i];
      if (!entry) continue;
      const event: SliceEvent = {
        type: 'slice.event.v1',
        sliceId: this.sliceId,
        at: entry.at,
        from: history[i - 1]?.state ?? null,
        to: entry.state,
        cause: (context.causes[i] ?? entry.state).slice(0, 128),
        // The record as of this transition: its state and history up to it.
        record: { ...record, state: entry.state, history: history.slice(0, i + 1) },
      };
      await otelContext.with(this.traceContext(), () =>
        bus.jsPublish(bus.subjects.sliceEvent(tenantOf(record), this.sliceId), SliceEvent, event, {
          msgId: `${this.sliceId}:${dropped + i}`,
          retryForMs: 5_000,
        }),
      );
      this.#publishOutcome(record, entry.state, context.causes[i], entry.at);
    }
  }

  /** Tells the memory-curator how a deployment turned out (when active, and when released). */
  #publishOutcome(record: SliceRecord, state: SliceState, cause: string | undefined, at: number) {
    const deployed = state === 'active' && cause !== undefined && OUTCOME_CAUSES.has(cause);
    const ended = state === 'released' && record.placement !== undefined;
    if (!(deployed || ended) || !record.preference || !record.profile) return;
    const outcome: SliceOutcome = {
      type: 'slice.outcome.v1',
      sliceId: this.sliceId,
      at,
      text: record.text,
      preference: record.preference,
      profile: record.profile,
      served: record.served ?? false,
    };
    if (record.observed) outcome.observed = record.observed;
    const { bus } = this.#deps;
    try {
      otelContext.with(this.traceContext(), () =>
        bus.publish(bus.subjects.sliceOutcome(this.sliceId), SliceOutcome, outcome),
      );
    } catch (error) {
      // Outcomes are advisory (plain pub/sub); a lost one costs the memory one example.
      this.#deps.logger.warn('could not publish a slice outcome', { sliceId: this.sliceId, error });
    }
  }
}
