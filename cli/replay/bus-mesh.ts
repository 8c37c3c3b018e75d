/**
 * The runner's view of a real mesh over the typed bus: intake messages go to
 * JetStream (deduplicated by a message id derived from the scenario, so a
 * retried publish is stored once), a surge's traffic load goes to the
 * infrastructure as a plain message, slice events are read on the
 * namespace's event subjects, KPI samples and SLA violations are watched on
 * theirs, final records come from the slice-manager's `slice.list`.
 */
import { subscribeKpis } from '../../shared/clients/kpis.js';
import { listAllSlices } from '../../shared/clients/slice-list.js';
import type { Bus } from '../../shared/bus/index.js';
import { intakeSubject } from '../../shared/contracts/endpoints.js';
import {
  SlaViolation,
  SliceChange,
  type SliceMeshError,
  SliceEvent,
  SliceRequest,
  SliceTermination,
  TrafficLoad,
  type SliceRecord,
} from '../../shared/contracts/index.js';
import type { OutgoingMessage } from './messages.js';
import type { ReplayMesh } from './runner.js';

/** How long one publish may keep retrying while NATS is briefly unreachable. */
const PUBLISH_RETRY_MS = 10_000;
const LIST_TIMEOUT_MS = 10_000;

/** A message for the slice-manager's durable intake. */
export type IntakeMessage = Exclude<OutgoingMessage, { kind: 'load' }>;

/** JetStream dedup id of an intake message. */
export function intakeMessageId(out: IntakeMessage): string {
  const m = out.message;
  switch (out.kind) {
    case 'request':
      return `request-${m.sliceId}`;
    case 'change':
      return `change-${m.sliceId}-${out.message.changeId}`;
    case 'terminate':
      return `terminate-${m.sliceId}`;
  }
}

export interface BusReplayMeshOptions {
  readonly traceFile?: string;
  /** Interval of the infrastructure's periodic KPI samples (ms), as configured for the run. */
  readonly kpiIntervalMs?: number;
  /** Stops what was started for the replay (agents, servers); called by `close()`. */
  readonly close: () => Promise<void>;
  /** Settles when the mesh can no longer work (an agent failed). */
  readonly failed?: Promise<SliceMeshError>;
}

/** A `ReplayMesh` on a connected bus. */
export function busReplayMesh(bus: Bus, options: BusReplayMeshOptions): ReplayMesh {
  const { subjects } = bus;
  const js = { msgId: '', retryForMs: PUBLISH_RETRY_MS };
  return {
    ...(options.traceFile !== undefined ? { traceFile: options.traceFile } : {}),
    ...(options.kpiIntervalMs !== undefined ? { kpiIntervalMs: options.kpiIntervalMs } : {}),
    async publish(out) {
      if (out.kind === 'load') {
        // Traffic is a live signal, not a durable request: a plain message the infrastructure's
        // queue group takes; flushed so "published" means the server has it.
        bus.publish(subjects.trafficLoad(out.message.sliceId), TrafficLoad, out.message);
        await bus.flush();
        return;
      }
      const options = { ...js, msgId: intakeMessageId(out) };
      const subject = intakeSubject(subjects, out.message);
      switch (out.kind) {
        case 'request':
          await bus.jsPublish(subject, SliceRequest, out.message, options);
          return;
        case 'change':
          await bus.jsPublish(subject, SliceChange, out.message, options);
          return;
        case 'terminate':
          await bus.jsPublish(subject, SliceTermination, out.message, options);
          return;
      }
    },
    async subscribe(handler) {
      const subscription = bus.subscribe(subjects.sliceEventsAll(), SliceEvent, handler, {
        trace: false,
      });
      // Live once the server has processed the SUB, so no early event is missed.
      await bus.flush();
      return () => subscription.stop();
    },
    async watch(signals) {
      const kpis = subscribeKpis(bus, signals.kpi);
      // Violations go to the slice-manager's durable intake; a plain subscription sees them too.
      const violations = bus.subscribe(
        subjects.slaViolationsAll(),
        SlaViolation,
        signals.violation,
        { trace: false },
      );
      await bus.flush();
      return async () => {
        await Promise.all([kpis.stop(), violations.stop()]);
      };
    },
    async fetchRecords(): Promise<readonly SliceRecord[]> {
      return listAllSlices(bus, { timeoutMs: LIST_TIMEOUT_MS });
    },
    close: options.close,
    ...(options.failed ? { failed: options.failed } : {}),
  };
}
