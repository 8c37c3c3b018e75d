/**
 * Follows the slices of one replay through their slice events (plus, for
 * surges, their KPI samples and SLA violations) and decides when each has
 * settled: it is active or in a final state, and nothing the replay sent it
 * is still in flight. Pure: fed events, asked questions.
 *
 * A surge is traffic, not a request: nothing acknowledges it. Its effect —
 * congestion, a violation after a few breaching samples, an adaptation — shows
 * up over the next KPI samples, or never. So a surge counts as taken up once
 * the run has been quiet for `surgeQuietSamples` KPI samples of the surging
 * slice in a row: no state change of any slice of the run and no SLA violation
 * in between, and every violation seen has been answered by its slice (a
 * transition after it). Counting samples rather than wall time keeps the rule
 * independent of how busy the machine is.
 */
import {
  HOLDING_SLICE_STATES,
  TERMINAL_SLICE_STATES,
  historyCount,
  type KpiSample,
  type SlaViolation,
  type SliceEvent,
  type SliceRecord,
  type SliceState,
} from '../../shared/contracts/index.js';
import { DEFAULT_HYSTERESIS } from '../../agents/telemetry/index.js';

type Pending =
  | { readonly kind: 'request' }
  | { readonly kind: 'change'; readonly changeId: string }
  | { readonly kind: 'terminate' }
  | { readonly kind: 'surge'; readonly surgeId: string; quietSamples: number };

interface Tracked {
  record: SliceRecord | undefined;
  pending: Pending[];
  /** A slice with a lifetime ends by itself; the final wait includes that end. */
  hasLifetime: boolean;
  lastKpi: KpiSample | undefined;
}

export interface SliceTrackerOptions {
  /**
   * Quiet KPI samples of the surging slice after which a surge counts as taken
   * up; 0 = a surge settles as soon as its slice has (for meshes that report
   * no KPI samples).
   */
  readonly surgeQuietSamples?: number;
}

/**
 * Default quiet period of a surge, in KPI samples of the surging slice. The
 * telemetry agent opens a breach after `enterSamples` (2) breaching samples;
 * one sample may already have been on its way when the load changed, and one
 * more gives the violation a whole KPI interval to reach the replay before it
 * is judged quiet: 2 + 1 + 1.
 */
export const DEFAULT_SURGE_QUIET_SAMPLES = DEFAULT_HYSTERESIS.enterSamples + 2;

const isTerminal = (state: SliceState) => TERMINAL_SLICE_STATES.includes(state);

/** True when a history note of `record` names `changeId` as a whole token. */
function mentions(record: SliceRecord, changeId: string): boolean {
  const token = new RegExp(`(^|[^A-Za-z0-9_-])${changeId}([^A-Za-z0-9_-]|$)`);
  return record.history.some((entry) => entry.note !== undefined && token.test(entry.note));
}

export class SliceTracker {
  readonly #slices = new Map<string, Tracked>();
  readonly #listeners = new Set<() => void>();
  readonly #surgeQuietSamples: number;
  /** Slices with a violation they have not answered yet → their history length when it was seen. */
  readonly #unanswered = new Map<string, number>();
  readonly #violations: SlaViolation[] = [];

  constructor(options: SliceTrackerOptions = {}) {
    this.#surgeQuietSamples = options.surgeQuietSamples ?? DEFAULT_SURGE_QUIET_SAMPLES;
  }

