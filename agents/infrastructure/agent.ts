/**
 * The infrastructure agent: owns the resource state (the case-study model),
 * serves apply / release / decline (and the paged list of reservations) in the
 * `infrastructure` queue group and emits KPI samples of every slice holding
 * resources.
 *
 * Every change of the state gets the next version, goes into a bounded
 * change log (`infrastructure.changes`) and out on the change feed
 * (`subjects.infraChange()`), so replicas of the state (the orchestrator's)
 * follow it without ever being sent the whole network; a replica that starts
 * or fell behind the log reads a paged snapshot (`infrastructure.snapshot`).
 * Each start is a new epoch: the log does not survive a restart, so replicas
 * of an earlier run take a snapshot again.
 *
 * The state lives in this one process. A second instance would own a second,
 * diverging state, so start() refuses when another instance already answers
 * on the change-log subject; scaling this role out needs a shared state store.
 */
import type { Subscription } from '../../shared/bus/index.js';
import { ENDPOINTS } from '../../shared/contracts/endpoints.js';
import {
  type ApplyReply,
  type ApplyRequest,
  type ChangesReply,
  type ChangesRequest,
  CHANGES_PAGE_DEFAULT,
  type DeclineReply,
  type DeclineRequest,
  Heartbeat,
  InfraChange,
  KpiBatch,
  KpiSample,
  chunked,
  type ReleaseReply,
  type ReleaseRequest,
  type ReservationsReply,
  type ReservationsRequest,
  SliceMeshError,
  type SnapshotReply,
  type SnapshotRequest,
  TrafficLoad,
  type VersionedChange,
  isSliceMeshError,
} from '../../shared/contracts/index.js';
import { DEFAULT_MODEL_CONFIG, type ModelConfig } from '../../shared/model/index.js';
import type { AgentDeps } from '../../shared/runtime/agent.js';
import { ATTR, SPAN, instrument } from '../../shared/telemetry/index.js';
import {
  DEFAULT_KPI_MODEL_PARAMS,
  neighboursOf,
  sliceKpi,
  type KpiModelParams,
} from './kpi-model.js';
import { ChangeLog, DEFAULT_CHANGE_LOG_LENGTH } from './change-log.js';
import { StateStore, type InfraStateRecord } from './persistence.js';
import { ResourceOwner } from './resources.js';
import { SnapshotPages } from './snapshot-pages.js';
import { TrafficTable } from './traffic.js';

export interface InfrastructureConfig {
  /** Seed of the network (VNF node draws) and of the traffic fluctuation; default: the agent's seed. */
  readonly seed?: number;
  /** Interval of the periodic KPI samples (ms); 0 = samples only on changes. */
  readonly kpiIntervalMs: number;
  /** Seeded traffic fluctuation; absent or amplitude 0 = none. */
  readonly fluctuation?: { readonly amplitude: number };
  /** Keep the state in a JetStream KV key and resume it on start (default false). */
  readonly persist?: boolean;
  /** How long start() waits for another instance to answer (default 500 ms). */
  readonly ownerProbeMs?: number;
  readonly kpiModel?: Partial<KpiModelParams>;
  readonly modelConfig?: ModelConfig;
  /** Changes the change log keeps for replicas catching up (default DEFAULT_CHANGE_LOG_LENGTH). */
  readonly changeLogLength?: number;
}

/** What the core needs of the agent's dependencies. */
export type InfrastructureDeps = Pick<
  AgentDeps,
  'bus' | 'clock' | 'logger' | 'tracer' | 'seed' | 'instanceId'
>;

/** What the agent does beyond the common start/stop: the parts tests and replays drive directly. */
export interface InfrastructureCore {
  /** Emits one round of KPI samples now (drawing the next traffic fluctuation). */
  tick(): void;
  /** Ids of the slices holding resources. */
  heldSliceIds(): string[];
  /** The current network view (for inspection). */
  view(): ReturnType<ResourceOwner['view']>;
}

/** Everything the running agent holds; built by start(), dropped by stop(). */
interface Running {
  readonly subscriptions: Subscription[];
  readonly timer: NodeJS.Timeout | undefined;
  readonly store: StateStore | undefined;
  readonly epoch: string;
  readonly log: ChangeLog;
}

const DEFAULT_OWNER_PROBE_MS = 500;
const DEFAULT_RESERVATIONS_PAGE = 100;

