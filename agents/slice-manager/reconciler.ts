/**
 * Reconciliation of the slice-manager's records with what the infrastructure
 * holds. A fault can leave them apart: a release that failed (the
 * infrastructure was down while a slice terminated, which ends it `failed`,
 * "resources may still be held"), or an infrastructure that lost its state.
 * Nothing else would ever bring them back together.
 *
 * Periodically (and once right after start) the slice-manager pages through
 * the infrastructure's reservations (`svc.infrastructure.reservations`, at
 * most `pageSize` per reply, in slice-id order) and judges each against its
 * own record of the slice:
 *
 * - held for a slice that is released, failed, rejected or unknown here: an
 *   **orphan** — released (idempotently; a failed release is tried again on
 *   the next pass);
 * - held for an active slice on other resources than its record says: a
 *   **mismatch** — reported (logged, counted), nothing moved;
 * - active here on the same placement since before the pass began, and not
 *   held there: **lost** — reported, and the slice is sent
 *   `slice.resources-lost`, which ends it `failed` (after an idempotent
 *   release) with the reason in its history: its requester learns it from
 *   the slice events and may request it again.
 *
 * Slices on their way (placing, adapting, terminating) belong to their
 * lifecycle and are left alone; so are stored slices that could not be read.
 * A pass that cannot list every page concludes nothing about lost slices.
 * Every action is idempotent, so passes may repeat or overlap a restart.
 * It assumes one slice-manager per namespace (docs/lifecycle.md, _Intake_):
 * a slice unknown here is nobody's.
 */
import {
  ENDPOINTS,
  SliceMeshError,
  TERMINAL_SLICE_STATES,
  isSliceMeshError,
  type Reservation,
  type SliceRecord,
} from '../../shared/contracts/index.js';
import type { Bus } from '../../shared/bus/index.js';
import type { Logger } from '../../shared/runtime/logger.js';

/** The slice-manager's side of one slice, as the reconciler sees it. */
export type LocalSlice =
  | { kind: 'unknown' }
  /** A stored snapshot that could not be read: nobody can say what it holds. */
  | { kind: 'unreadable' }
  | { kind: 'known'; record: SliceRecord };

export type ReservationVerdict =
  { action: 'release'; why: string } | { action: 'report'; why: string } | { action: 'none' };

function samePath(record: SliceRecord, held: Reservation): boolean {
  const placement = record.placement;
  if (!placement) return false;
  return (
    placement.containerId === held.containerId &&
    placement.vnfNodeIds.length === held.vnfNodeIds.length &&
    placement.vnfNodeIds.every((id, i) => id === held.vnfNodeIds[i])
  );
}

/**
 * What to do about a reservation the infrastructure listed. `activeSince` is
 * the `appliedAt` of the slice's placement if it was active when the pass
 * began (a placement applied during the pass may not be in the page yet).
 */
export function judgeReservation(
  local: LocalSlice,
  held: Reservation,
  activeSince: number | undefined,
): ReservationVerdict {
  if (local.kind === 'unknown') return { action: 'release', why: 'no such slice' };
  if (local.kind === 'unreadable') return { action: 'none' };
  const { record } = local;
  if (TERMINAL_SLICE_STATES.includes(record.state)) {
    return { action: 'release', why: `the slice is ${record.state}` };
  }
  if (
    record.state === 'active' &&
    activeSince !== undefined &&
    record.placement?.appliedAt === activeSince &&
    !samePath(record, held)
  ) {
    const recorded = record.placement
      ? `${record.placement.containerId} [${record.placement.vnfNodeIds.join(', ')}]`
      : 'nothing';
    return {
      action: 'report',
      why: `held on ${held.containerId} [${held.vnfNodeIds.join(', ')}], recorded on ${recorded}`,
    };
  }
  return { action: 'none' };
}

/**
 * Whether a slice the infrastructure did not list has lost its resources: it
 * was active on a placement applied at `activeSince` when the pass began and
 * still is (so the infrastructure held it before every page was read).
 */
export function isLost(local: LocalSlice, activeSince: number): boolean {
  return (
    local.kind === 'known' &&
    local.record.state === 'active' &&
    local.record.placement?.appliedAt === activeSince
  );
}

/** What the reconciler needs of the slice-manager. */
export interface ReconcilerHost {
  /** The slice as the slice-manager knows it now. */
  lookup(sliceId: string): LocalSlice;
  /** Active slices with their placement's `appliedAt`, taken when a pass begins. */
  activeSlices(): Map<string, number>;
  /** Hands `slice.resources-lost` to the slice's lifecycle (in its queue). */
  resourcesLost(sliceId: string, note: string): Promise<void>;
}

export interface ReconcilerOptions {
  /** Between the end of one pass and the start of the next (ms); 0 = no reconciler. */
  intervalMs: number;
  /** Reservations asked for per page. */
  pageSize: number;
  /** Reply deadline of each request to the infrastructure (ms). */
  requestTimeoutMs: number;
}

/** What the reconciler found, in all passes so far. */
export interface ReconcilerCounters {
  passes: number;
  /** Passes that could not read every page (the infrastructure did not answer, say). */
  incomplete: number;
  /** Orphaned reservations released. */
  orphansReleased: number;
  /** Active slices the infrastructure held nothing for. */
  lost: number;
  /** Active slices held on other resources than their record says. */
  mismatched: number;
}