  /** Registers a slice the replay is about to request. */
  expectRequest(sliceId: string, hasLifetime: boolean): void {
    this.#slices.set(sliceId, {
      record: undefined,
      pending: [{ kind: 'request' }],
      hasLifetime,
      lastKpi: undefined,
    });
  }

  /** Registers a change the replay is about to send. */
  expectChange(sliceId: string, changeId: string): void {
    this.#expect(sliceId, { kind: 'change', changeId });
  }

  /** Registers a surge the replay is about to send (nothing to wait for when surges are not followed). */
  expectSurge(sliceId: string, surgeId: string): void {
    if (this.#surgeQuietSamples === 0) return;
    this.#expect(sliceId, { kind: 'surge', surgeId, quietSamples: 0 });
  }

  /** Registers a termination the replay is about to send. */
  expectTermination(sliceId: string): void {
    this.#expect(sliceId, { kind: 'terminate' });
  }

  /** Feeds one slice event; events of slices this replay did not request are ignored. */
  observe(event: SliceEvent): boolean {
    const tracked = this.#slices.get(event.sliceId);
    if (!tracked) return false;
    this.#accept(tracked, event.record);
    return true;
  }

  /** Feeds a record fetched from the slice-manager (e.g. `slice.list`). */
  observeRecord(record: SliceRecord): void {
    const tracked = this.#slices.get(record.sliceId);
    if (tracked) this.#accept(tracked, record);
  }

  /** Feeds one KPI sample: it counts towards the quiet period of the slice's surges. */
  observeKpi(sample: KpiSample): void {
    const tracked = this.#slices.get(sample.sliceId);
    if (!tracked) return;
    tracked.lastKpi = sample;
    let counted = false;
    for (const p of tracked.pending) {
      if (p.kind !== 'surge') continue;
      p.quietSamples += 1;
      counted = true;
    }
    if (counted && this.#settleSurges()) this.#notify();
  }

  /** Feeds one SLA violation: the run is not quiet until its slice has answered it. False for another run's slice. */
  observeViolation(violation: SlaViolation): boolean {
    const tracked = this.#slices.get(violation.sliceId);
    if (!tracked) return false;
    this.#violations.push(violation);
    // A final slice ignores violations; it will never answer.
    if (tracked.record && isTerminal(tracked.record.state)) return true;
    this.#unanswered.set(violation.sliceId, tracked.record ? historyCount(tracked.record) : 0);
    this.#restartQuietPeriods();
    this.#notify();
    return true;
  }

  /** True while the slice holds resources (active or adapting): traffic on it means something. */
  isRunning(sliceId: string): boolean {
    const state = this.#slices.get(sliceId)?.record?.state;
    return state !== undefined && HOLDING_SLICE_STATES.includes(state);
  }

  /** True once the slice reached a final state. */
  hasEnded(sliceId: string): boolean {
    const state = this.#slices.get(sliceId)?.record?.state;
    return state !== undefined && isTerminal(state);
  }

  /**
   * Settled: active or final, with nothing in flight. With `includeLifetime`,
   * a slice that has a lifetime counts only once it has ended.
   */
  isSettled(sliceId: string, includeLifetime = false): boolean {
    const tracked = this.#slices.get(sliceId);
    if (!tracked?.record || tracked.pending.length > 0) return false;
    const { state } = tracked.record;
    if (isTerminal(state)) return true;
    return state === 'active' && !(includeLifetime && tracked.hasLifetime);
  }

  /** Slices that have not settled, with their last known state. */
  unsettled(
    includeLifetime = false,
  ): { sliceId: string; state: SliceState | 'unseen'; waitingFor: string[] }[] {
    const out: { sliceId: string; state: SliceState | 'unseen'; waitingFor: string[] }[] = [];
    for (const [sliceId, tracked] of this.#slices) {
      if (this.isSettled(sliceId, includeLifetime)) continue;
      const waitingFor = tracked.pending.map((p) => this.#describe(p));
      if (waitingFor.length === 0 && includeLifetime && tracked.hasLifetime)
        waitingFor.push('end of lifetime');
      out.push({ sliceId, state: tracked.record?.state ?? 'unseen', waitingFor });
    }
    return out;
  }

  allSettled(includeLifetime = false): boolean {
    return this.unsettled(includeLifetime).length === 0;
  }

  /** The last record seen per slice, in the order the slices were requested. */
  records(): Map<string, SliceRecord | undefined> {
    return new Map([...this.#slices].map(([id, t]) => [id, t.record]));
  }

  /** The last KPI sample seen per slice (slices never sampled are left out). */
  lastKpis(): Map<string, KpiSample> {
    const out = new Map<string, KpiSample>();
    for (const [id, t] of this.#slices) if (t.lastKpi) out.set(id, t.lastKpi);
    return out;
  }

  /** Every SLA violation of the run's slices, in the order seen. */
  violations(): readonly SlaViolation[] {
    return [...this.#violations];
  }

  /** Calls `listener` after every observed change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #describe(p: Pending): string {
    switch (p.kind) {
      case 'change':
        return `change ${p.changeId}`;
      case 'surge': {
        const answering = [...this.#unanswered.keys()];
        return answering.length > 0
          ? `${p.surgeId} (violation of ${answering.join(', ')} not yet answered)`
          : `${p.surgeId} (quiet for ${p.quietSamples} of ${this.#surgeQuietSamples} KPI samples)`;
      }
      default:
        return p.kind;
    }
  }

  #expect(sliceId: string, pending: Pending): void {
    const tracked = this.#slices.get(sliceId);
    if (!tracked) throw new Error(`slice ${sliceId} was not requested by this replay`);
    // A slice that has already ended ignores what follows; waiting for it would never end.
    if (tracked.record && isTerminal(tracked.record.state)) return;
    tracked.pending.push(pending);
  }

  #accept(tracked: Tracked, record: SliceRecord): void {
    const before = tracked.record ? historyCount(tracked.record) : 0;
    const transitions = historyCount(record);
    // Records only grow in history; an older one arriving late must not roll state back.
    if (tracked.record && transitions < before) return;
    tracked.record = record;
    if (transitions > before) {
      // A state change: whatever a surge set off is still moving.
      this.#restartQuietPeriods();
      const seenAt = this.#unanswered.get(record.sliceId);
      if (seenAt !== undefined && transitions > seenAt) this.#unanswered.delete(record.sliceId);
    }
    const terminal = isTerminal(record.state);
    if (terminal) this.#unanswered.delete(record.sliceId);
    tracked.pending = tracked.pending.filter((p) => {
      if (terminal) return false;
      if (p.kind === 'request') return false;
      if (p.kind === 'change') return !mentions(record, p.changeId);
      return true;
    });
    this.#settleSurges();
    this.#notify();
  }

  #restartQuietPeriods(): void {
    for (const tracked of this.#slices.values())
      for (const p of tracked.pending) if (p.kind === 'surge') p.quietSamples = 0;
  }

  /** Drops the surges whose quiet period is complete; true if any was. */
  #settleSurges(): boolean {
    if (this.#unanswered.size > 0) return false;
    let changed = false;
    for (const tracked of this.#slices.values()) {
      const before = tracked.pending.length;
      tracked.pending = tracked.pending.filter(
        (p) => p.kind !== 'surge' || p.quietSamples < this.#surgeQuietSamples,
      );
      changed ||= tracked.pending.length !== before;
    }
    return changed;
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}
