/**
 * What telemetry knows: each live slice's SLA (from slice events), how its
 * KPI samples measure up (QoE, breach episodes) and the running totals of
 * the mesh. Transport-free: the agent feeds it messages, publishes what it
 * returns and stores its `checkpoint()`, from which `restore()` rebuilds it
 * after a restart. What it keeps is bounded by the live slices, not by every
 * slice ever seen: ended slices are counters and sums.
 */
import {
  HOLDING_SLICE_STATES,
  TERMINAL_SLICE_STATES,
  type KpiSample,
  type PreferenceVector,
  type QoeFigures,
  type QoeViolation,
  type SliceEvent,
  type SliceProfile,
  type SliceQoeSummary,
  type SliceRecord,
  type SliceState,
  type TelemetrySummary,
} from '../../shared/contracts/index.js';
import { DEFAULT_MODEL_CONFIG, type ModelConfig } from '../../shared/model/index.js';
import {
  BreachTracker,
  DEFAULT_HYSTERESIS,
  type EpisodeOpened,
  type HysteresisOptions,
} from './breach.js';
import type { FigureSums, LedgerCheckpoint, LiveSliceCheckpoint } from './checkpoint.js';
import { judgeSample, slaLimits, type SampleVerdict, type SlaLimits } from './sla.js';

const HOLDING: ReadonlySet<SliceState> = new Set(HOLDING_SLICE_STATES);
const TERMINAL: ReadonlySet<SliceState> = new Set(TERMINAL_SLICE_STATES);

interface LiveSlice {
  readonly sliceId: string;
  state: SliceState;
  /** The last profile a slice event carried: the SLA its samples are judged against. */
  profile: SliceProfile | undefined;
  preference: PreferenceVector | undefined;
  /** The latest record says the slice is served. */
  served: boolean;
  /** The QoE constraints its placement was deployed without (no news when breached). */
  shortfalls: readonly QoeViolation[];
  limits: SlaLimits | undefined;
  tracker: BreachTracker | undefined;
  /** The placement the tracker's episodes belong to. */
  trackedPlacement: string | undefined;
  /** Counted in the `served` total (once per slice). */
  countedServed: boolean;
  /** Latest observed QoE while served (in the averages). */
  figures: QoeFigures | undefined;
  verdict: SampleVerdict | undefined;
  lastSample: KpiSample | undefined;
  violations: number;
  /** `at/from/to` of the last event applied, to skip an exact repeat. */
  lastEventKey: string;
}

/** Ended slices remembered so a late event of theirs is not counted as a new request. */
export const RECENTLY_ENDED_LIMIT = 1_000;

/** Which live slices a summary lists (see TelemetrySummaryRequest). */
export interface SummaryQuery {
  readonly sliceIds?: readonly string[];
  readonly after?: string;
  readonly limit?: number;
}

/** Id order for pages: UTF-16 code units, the same on every machine (unlike localeCompare). */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What a KPI sample led to. */
export interface KpiOutcome {
  /** False when the slice's SLA is unknown (no slice event seen yet) or it has ended. */
  readonly known: boolean;
  readonly verdict?: SampleVerdict;
  /** The slice's profile, for metric attributes. */
  readonly profile?: SliceProfile;
  /** A breach episode opened by this sample: publish one violation. */
  readonly opened?: EpisodeOpened;
}

export interface LedgerOptions {
  readonly hysteresis?: HysteresisOptions;
  readonly modelConfig?: ModelConfig;
}

function placementKey(record: SliceRecord): string {
  const p = record.placement;
  return p === undefined ? 'none' : `${p.containerId}-${p.appliedAt}`;
}

const NO_SUMS: FigureSums = { count: 0, latencyMs: 0, cost: 0, reliabilityCost: 0 };

export class TelemetryLedger {
  readonly #hysteresis: HysteresisOptions;
  readonly #modelConfig: ModelConfig;
  readonly #live = new Map<string, LiveSlice>();
  /** Insertion-ordered, at most RECENTLY_ENDED_LIMIT. */
  readonly #recentlyEnded = new Set<string>();
  /** Latest served QoE figures of the slices that ended, summed. */
  #endedFigures: FigureSums = NO_SUMS;
  #requests = 0;
  #served = 0;
  #rejected = 0;
  #failed = 0;
  #violations = 0;
  #adaptations = 0;
  #kpiSamples = 0;

  constructor(options: LedgerOptions = {}) {
    this.#hysteresis = options.hysteresis ?? DEFAULT_HYSTERESIS;
    this.#modelConfig = options.modelConfig ?? DEFAULT_MODEL_CONFIG;
  }

  /** A ledger as it was when `checkpoint` was taken (breach episodes start afresh). */
  static restore(checkpoint: LedgerCheckpoint, options: LedgerOptions = {}): TelemetryLedger {
    const ledger = new TelemetryLedger(options);
    ledger.#load(checkpoint);
    return ledger;
  }

