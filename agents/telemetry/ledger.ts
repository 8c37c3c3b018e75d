/**
 * What telemetry knows: each live slice's SLA (from slice events), how its
 * KPI samples measure up (QoE, breach episodes) and the running totals of
 * the mesh. Transport-free: the agent feeds it messages and publishes what
 * it returns.
 */
import {
  HOLDING_SLICE_STATES,
  TERMINAL_SLICE_STATES,
  type KpiSample,
  type QoeFigures,
  type SliceEvent,
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
import { judgeSample, slaLimits, type SampleVerdict, type SlaLimits } from './sla.js';

const HOLDING: ReadonlySet<SliceState> = new Set(HOLDING_SLICE_STATES);
const TERMINAL: ReadonlySet<SliceState> = new Set(TERMINAL_SLICE_STATES);

interface LiveSlice {
  readonly sliceId: string;
  state: SliceState;
  record: SliceRecord;
  limits: SlaLimits | undefined;
  tracker: BreachTracker | undefined;
  verdict: SampleVerdict | undefined;
  lastSample: KpiSample | undefined;
  violations: number;
  /** `at/from/to` of the last event applied, to skip an exact repeat. */
  lastEventKey: string;
}

/** What a KPI sample led to. */
export interface KpiOutcome {
  /** False when the slice's SLA is unknown (no slice event seen yet) or it has ended. */
  readonly known: boolean;
  readonly verdict?: SampleVerdict;
  /** The slice's profile, for metric attributes. */
  readonly record?: SliceRecord;
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

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

export class TelemetryLedger {
  readonly #hysteresis: HysteresisOptions;
  readonly #modelConfig: ModelConfig;
  readonly #live = new Map<string, LiveSlice>();
  readonly #seen = new Set<string>();
  readonly #ended = new Set<string>();
  readonly #served = new Set<string>();
  /** Latest observed QoE of each slice that was served. */
  readonly #servedFigures = new Map<string, QoeFigures>();
  #rejected = 0;
  #failed = 0;
  #violations = 0;
  #adaptations = 0;
  #kpiSamples = 0;

  constructor(options: LedgerOptions = {}) {
    this.#hysteresis = options.hysteresis ?? DEFAULT_HYSTERESIS;
    this.#modelConfig = options.modelConfig ?? DEFAULT_MODEL_CONFIG;
  }

  /** Learns a slice's state, SLA and placement from its lifecycle event. */
  onSliceEvent(event: SliceEvent): void {
    const { sliceId, record } = event;
    if (this.#ended.has(sliceId)) return;
    this.#seen.add(sliceId);
    const key = `${event.at}/${event.from ?? ''}/${event.to}`;
    let live = this.#live.get(sliceId);
    if (live?.lastEventKey === key) return;
    if (live === undefined) {
      live = {
        sliceId,
        state: event.to,
        record,
        limits: undefined,
        tracker: undefined,
        verdict: undefined,
        lastSample: undefined,
        violations: 0,
        lastEventKey: key,
      };
      this.#live.set(sliceId, live);
    }
    live.lastEventKey = key;
    live.state = event.to;
    live.record = record;
    if (record.profile !== undefined) live.limits = slaLimits(record.profile, this.#modelConfig);
    if (event.to === 'adapting') this.#adaptations++;
    if (HOLDING.has(event.to) && record.placement !== undefined) {
      const k = placementKey(record);
      if (live.tracker === undefined)
        live.tracker = new BreachTracker(sliceId, k, this.#hysteresis);
      else live.tracker.replaced(k);
    }
    if (event.to === 'active' && record.served === true) {
      this.#served.add(sliceId);
      if (record.observed !== undefined) this.#servedFigures.set(sliceId, record.observed);
    }
    if (TERMINAL.has(event.to)) {
      if (event.to === 'rejected') this.#rejected++;
      if (event.to === 'failed') this.#failed++;
      this.#live.delete(sliceId);
      this.#ended.add(sliceId);
    }
  }

  /** Judges a KPI sample against the slice's SLA; breach episodes are tracked only while the slice is active. */
  onKpi(sample: KpiSample, now: number): KpiOutcome {
    this.#kpiSamples++;
    const live = this.#live.get(sample.sliceId);
    if (live === undefined || live.limits === undefined) return { known: false };
    const verdict = judgeSample(live.limits, sample, live.record.preference);
    live.verdict = verdict;
    live.lastSample = sample;
    // A constraint the placement was deployed without (the apply reported it; the slice is
    // "not served") is no news: re-planning it would give the same answer and only churn
    // placements. Only breaches of the constraints the placement met open an episode.
    const known = live.record.violations ?? [];
    const news =
      known.length === 0
        ? verdict.breaches
        : verdict.breaches.filter((b) => !known.includes(b.dimension));
    const opened = live.state === 'active' ? live.tracker?.observe(news, now) : undefined;
    return opened === undefined
      ? { known: true, verdict, record: live.record }
      : { known: true, verdict, record: live.record, opened };
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
      requests: this.#seen.size,
      served: this.#served.size,
      violations: this.#violations,
      adaptations: this.#adaptations,
    };
  }

  availabilityRatio(): number {
    return this.#seen.size === 0 ? 0 : this.#served.size / this.#seen.size;
  }

  summary(at: number): TelemetrySummary {
    const figures = [...this.#servedFigures.values()];
    const slices: SliceQoeSummary[] = [...this.#live.values()]
      .sort((a, b) => a.sliceId.localeCompare(b.sliceId))
      .map((live) => {
        const entry: SliceQoeSummary = {
          sliceId: live.sliceId,
          state: live.state,
          served: live.record.served === true,
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
      requests: this.#seen.size,
      served: this.#served.size,
      rejected: this.#rejected,
      failed: this.#failed,
      availabilityRatio: this.availabilityRatio(),
      active: this.activeCount(),
      averages: {
        latencyMs: mean(figures.map((f) => f.latencyMs)),
        cost: mean(figures.map((f) => f.cost)),
        reliabilityCost: mean(figures.map((f) => f.reliabilityCost)),
      },
      violations: this.#violations,
      adaptations: this.#adaptations,
      kpiSamples: this.#kpiSamples,
      slices,
    };
  }
}