export function createInfrastructureCore(deps: InfrastructureDeps, config: InfrastructureConfig) {
  const { bus, clock, logger, tracer } = deps;
  const subjects = bus.subjects;
  const modelConfig = config.modelConfig ?? DEFAULT_MODEL_CONFIG;
  const kpiParams: KpiModelParams = { ...DEFAULT_KPI_MODEL_PARAMS, ...config.kpiModel };
  if (!Number.isInteger(config.kpiIntervalMs) || config.kpiIntervalMs < 0) {
    throw new SliceMeshError(
      'config',
      `kpiIntervalMs must be a non-negative integer, got ${config.kpiIntervalMs}`,
    );
  }
  let owner = ResourceOwner.fresh(config.seed ?? deps.seed, modelConfig);
  const traffic = new TrafficTable(owner.state.seed, config.fluctuation?.amplitude ?? 0);
  let running: Running | undefined;
  const pages = new SnapshotPages(() => clock.now());
  let starts = 0;

  const record = (): InfraStateRecord => {
    const held = new Set(owner.sliceIds());
    const loads: Record<string, number> = {};
    for (const [id, factor] of Object.entries(traffic.factors()))
      if (held.has(id) && factor !== 1) loads[id] = factor;
    const state: InfraStateRecord = {
      type: 'infra.state.v1',
      savedAt: clock.now(),
      network: owner.snapshot(),
      loads,
    };
    const declined = owner.recentDeclines();
    if (declined.length > 0) state.declined = declined;
    return state;
  };
  const persist = () => running?.store?.save(record);

  /** The KPIs of `sliceIds` (those still held) at `at`. */
  const samplesOf = (sliceIds: Iterable<string>, at = clock.now()): KpiSample[] => {
    const loadOf = (id: string) => traffic.loadOf(id);
    const samples: KpiSample[] = [];
    for (const id of sliceIds) {
      const kpi = sliceKpi(owner.state, id, loadOf, kpiParams);
      if (kpi === undefined) continue;
      samples.push({
        type: 'kpi.sample.v1',
        sliceId: id,
        at,
        latencyMs: kpi.latencyMs,
        cost: kpi.cost,
        reliabilityCost: kpi.reliabilityCost,
        sharing: kpi.sharing,
        cpu: kpi.cpu,
        mem: kpi.mem,
        load: kpi.load,
      });
    }
    return samples;
  };

  /** A change's KPIs: one message per slice, in the trace of the change that moved them. */
  const emit = (sliceIds: Iterable<string>) => {
    for (const sample of samplesOf(sliceIds)) {
      try {
        bus.publish(subjects.kpi(sample.sliceId), KpiSample, sample, { trace: true });
      } catch (error) {
        logger.warn('could not publish a KPI sample', { sliceId: sample.sliceId, error });
      }
    }
  };

  /** The periodic KPIs of every held slice, KpiBatch.limit per message, untraced. */
  const emitAll = () => {
    const at = clock.now();
    for (const items of chunked(samplesOf(owner.sliceIds(), at), KpiBatch.limit)) {
      try {
        const batch = { type: KpiBatch.type, at, items };
        bus.publish(subjects.kpiBatch(), KpiBatch.send, batch, { trace: false });
      } catch (error) {
        logger.warn('could not publish a KPI batch', { samples: items.length, error });
      }
    }
  };

  /** What is held, a page at a time (the slice-manager's reconciler compares it with its records). */
  const handleReservations = (request: ReservationsRequest): ReservationsReply => {
    const page = owner.reservations(request.after, request.limit ?? DEFAULT_RESERVATIONS_PAGE);
    const reply: ReservationsReply = {
      type: 'infra.reservations.reply.v1',
      reservations: page.reservations,
      total: page.total,
      viewVersion: owner.version,
    };
    if (page.next !== undefined) reply.next = page.next;
    return reply;
  };

  const handleApply = (request: ApplyRequest): Promise<ApplyReply> =>
    instrument(
      tracer,
      SPAN.infraApply,
      { [ATTR.sliceId]: request.sliceId, [ATTR.viewVersion]: request.plan.viewVersion },
      (span) => {
        const before = neighboursOf(owner.state, request.sliceId);
        const { reply, migrated } = owner.apply(request, clock.now());
        span.setAttribute(
          ATTR.infraOutcome,
          reply.outcome === 'applied' ? 'applied' : `refused:${reply.reason}`,
        );
        if (reply.outcome === 'refused') {
          logger.debug('refused a plan', {
            sliceId: request.sliceId,
            reason: reply.reason,
            message: reply.message,
          });
          return reply;
        }
        traffic.track(request.sliceId);
        persist();
        logger.info(migrated ? 're-placed a slice' : 'placed a slice', {
          sliceId: request.sliceId,
          containerId: reply.placement.containerId,
          served: reply.served,
          viewVersion: reply.viewVersion,
        });
        // The slice, and everyone whose shared nodes it joined or left.
        const touched = new Set([
          request.sliceId,
          ...before,
          ...neighboursOf(owner.state, request.sliceId),
          ...reply.affectedSliceIds,
        ]);
        emit([...touched].sort());
        return reply;
      },
    );

  const handleRelease = (request: ReleaseRequest): Promise<ReleaseReply> =>
    instrument(tracer, SPAN.infraRelease, { [ATTR.sliceId]: request.sliceId }, (span) => {
      const before = neighboursOf(owner.state, request.sliceId);
      const reply = owner.release(request.sliceId);
      traffic.forget(request.sliceId);
      span.setAttribute(ATTR.infraOutcome, reply.released ? 'released' : 'not-held');
      if (reply.released) {
        persist();
        logger.info('released a slice', {
          sliceId: request.sliceId,
          viewVersion: reply.viewVersion,
        });
        emit(before);
      }
      return reply;
    });

  const handleDecline = (request: DeclineRequest): Promise<DeclineReply> =>
    instrument(tracer, SPAN.infraDecline, { [ATTR.sliceId]: request.sliceId }, (span) => {
      const reply = owner.decline(request.sliceId);
      span.setAttribute(ATTR.infraOutcome, reply.counted ? 'counted' : 'already-counted');
      if (reply.counted) persist();
      return reply;
    });

  const handleLoad = (load: TrafficLoad): Promise<void> =>
    instrument(
      tracer,
      SPAN.infraLoad,
      { [ATTR.sliceId]: load.sliceId, [ATTR.loadFactor]: load.factor },
      () => {
        if (!owner.holds(load.sliceId)) {
          logger.debug('traffic load for a slice that holds no resources', {
            sliceId: load.sliceId,
          });
          return;
        }
        if (!traffic.setFactor(load.sliceId, load.factor)) return;
        persist();
        emit([load.sliceId, ...neighboursOf(owner.state, load.sliceId)]);
      },
    );

  /** Logs and publishes a change: the log first, so a replica that sees it on the feed can also ask for it. */
  const changed = (entry: VersionedChange) => {
    const r = running;
    if (r === undefined) return;
    r.log.append(entry);
    try {
      const message: InfraChange = {
        type: 'infra.change.v1',
        epoch: r.epoch,
        version: entry.version,
        change: entry.change,
      };
      bus.publish(subjects.infraChange(), InfraChange, message, { trace: false });
    } catch (error) {
      // Replicas notice the gap at the next change and catch up from the log.
      logger.warn('could not publish a change of the resource state', {
        viewVersion: entry.version,
        error,
      });
    }
  };

  const serving = (): Running => {
    if (running === undefined)
      throw new SliceMeshError('unavailable', 'the infrastructure is stopping');
    return running;
  };

  const handleChanges = (request: ChangesRequest): ChangesReply => {
    const { epoch, log } = serving();
    const page = log.since(request.since, request.limit ?? CHANGES_PAGE_DEFAULT);
    return {
      type: 'infra.changes.reply.v1',
      epoch,
      version: log.version,
      changes: page.changes,
      more: page.more,
    };
  };

  const handleSnapshot = (request: SnapshotRequest): SnapshotReply => {
    const { epoch } = serving();
    return pages.page(request, () => ({
      epoch,
      version: owner.version,
      snapshot: owner.snapshot(),
    }));
  };

  /** Fails with `config` when another instance already serves the state. */
  const probeForOwner = async () => {
    try {
      await bus.request(
        ENDPOINTS.infraChanges,
        { type: 'infra.changes.request.v1', since: 0, limit: 1 },
        { timeoutMs: config.ownerProbeMs ?? DEFAULT_OWNER_PROBE_MS },
      );
    } catch (error) {
      if (isSliceMeshError(error) && (error.code === 'unavailable' || error.code === 'timeout'))
        return;
      // Any other answer (`view-expired`: its log starts later) comes from an owner too.
      if (!isSliceMeshError(error) || error.code !== 'view-expired') throw error;
    }
    throw new SliceMeshError(
      'config',
      `another infrastructure agent already serves namespace ${bus.namespace}: the resource state is owned by one instance (running more needs a shared state store)`,
    );
  };

  const restore = async (store: StateStore) => {
    const saved = await store.load();
    if (saved === null) return;
    if (saved.network.view.seed !== owner.state.seed) {
      logger.warn('ignoring a saved state made with another seed', {
        savedSeed: saved.network.view.seed,
        seed: owner.state.seed,
      });
      return;
    }
    owner = ResourceOwner.restore(saved.network, modelConfig, saved.declined);
    for (const id of owner.sliceIds()) {
      traffic.track(id);
      const factor = saved.loads[id];
      if (factor !== undefined) traffic.setFactor(id, factor);
    }
    logger.info('resumed the saved resource state', {
      slices: owner.sliceIds().length,
      viewVersion: owner.version,
    });
  };

  /** Instances are refused at start, but two started at the same moment both pass the probe: say so loudly. */
  const warned = new Set<string>();
  const watchHeartbeat = (beat: Heartbeat) => {
    if (beat.role !== 'infrastructure' || beat.instanceId === deps.instanceId) return;
    if (beat.state !== 'running' || warned.has(beat.instanceId)) return;
    warned.add(beat.instanceId);
    logger.error(
      'another infrastructure instance runs in this namespace: each owns its own resource state, so views and placements diverge; run one instance',
      { other: beat.instanceId },
    );
  };

  const core: InfrastructureCore & {
    start(): Promise<void>;
    stop(): Promise<void>;
  } = {
    tick() {
      traffic.tick();
      emitAll();
    },
    heldSliceIds: () => owner.sliceIds(),
    view: () => owner.view(),
    async start() {
      if (running !== undefined) return;
      await probeForOwner();
      const store = config.persist ? await StateStore.open(bus, logger) : undefined;
      if (store !== undefined) await restore(store);
      starts += 1;
      // A new epoch per start: replicas of an earlier run (whose log is gone) start over.
      const epoch = `${deps.instanceId}-${clock.now().toString(36)}-${starts}`;
      const log = new ChangeLog(config.changeLogLength ?? DEFAULT_CHANGE_LOG_LENGTH, owner.version);
      owner.watch(changed);
      const queue = subjects.queueGroup('infrastructure');
      // Apply, release, decline, changes and snapshot read or change the state
      // synchronously as each message arrives, so one client's requests take effect in
      // the order it sent them, and a change is on the feed and in the log before the
      // request that made it is answered (the orchestrator's replica relies on it).
      const subscriptions = [
        bus.serve(ENDPOINTS.infraApply, handleApply, { queue }),
        bus.serve(ENDPOINTS.infraRelease, handleRelease, { queue }),
        bus.serve(ENDPOINTS.infraDecline, handleDecline, { queue }),
        bus.serve(ENDPOINTS.infraReservations, handleReservations, { queue }),
        bus.serve(ENDPOINTS.infraChanges, handleChanges, { queue }),
        bus.serve(ENDPOINTS.infraSnapshot, handleSnapshot, { queue }),
        bus.subscribe(subjects.trafficLoadAll(), TrafficLoad, handleLoad, { queue }),
        bus.subscribe(subjects.heartbeatsAll(), Heartbeat, watchHeartbeat, { trace: false }),
      ];
      const timer =
        config.kpiIntervalMs > 0 ? setInterval(() => core.tick(), config.kpiIntervalMs) : undefined;
      timer?.unref();
      running = { subscriptions, timer, store, epoch, log };
      // Live once the server has processed the subscriptions: start() means serving.
      await bus.flush();
      logger.info('infrastructure serving', {
        seed: owner.state.seed,
        viewVersion: owner.version,
        epoch,
        changeLog: log.capacity,
        kpiIntervalMs: config.kpiIntervalMs,
        fluctuation: traffic.amplitude,
        persist: store !== undefined,
      });
    },
    async stop() {
      const r = running;
      if (r === undefined) return;
      running = undefined;
      if (r.timer !== undefined) clearInterval(r.timer);
      await Promise.allSettled(r.subscriptions.map((s) => s.stop()));
      owner.watch(undefined);
      pages.clear();
      await r.store?.flush();
    },
  };
  return core;
}