  /** Learns a slice's state, SLA and placement from its lifecycle event. */
  onSliceEvent(event: SliceEvent): void {
    const { sliceId, record } = event;
    if (this.#recentlyEnded.has(sliceId)) return;
    const key = `${event.at}/${event.from ?? ''}/${event.to}`;
    let live = this.#live.get(sliceId);
    if (live?.lastEventKey === key) return;
    if (live === undefined) {
      live = this.#newLive(sliceId, event.to, key);
      this.#live.set(sliceId, live);
      this.#requests++;
    }
    live.lastEventKey = key;
    live.state = event.to;
    this.#learnRecord(live, record);
    if (event.to === 'adapting') this.#adaptations++;
    if (HOLDING.has(event.to) && record.placement !== undefined) {
      const k = placementKey(record);
      if (live.tracker === undefined) this.#track(live, k);
      else live.tracker.replaced(k);
      live.trackedPlacement = k;
    }
    if (event.to === 'active' && record.served === true) {
      if (!live.countedServed) this.#served++;
      live.countedServed = true;
      if (record.observed !== undefined) live.figures = record.observed;
    }
    if (TERMINAL.has(event.to)) {
      if (event.to === 'rejected') this.#rejected++;
      if (event.to === 'failed') this.#failed++;
      if (live.countedServed && live.figures !== undefined)
        this.#endedFigures = addFigures(this.#endedFigures, live.figures);
      this.#live.delete(sliceId);
      this.#recentlyEnded.add(sliceId);
      if (this.#recentlyEnded.size > RECENTLY_ENDED_LIMIT) {
        const oldest = this.#recentlyEnded.values().next().value;
        if (oldest !== undefined) this.#recentlyEnded.delete(oldest);
      }
    }
  }

  #newLive(sliceId: string, state: SliceState, lastEventKey: string): LiveSlice {
    return {
      sliceId,
      state,
      profile: undefined,
      preference: undefined,
      served: false,
      shortfalls: [],
      limits: undefined,
      tracker: undefined,
      trackedPlacement: undefined,
      countedServed: false,
      figures: undefined,
      verdict: undefined,
      lastSample: undefined,
      violations: 0,
      lastEventKey,
    };
  }

  /** What the ledger keeps of a record: the latest one wins, an absent profile keeps the last. */
  #learnRecord(live: LiveSlice, record: SliceRecord): void {
    if (record.profile !== undefined) {
      live.profile = record.profile;
      live.limits = slaLimits(record.profile, this.#modelConfig);
    }
    live.preference = record.preference;
    live.served = record.served === true;
    live.shortfalls = record.violations ?? [];
  }

  #track(live: LiveSlice, placement: string): void {
    live.tracker = new BreachTracker(live.sliceId, placement, this.#hysteresis);
  }

  /** Judges a KPI sample against the slice's SLA; breach episodes are tracked only while the slice is active. */
  onKpi(sample: KpiSample, now: number): KpiOutcome {
    this.#kpiSamples++;
    const live = this.#live.get(sample.sliceId);
    if (live === undefined || live.limits === undefined) return { known: false };
    // A change's sample and the periodic batch travel on different subjects, so an
    // older sample can arrive after a newer one: it no longer says how the slice is.
    if (live.lastSample !== undefined && sample.at < live.lastSample.at) return { known: true };
    const verdict = judgeSample(live.limits, sample, live.preference);
    live.verdict = verdict;
    live.lastSample = sample;
    // A constraint the placement was deployed without (the apply reported it; the slice is
    // "not served") is no news: re-planning it would give the same answer and only churn
    // placements. Only breaches of the constraints the placement met open an episode.
    const known = live.shortfalls;
    const news =
      known.length === 0
        ? verdict.breaches
        : verdict.breaches.filter((b) => !known.includes(b.dimension));
    const opened = live.state === 'active' ? live.tracker?.observe(news, now) : undefined;
    const profile = live.profile;
    const base =
      profile === undefined ? { known: true, verdict } : { known: true, verdict, profile };
    return opened === undefined ? base : { ...base, opened };
  }

  /** Counts a violation JetStream stored (not a duplicate of one already stored). */
  noteViolation(sliceId: string): void {
    this.#violations++;
    const live = this.#live.get(sliceId);
    if (live !== undefined) live.violations++;
  }

