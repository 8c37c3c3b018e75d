/**
 * The audit-log agent: a durable consumer of the slice-event stream that
 * appends one JSONL line per slice transition — who set it in motion, what
 * changed, when, and the slice's trace id — and answers queries over the
 * current run's entries on `custom('audit', 'query')`.
 *
 * Events are read in stream order and acknowledged only once their line is
 * on disk; the stream sequence in each line makes a redelivered event (after
 * a crash between writing and acknowledging) recognisable, so it is written
 * once. Run one instance per namespace (the durable consumer is shared).
 */
import { join } from 'node:path';
import type { ConsumerHandle, Subscription } from '../../shared/bus/types.js';
import { ENDPOINTS } from '../../shared/contracts/endpoints.js';
import {
  AUDIT_QUERY_MAX,
  type AuditQueryReply,
  type AuditEntry,
} from '../../shared/contracts/audit.js';
import { SliceEvent } from '../../shared/contracts/messages.js';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import {
  createAgentHandle,
  type AgentDeps,
  type AgentHandle,
  extendAgentHandle,
} from '../../shared/runtime/agent.js';
import type { SliceMeshConfig } from '../../shared/runtime/config.js';
import { ATTR, SPAN, instrument } from '../../shared/telemetry/index.js';
import { auditEntryFromEvent } from './entry.js';
import { lastRecordedSeq, openAuditTrail, type AuditTrail } from './trail.js';

export const AUDIT_LOG_ROLE = 'audit-log';

export interface AuditLogConfig {
  /** Directory of the trail files. */
  readonly dir: string;
  /** Entries of this run kept in memory for queries (default 10 000; the file keeps all). */
  readonly keepInMemory?: number;
}

export type AuditLogAgent = AgentHandle & {
  /** This run's trail file (undefined before start). */
  readonly file: string | undefined;
  /** This run's entries held in memory, oldest first. */
  entries(): readonly AuditEntry[];
};

/** The agent's settings from the environment configuration (SLICEMESH_AUDIT_DIR, else <data dir>/audit). */
export function auditLogConfigFrom(config: SliceMeshConfig): AuditLogConfig {
  return { dir: config.audit.dir ?? join(config.mesh.dataDir, 'audit') };
}

const DEFAULT_QUERY_LIMIT = 100;

/** Creates the audit-log agent; nothing happens until `start()`. */
export function createAuditLogAgent(
  deps: AgentDeps,
  config: AuditLogConfig = auditLogConfigFrom(deps.config),
): AuditLogAgent {
  const { bus, clock, logger, tracer } = deps;
  const keep = Math.max(1, config.keepInMemory ?? 10_000);
  const recent: AuditEntry[] = [];
  let trail: AuditTrail | undefined;
  let consumer: ConsumerHandle | undefined;
  let query: Subscription | undefined;

  const handle = createAgentHandle(deps, {
    async start() {
      let lastSeq = await lastRecordedSeq(config.dir, bus.namespace);
      const run = openAuditTrail(config.dir, bus.namespace, clock.now());
      trail = run;

      // The event stream is the slice-manager's; make sure it exists whoever starts first.
      await bus.ensureStreams();
      consumer = await bus.consume(
        bus.subjects.eventStream,
        AUDIT_LOG_ROLE,
        bus.subjects.sliceEventsAll(),
        SliceEvent,
        async (event, ctx) => {
          const seq = ctx.streamSeq;
          if (seq === undefined)
            throw new SliceMeshError('internal', 'slice event without a stream sequence');
          if (seq <= lastSeq) {
            logger.debug('slice event already in the audit trail', { seq, sliceId: event.sliceId });
            return;
          }
          const entry = auditEntryFromEvent(event, seq, clock.now(), ctx.traceId);
          await instrument(
            tracer,
            SPAN.auditAppend,
            { [ATTR.sliceId]: event.sliceId, [ATTR.sliceState]: event.to },
            () => run.append(entry),
            { context: ctx.context },
          );
          lastSeq = seq;
          recent.push(entry);
          if (recent.length > keep) recent.splice(0, recent.length - keep);
        },
      );

      query = bus.serve(
        ENDPOINTS.auditQuery,
        (req): AuditQueryReply => {
          const matching = req.sliceId ? recent.filter((e) => e.sliceId === req.sliceId) : recent;
          const limit = Math.min(req.limit ?? DEFAULT_QUERY_LIMIT, AUDIT_QUERY_MAX);
          return {
            type: 'audit.query.reply.v1',
            entries: matching.slice(-limit),
            matched: matching.length,
            file: run.path,
          };
        },
        { queue: bus.subjects.queueGroup(AUDIT_LOG_ROLE) },
      );
      logger.info('audit-log recording', { file: run.path, after: lastSeq });
    },
    async stop() {
      await query?.stop();
      await consumer?.stop();
      await trail?.close();
    },
  });

  return extendAgentHandle(handle, {
    get file() {
      return trail?.path;
    },
    entries: () => [...recent],
  });
}