/** One pass's findings. */
export interface PassResult {
  listed: number;
  released: string[];
  lost: string[];
  mismatched: string[];
}

export class Reconciler {
  readonly #bus: Bus;
  readonly #logger: Logger;
  readonly #host: ReconcilerHost;
  readonly #options: ReconcilerOptions;
  readonly #counters: ReconcilerCounters = {
    passes: 0,
    incomplete: 0,
    orphansReleased: 0,
    lost: 0,
    mismatched: 0,
  };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = true;
  #lastFailed = false;

  constructor(bus: Bus, logger: Logger, host: ReconcilerHost, options: ReconcilerOptions) {
    this.#bus = bus;
    this.#logger = logger;
    this.#host = host;
    this.#options = options;
  }

  /** Starts passes: the first at once, the next `intervalMs` after each ends. No-op at interval 0. */
  start(): void {
    if (this.#options.intervalMs <= 0 || !this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops scheduling and waits for a pass in flight (bounded by its request timeouts). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  counters(): ReconcilerCounters {
    return { ...this.#counters };
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#passLogged().finally(() => {
        this.#running = undefined;
        this.#schedule(this.#options.intervalMs);
      });
    }, delayMs);
    this.#timer.unref();
  }

  async #passLogged(): Promise<void> {
    try {
      const result = await this.pass();
      this.#lastFailed = false;
      const found = result.released.length + result.lost.length + result.mismatched.length;
      const log = found > 0 ? this.#logger.info : this.#logger.debug;
      log.call(this.#logger, 'reconciled slices with the infrastructure', {
        listed: result.listed,
        released: result.released,
        lost: result.lost,
        mismatched: result.mismatched,
      });
    } catch (error) {
      this.#counters.incomplete += 1;
      // Said once per outage; the next pass tries again.
      const log = this.#lastFailed ? this.#logger.debug : this.#logger.warn;
      this.#lastFailed = true;
      log.call(this.#logger, 'could not reconcile with the infrastructure; retrying later', {
        retryInMs: this.#options.intervalMs,
        error,
      });
    }
  }

  /** One pass over every page of reservations (exported for tests and on-demand runs). */
  async pass(): Promise<PassResult> {
    const { pageSize, requestTimeoutMs } = this.#options;
    this.#counters.passes += 1;
    const activeAtStart = this.#host.activeSlices();
    const listed = new Set<string>();
    const result: PassResult = { listed: 0, released: [], lost: [], mismatched: [] };
    let after: string | undefined;
    for (;;) {
      const page = await this.#bus.request(
        ENDPOINTS.infraReservations,
        {
          type: 'infra.reservations.request.v1',
          limit: pageSize,
          ...(after === undefined ? {} : { after }),
        },
        { timeoutMs: requestTimeoutMs },
      );
      for (const held of page.reservations) {
        listed.add(held.sliceId);
        const local = this.#host.lookup(held.sliceId);
        const verdict = judgeReservation(local, held, activeAtStart.get(held.sliceId));
        if (verdict.action === 'release') {
          if (await this.#releaseOrphan(held.sliceId, verdict.why)) {
            result.released.push(held.sliceId);
          }
        } else if (verdict.action === 'report') {
          this.#counters.mismatched += 1;
          result.mismatched.push(held.sliceId);
          this.#logger.warn(
            'the infrastructure holds other resources for a slice than its record',
            {
              sliceId: held.sliceId,
              detail: verdict.why,
            },
          );
        }
      }
      if (page.next === undefined) break;
      if (after !== undefined && page.next <= after) {
        throw new SliceMeshError(
          'invalid-message',
          `reservations page after ${after} did not advance (next ${page.next})`,
          { retryable: false },
        );
      }
      after = page.next;
    }
    result.listed = listed.size;
    for (const [sliceId, appliedAt] of activeAtStart) {
      if (listed.has(sliceId) || !isLost(this.#host.lookup(sliceId), appliedAt)) continue;
      this.#counters.lost += 1;
      result.lost.push(sliceId);
      this.#logger.warn('the infrastructure holds no resources for an active slice; failing it', {
        sliceId,
      });
      await this.#host.resourcesLost(
        sliceId,
        'not among the reservations of the infrastructure (found by reconciliation)',
      );
    }
    return result;
  }

  async #releaseOrphan(sliceId: string, why: string): Promise<boolean> {
    try {
      const reply = await this.#bus.request(
        ENDPOINTS.infraRelease,
        { type: 'infra.release.request.v1', sliceId },
        { timeoutMs: this.#options.requestTimeoutMs },
      );
      if (reply.released) this.#counters.orphansReleased += 1;
      this.#logger.warn('released resources the infrastructure held for a slice', {
        sliceId,
        why,
        released: reply.released,
        viewVersion: reply.viewVersion,
      });
      return reply.released;
    } catch (error) {
      this.#logger.warn('could not release an orphaned reservation; retrying next pass', {
        sliceId,
        why,
        error: isSliceMeshError(error) ? `${error.code}: ${error.message}` : error,
      });
      return false;
    }
  }
}
