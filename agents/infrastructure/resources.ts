/**
 * The resource state the infrastructure owns, behind the three operations it
 * serves: view, apply (optimistic concurrency; an apply for a slice that
 * already holds resources is an atomic re-placement) and idempotent release.
 * Transport-free, so it is tested without a bus.
 */
import type {
  ApplyReply,
  ApplyRequest,
  DeclineReply,
  NetworkChange,
  NetworkView,
  ReleaseReply,
  Reservation,
  VersionedChange,
} from '../../shared/contracts/index.js';
import {
  NetworkState,
  applyPlan,
  placementChange,
  viewWithoutSlice,
  type ModelConfig,
  type NetworkSnapshot,
} from '../../shared/model/index.js';

/** An applied plan plus what the agent needs beyond the wire reply. */
export interface ApplyOutcome {
  reply: ApplyReply;
  /** True when the slice already held resources and was moved. */
  migrated: boolean;
}

/**
 * Declined slice ids remembered (and persisted with the state) for
 * idempotency, oldest forgotten first: enough for the retries that can follow
 * (declines run one at a time under the slice-manager's placement lock, at
 * most its intake concurrency — 32 by default — in flight), small enough to
 * write with every change.
 */
export const REMEMBERED_DECLINES = 64;

/** Told of every change of the state, with the version it produced, right after it is made. */
export type ChangeListener = (entry: VersionedChange) => void;

export class ResourceOwner {
  #state: NetworkState;
  readonly #declined = new Set<string>();
  #listener: ChangeListener | undefined;

  constructor(state: NetworkState) {
    this.#state = state;
  }

  /** A fresh network for `seed`. */
  static fresh(seed: number, config?: ModelConfig): ResourceOwner {
    return new ResourceOwner(new NetworkState(seed, config));
  }

  /** The network from a persisted snapshot, and the slices whose refusal it already counted. */
  static restore(
    snapshot: NetworkSnapshot,
    config?: ModelConfig,
    declined: readonly string[] = [],
  ): ResourceOwner {
    const owner = new ResourceOwner(NetworkState.fromSnapshot(snapshot, config));
    for (const id of declined) owner.#declined.add(id);
    return owner;
  }

  get state(): NetworkState {
    return this.#state;
  }

  /** Reports every later change to `listener` (the change log and feed); one listener at a time. */
  watch(listener: ChangeListener | undefined): void {
    this.#listener = listener;
  }

  #changed(change: NetworkChange): void {
    this.#listener?.({ version: this.#state.version, change });
  }

  get version(): number {
    return this.#state.version;
  }

  /** Ids of the slices holding resources, sorted. */
  sliceIds(): string[] {
    return [...this.#state.slices.keys()].sort();
  }

  /**
   * One page of what is held, in slice-id order: the slices after `after`
   * (exclusive), at most `limit`, and the `after` of the next page if any.
   */
  reservations(
    after: string | undefined,
    limit: number,
  ): { reservations: Reservation[]; next: string | undefined; total: number } {
    const ids = this.sliceIds();
    // Sorted: the first id past the cursor by binary search, not a scan of every slice.
    let lo = 0;
    let hi = ids.length;
    while (after !== undefined && lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((ids[mid] as string) <= after) lo = mid + 1;
      else hi = mid;
    }
    const page = ids.slice(lo, lo + limit);
    const reservations: Reservation[] = [];
    for (const id of page) {
      const slice = this.#state.getSlice(id);
      if (slice?.container === undefined) continue;
      reservations.push({
        sliceId: id,
        containerId: slice.container.id,
        vnfNodeIds: slice.vnfs.map((node) => node.id),
      });
    }
    const more = lo + limit < ids.length;
    return { reservations, next: more ? page.at(-1) : undefined, total: ids.length };
  }

  holds(sliceId: string): boolean {
    return this.#state.getSlice(sliceId) !== undefined;
  }

  /** The current view; with `excludeSliceId`, as if that slice's resources were free (re-placement planning). */
  view(excludeSliceId?: string): NetworkView {
    return excludeSliceId === undefined
      ? this.#state.toView()
      : viewWithoutSlice(this.#state, excludeSliceId);
  }

  /**
   * Applies a plan. Refusals (stale view, capacity, unknown node) leave the
   * state as it was; a malformed plan throws `invalid-message`. Should the
   * model throw half-way through a re-placement, the state is rolled back,
   * so a slice either moves completely or keeps its old placement.
   */
  apply(request: ApplyRequest, appliedAt: number): ApplyOutcome {
    const backup = this.#state.toSnapshot();
    let result;
    try {
      result = applyPlan(this.#state, request, request.plan);
    } catch (error) {
      this.#state = NetworkState.fromSnapshot(backup, this.#state.config);
      throw error;
    }
    if (result.outcome === 'refused') {
      return {
        migrated: false,
        reply: {
          type: 'infra.apply.reply.v1',
          sliceId: request.sliceId,
          outcome: 'refused',
          reason: result.reason,
          message: result.message.slice(0, 1_000),
          viewVersion: result.viewVersion,
        },
      };
    }
    this.#changed(
      placementChange(request, {
        migrated: result.migrated,
        containerId: result.placement.containerId,
        vnfNodeIds: result.placement.vnfNodeIds,
      }),
    );
    return {
      migrated: result.migrated,
      reply: {
        type: 'infra.apply.reply.v1',
        sliceId: request.sliceId,
        outcome: 'applied',
        placement: { ...result.placement, appliedAt },
        observed: result.observed,
        served: result.served,
        violations: result.violations,
        affectedSliceIds: result.affectedSliceIds,
        viewVersion: result.viewVersion,
      },
    };
  }

  /** Frees a slice's resources; `released: false` when it held none. */
  release(sliceId: string): ReleaseReply {
    const released = this.#state.release(sliceId);
    if (released) this.#changed({ op: 'release', sliceId });
    return { type: 'infra.release.reply.v1', sliceId, released, viewVersion: this.#state.version };
  }

  /**
   * Counts the orchestrator's refusal to place a new slice as a placement
   * decision (see DeclineRequest). Once per slice, and never for a slice
   * that holds resources (a refused re-placement keeps the old one).
   */
  decline(sliceId: string): DeclineReply {
    const counted = !this.#declined.has(sliceId) && !this.holds(sliceId);
    if (counted) {
      this.#state.skipPlacement();
      this.#changed({ op: 'skip', sliceId });
      this.#declined.add(sliceId);
      if (this.#declined.size > REMEMBERED_DECLINES) {
        const oldest = this.#declined.values().next().value;
        if (oldest !== undefined) this.#declined.delete(oldest);
      }
    }
    return { type: 'infra.decline.reply.v1', sliceId, counted, viewVersion: this.#state.version };
  }

  snapshot(): NetworkSnapshot {
    return this.#state.toSnapshot();
  }

  /** The remembered declined slice ids, oldest first, for the persisted state. */
  recentDeclines(): string[] {
    return [...this.#declined];
  }
}