  /** Slices holding resources (active or adapting). */
  activeCount(): number {
    let n = 0;
    for (const live of this.#live.values()) if (HOLDING.has(live.state)) n++;
    return n;
  }

  /** The running counters (what `summary()` reports, without the per-slice list). */
  totals(): { requests: number; served: number; violations: number; adaptations: number } {
    return {
      requests: this.#requests,
      served: this.#served,
      violations: this.#violations,
      adaptations: this.#adaptations,
    };
  }

  availabilityRatio(): number {
    return this.#requests === 0 ? 0 : this.#served / this.#requests;
  }

  /**
   * The totals and the QoE of live slices: those of `query.sliceIds`, or every live slice in
   * id order after `query.after`, at most `query.limit` (all without one: in-process callers;
   * the summary endpoint always pages). `nextAfter` is set when more follow.
   */
  summary(at: number, query: SummaryQuery = {}): TelemetrySummary {
    let sums = this.#endedFigures;
    for (const live of this.#live.values())
      if (live.countedServed && live.figures !== undefined) sums = addFigures(sums, live.figures);
    const mean = (total: number) => (sums.count === 0 ? null : total / sums.count);
    const { page, nextAfter } = this.#page(query);
    const slices: SliceQoeSummary[] = page.map((live) => {
      const entry: SliceQoeSummary = {
        sliceId: live.sliceId,
        state: live.state,
        served: live.served,
        violations: live.violations,
      };
      if (live.verdict !== undefined) {
        entry.withinSla = live.verdict.withinSla;
        entry.qoe = live.verdict.qoe;
      }
      if (live.lastSample !== undefined) {
        entry.latencyMs = live.lastSample.latencyMs;
        entry.load = live.lastSample.load;
      }
      return entry;
    });
    return {
      type: 'telemetry.summary.v1',
      at,
      requests: this.#requests,
      served: this.#served,
      rejected: this.#rejected,
      failed: this.#failed,
      availabilityRatio: this.availabilityRatio(),
      active: this.activeCount(),
      averages: {
        latencyMs: mean(sums.latencyMs),
        cost: mean(sums.cost),
        reliabilityCost: mean(sums.reliabilityCost),
      },
      violations: this.#violations,
      adaptations: this.#adaptations,
      kpiSamples: this.#kpiSamples,
      slices,
      ...(nextAfter === undefined ? {} : { nextAfter }),
    };
  }

  #page(query: SummaryQuery): { page: LiveSlice[]; nextAfter?: string } {
    if (query.sliceIds !== undefined) {
      const named = [...new Set(query.sliceIds)].sort(compareIds);
      return { page: named.flatMap((id) => this.#live.get(id) ?? []) };
    }
    const after = query.after;
    const ordered = [...this.#live.values()]
      .filter((live) => after === undefined || compareIds(live.sliceId, after) > 0)
      .sort((a, b) => compareIds(a.sliceId, b.sliceId));
    const limit = query.limit ?? ordered.length;
    const page = ordered.slice(0, limit);
    const last = page.at(-1);
    return ordered.length > limit && last !== undefined
      ? { page, nextAfter: last.sliceId }
      : { page };
  }

  /** Everything `restore()` needs, as plain data (see checkpoint.ts). */
  checkpoint(): LedgerCheckpoint {
    const live: LiveSliceCheckpoint[] = [...this.#live.values()].map((l) => ({
      sliceId: l.sliceId,
      state: l.state,
      served: l.served,
      shortfalls: [...l.shortfalls],
      countedServed: l.countedServed,
      violations: l.violations,
      lastEventKey: l.lastEventKey,
      ...(l.profile === undefined ? {} : { profile: l.profile }),
      ...(l.preference === undefined ? {} : { preference: l.preference }),
      ...(l.trackedPlacement === undefined ? {} : { trackedPlacement: l.trackedPlacement }),
      ...(l.figures === undefined ? {} : { figures: l.figures }),
      ...(l.lastSample === undefined ? {} : { lastSample: l.lastSample }),
    }));
    return {
      totals: {
        requests: this.#requests,
        served: this.#served,
        rejected: this.#rejected,
        failed: this.#failed,
        violations: this.#violations,
        adaptations: this.#adaptations,
        kpiSamples: this.#kpiSamples,
      },
      endedFigures: this.#endedFigures,
      recentlyEnded: [...this.#recentlyEnded],
      live,
    };
  }

  #load(checkpoint: LedgerCheckpoint): void {
    const t = checkpoint.totals;
    this.#requests = t.requests;
    this.#served = t.served;
    this.#rejected = t.rejected;
    this.#failed = t.failed;
    this.#violations = t.violations;
    this.#adaptations = t.adaptations;
    this.#kpiSamples = t.kpiSamples;
    this.#endedFigures = checkpoint.endedFigures;
    for (const id of checkpoint.recentlyEnded.slice(-RECENTLY_ENDED_LIMIT))
      this.#recentlyEnded.add(id);
    for (const c of checkpoint.live) {
      const live = this.#newLive(c.sliceId, c.state, c.lastEventKey);
      live.profile = c.profile;
      live.limits = c.profile === undefined ? undefined : slaLimits(c.profile, this.#modelConfig);
      live.preference = c.preference;
      live.served = c.served;
      live.shortfalls = c.shortfalls;
      live.countedServed = c.countedServed;
      live.figures = c.figures;
      live.violations = c.violations;
      live.lastSample = c.lastSample;
      if (live.limits !== undefined && c.lastSample !== undefined)
        live.verdict = judgeSample(live.limits, c.lastSample, live.preference);
      if (c.trackedPlacement !== undefined) {
        this.#track(live, c.trackedPlacement);
        live.trackedPlacement = c.trackedPlacement;
      }
      this.#live.set(c.sliceId, live);
    }
  }
}

function addFigures(sums: FigureSums, figures: QoeFigures): FigureSums {
  return {
    count: sums.count + 1,
    latencyMs: sums.latencyMs + figures.latencyMs,
    cost: sums.cost + figures.cost,
    reliabilityCost: sums.reliabilityCost + figures.reliabilityCost,
  };
}
