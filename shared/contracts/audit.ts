/**
 * Wire contracts of the audit-log role (an extension role: see
 * docs/extending.md). One audit entry per slice transition, and a
 * request/reply query over the current run's entries.
 */
import { z } from 'zod';
import { EpochMs, Id } from './common.js';
import { SliceState } from './messages.js';
import type { Subjects } from './subjects.js';

/** Who set a transition in motion: a requester (intake), telemetry (SLA violation) or the slice-manager itself. */
export const AUDIT_ACTORS = ['requester', 'telemetry', 'slice-manager'] as const;
export const AuditActor = z.enum(AUDIT_ACTORS);
export type AuditActor = z.infer<typeof AuditActor>;

/** One line of an audit trail (JSONL). */
export const AuditEntry = z
  .object({
    type: z.literal('audit.entry.v1'),
    /** Sequence of the slice event in the event stream: the trail's order and de-duplication key. */
    seq: z.number().int().positive(),
    /** When the transition happened (the slice-manager's clock). */
    at: EpochMs,
    /** When the audit-log wrote it. */
    recordedAt: EpochMs,
    sliceId: Id,
    who: AuditActor,
    /** The transition: state left (null for the first), state entered, and why. */
    what: z
      .object({
        from: SliceState.nullable(),
        to: SliceState,
        cause: z.string().max(128),
        note: z.string().max(1_000).optional(),
      })
      .strict(),
    /** W3C trace id of the slice's trace (open it in Jaeger). */
    traceId: z.string().optional(),
  })
  .strict();
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AUDIT_QUERY_MAX = 1_000;

export const AuditQueryRequest = z
  .object({
    type: z.literal('audit.query.request.v1'),
    /** Only this slice's entries. */
    sliceId: Id.optional(),
    /** The latest `limit` matching entries (default 100). */
    limit: z.number().int().min(1).max(AUDIT_QUERY_MAX).optional(),
  })
  .strict();
export type AuditQueryRequest = z.infer<typeof AuditQueryRequest>;

export const AuditQueryReply = z
  .object({
    type: z.literal('audit.query.reply.v1'),
    /** Matching entries, oldest first. */
    entries: z.array(AuditEntry),
    /** Matching entries held by this run (may exceed `entries.length`). */
    matched: z.number().int().nonnegative(),
    /** The JSONL file this run appends to. */
    file: z.string(),
  })
  .strict();
export type AuditQueryReply = z.infer<typeof AuditQueryReply>;

/** Subjects of the audit-log role, built with the namespace's `custom(...)` builder. */
export function auditSubjects(subjects: Pick<Subjects, 'custom'>): { readonly query: string } {
  return { query: subjects.custom('audit', 'query') };
}
