/** From a slice event to an audit entry: who set the transition in motion, what changed, when. */
import type { AuditActor, AuditEntry } from '../../shared/contracts/audit.js';
import type { SliceEvent } from '../../shared/contracts/messages.js';

/** Causes that arrive through the slice intake, i.e. from whoever requested the slice. */
const REQUESTER_CAUSES = new Set(['request', 'change', 'terminate']);

/** The initiator of a transition, from its cause. Everything not asked for from outside is the lifecycle's own step. */
export function actorOf(cause: string): AuditActor {
  if (REQUESTER_CAUSES.has(cause)) return 'requester';
  if (cause === 'violation') return 'telemetry';
  return 'slice-manager';
}

/** The audit entry of `event`, stored at stream sequence `seq`. */
export function auditEntryFromEvent(
  event: SliceEvent,
  seq: number,
  recordedAt: number,
  traceId: string | undefined,
): AuditEntry {
  const note = event.record.history.at(-1)?.note;
  const trace = traceId ?? event.record.traceId;
  return {
    type: 'audit.entry.v1',
    seq,
    at: event.at,
    recordedAt,
    sliceId: event.sliceId,
    who: actorOf(event.cause),
    what: {
      from: event.from,
      to: event.to,
      cause: event.cause,
      ...(note !== undefined ? { note: note.slice(0, 1_000) } : {}),
    },
    ...(trace !== undefined ? { traceId: trace } : {}),
  };
}
