/**
 * Follows the slices of one replay through their slice events and decides
 * when each has settled: it is active or in a final state, and nothing the
 * replay sent it is still in flight. Pure: fed events, asked questions.
 */
import {
  TERMINAL_SLICE_STATES,
  type SliceEvent,
  type SliceRecord,
  type SliceState,
} from '../../shared/contracts/index.js';

type Pending =
  | { readonly kind: 'request' }
  | { readonly kind: 'change'; readonly changeId: string }
  | { readonly kind: 'terminate' };

interface Tracked {
  record: SliceRecord | undefined;
  pending: Pending[];
  /** A slice with a lifetime ends by itself; the final wait includes that end. */
  hasLifetime: boolean;
}

const isTerminal = (state: SliceState) => TERMINAL_SLICE_STATES.includes(state);

/** True when a history note of `record` names `changeId` as a whole token. */
function mentions(record: SliceRecord, changeId: string): boolean {
  const token = new RegExp(`(^|[^A-Za-z0-9_-])${changeId}([^A-Za-z0-9_-]|$)`);
  return record.history.some((entry) => entry.note !== undefined && token.test(entry.note));
}

export class SliceTracker {
  readonly #slices = new Map<string, Tracked>();
  readonly #listeners = new Set<() => void>();

  /** Registers a slice the replay is about to request. */
  expectRequest(sliceId: string, hasLifetime: boolean): void {
    this.#slices.set(sliceId, { record: undefined, pending: [{ kind: 'request' }], hasLifetime });
  }

  /** Registers a change (or surge) the replay is about to send. */
  expectChange(sliceId: string, changeId: string): void {
    this.#expect(sliceId, { kind: 'change', changeId });
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
      const waitingFor = tracked.pending.map((p) =>
        p.kind === 'change' ? `change ${p.changeId}` : p.kind,
      );
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

  /** Calls `listener` after every observed change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #expect(sliceId: string, pending: Pending): void {
    const tracked = this.#slices.get(sliceId);
    if (!tracked) throw new Error(`slice ${sliceId} was not requested by this replay`);
    // A slice that has already ended ignores what follows; waiting for it would never end.
    if (tracked.record && isTerminal(tracked.record.state)) return;
    tracked.pending.push(pending);
  }

  #accept(tracked: Tracked, record: SliceRecord): void {
    // Records only grow in history; an older one arriving late must not roll state back.
    if (tracked.record && record.history.length < tracked.record.history.length) return;
    tracked.record = record;
    const terminal = isTerminal(record.state);
    tracked.pending = tracked.pending.filter((p) => {
      if (terminal) return false;
      if (p.kind === 'request') return false;
      if (p.kind === 'change') return !mentions(record, p.changeId);
      return true;
    });
    for (const listener of this.#listeners) listener();
  }
}
