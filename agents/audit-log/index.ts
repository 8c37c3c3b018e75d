/**
 * Audit-log agent (an extension role, built as docs/extending.md describes):
 * an append-only JSONL trail of every slice transition with who/what/when and
 * the trace id, queryable on `custom('audit', 'query')`. Only this module is
 * imported from outside the folder.
 */
export {
  AUDIT_LOG_ROLE,
  auditLogConfigFrom,
  createAuditLogAgent,
  type AuditLogAgent,
  type AuditLogConfig,
} from './agent.js';
export { actorOf, auditEntryFromEvent } from './entry.js';
export {
  lastRecordedSeq,
  openAuditTrail,
  readTrail,
  trailFileName,
  trailFiles,
  type AuditTrail,
} from './trail.js';
