/**
 * One contract per endpoint: every request/reply service of the mesh named
 * once, as its subject builder, its request schema and its reply schema.
 * The serving side (`bus.serve(endpoint, handler)`) and the calling side
 * (`bus.request(endpoint, message)`) take the same descriptor, so the two
 * can no longer disagree on a subject or a schema. The durable intake
 * channels (published to JetStream, consumed by the slice-manager) are
 * described the same way, keyed by their message's `type`.
 *
 * The `role` fields say who serves / consumes: the input a permission table
 * per role is derived from (DESIGN §7).
 */
import type { z } from 'zod';
import { AuditQueryReply, AuditQueryRequest, auditSubjects } from './audit.js';
import {
  ApplyReply,
  ApplyRequest,
  DeclineReply,
  DeclineRequest,
  InferenceReply,
  InferenceRequest,
  PlacementReply,
  PlacementRequest,
  ReleaseReply,
  ReleaseRequest,
  ReservationsReply,
  ReservationsRequest,
  SlaViolation,
  SliceChange,
  SliceGetReply,
  SliceGetRequest,
  SliceListReply,
  SliceListRequest,
  PartitionQuery,
  PartitionQueryReply,
  SliceRequest,
  SliceTermination,
  TelemetrySummary,
  TelemetrySummaryRequest,
} from './messages.js';
import { ChangesReply, ChangesRequest, SnapshotReply, SnapshotRequest } from './network-changes.js';
import type { Role, Subjects } from './subjects.js';

/** A request/reply endpoint: where it listens, what it accepts, what it answers. */
export interface Endpoint<Q extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  /** Stable name, `<role>.<operation>` (logs, permission tables). */
  readonly name: string;
  /** The role that serves it (its queue group carries the role's name). */
  readonly role: Role;
  /** The subject in a namespace, built by the subjects module. */
  readonly subject: (subjects: Subjects) => string;
  readonly request: Q;
  readonly reply: R;
}

/** The request type an endpoint accepts (what a caller passes). */
export type EndpointRequest<E extends Endpoint> = z.input<E['request']>;
/** The reply type an endpoint answers (what a caller receives). */
export type EndpointReply<E extends Endpoint> = z.output<E['reply']>;

function endpoint<Q extends z.ZodType, R extends z.ZodType>(e: Endpoint<Q, R>): Endpoint<Q, R> {
  return Object.freeze(e);
}

/** Every request/reply endpoint of the mesh, keyed like the subject builders. */
export const ENDPOINTS = Object.freeze({
  interpreterInfer: endpoint({
    name: 'interpreter.infer',
    role: 'interpreter',
    subject: (s) => s.interpreterInfer(),
    request: InferenceRequest,
    reply: InferenceReply,
  }),
  orchestratorPlace: endpoint({
    name: 'orchestrator.place',
    role: 'orchestrator',
    subject: (s) => s.orchestratorPlace(),
    request: PlacementRequest,
    reply: PlacementReply,
  }),
  infraApply: endpoint({
    name: 'infrastructure.apply',
    role: 'infrastructure',
    subject: (s) => s.infraApply(),
    request: ApplyRequest,
    reply: ApplyReply,
  }),
  infraRelease: endpoint({
    name: 'infrastructure.release',
    role: 'infrastructure',
    subject: (s) => s.infraRelease(),
    request: ReleaseRequest,
    reply: ReleaseReply,
  }),
  infraDecline: endpoint({
    name: 'infrastructure.decline',
    role: 'infrastructure',
    subject: (s) => s.infraDecline(),
    request: DeclineRequest,
    reply: DeclineReply,
  }),
  infraReservations: endpoint({
    name: 'infrastructure.reservations',
    role: 'infrastructure',
    subject: (s) => s.infraReservations(),
    request: ReservationsRequest,
    reply: ReservationsReply,
  }),
  infraChanges: endpoint({
    name: 'infrastructure.changes',
    role: 'infrastructure',
    subject: (s) => s.infraChanges(),
    request: ChangesRequest,
    reply: ChangesReply,
  }),
  infraSnapshot: endpoint({
    name: 'infrastructure.snapshot',
    role: 'infrastructure',
    subject: (s) => s.infraSnapshot(),
    request: SnapshotRequest,
    reply: SnapshotReply,
  }),
  telemetrySummary: endpoint({
    name: 'telemetry.summary',
    role: 'telemetry',
    subject: (s) => s.telemetrySummary(),
    request: TelemetrySummaryRequest,
    reply: TelemetrySummary,
  }),
  sliceGet: endpoint({
    name: 'slice-manager.get',
    role: 'slice-manager',
    subject: (s) => s.sliceGet(),
    request: SliceGetRequest,
    reply: SliceGetReply,
  }),
  sliceList: endpoint({
    name: 'slice-manager.list',
    role: 'slice-manager',
    subject: (s) => s.sliceList(),
    request: SliceListRequest,
    reply: SliceListReply,
  }),
  /**
   * Between slice-manager instances only: a query about one partition, answered by the
   * instance that owns it. The descriptor's subject is the pattern of all partitions;
   * each instance serves and asks `subjects.slicePartitionQuery(p)` of one.
   */
  slicePartitionQuery: endpoint({
    name: 'slice-manager.partition-query',
    role: 'slice-manager',
    subject: (s) => s.slicePartitionQuery('*'),
    request: PartitionQuery,
    reply: PartitionQueryReply,
  }),
  auditQuery: endpoint({
    name: 'audit-log.query',
    role: 'audit-log',
    subject: (s) => auditSubjects(s).query,
    request: AuditQueryRequest,
    reply: AuditQueryReply,
  }),
});
export type EndpointKey = keyof typeof ENDPOINTS;

/**
 * Who sends on an intake channel: `tenant`, a requester (a tenant's client
 * identity, each on its own tenant's subjects, or the operator), or a role.
 */
export type IntakeSender = 'tenant' | Role;

/** A durable intake channel: one subject per slice, one message type, consumed by `role`. */
export interface IntakeChannel<S extends z.ZodType = z.ZodType> {
  /** The role that consumes it. */
  readonly role: Role;
  readonly sender: IntakeSender;
  /** The subject a message must be published to (and is expected on). */
  readonly subject: (subjects: Subjects, message: z.output<S>) => string;
  /** Every subject of the channel a sender may publish on (a tenant's only, for requesters). */
  readonly pattern: (subjects: Subjects, tenant: string) => string;
  readonly message: S;
}

function intake<S extends z.ZodType>(c: IntakeChannel<S>): IntakeChannel<S> {
  return Object.freeze(c);
}

/** The slice-manager's intake, keyed by the `type` literal of the message each channel carries. */
export const INTAKE = Object.freeze({
  'slice.request.v2': intake({
    role: 'slice-manager',
    sender: 'tenant',
    subject: (s, m) => s.sliceRequest(m.tenant, m.sliceId),
    pattern: (s, tenant) => s.tenantIntake('request', tenant),
    message: SliceRequest,
  }),
  'slice.change.v2': intake({
    role: 'slice-manager',
    sender: 'tenant',
    subject: (s, m) => s.sliceChange(m.tenant, m.sliceId),
    pattern: (s, tenant) => s.tenantIntake('change', tenant),
    message: SliceChange,
  }),
  'slice.terminate.v2': intake({
    role: 'slice-manager',
    sender: 'tenant',
    subject: (s, m) => s.sliceTerminate(m.tenant, m.sliceId),
    pattern: (s, tenant) => s.tenantIntake('terminate', tenant),
    message: SliceTermination,
  }),
  'sla.violation.v1': intake({
    role: 'slice-manager',
    sender: 'telemetry',
    subject: (s, m) => s.slaViolation(m.sliceId),
    pattern: (s) => s.slaViolationsAll(),
    message: SlaViolation,
  }),
});
export type IntakeType = keyof typeof INTAKE;

/** Any message of the intake, discriminated by `type`. */
export type IntakeMessage = {
  [K in IntakeType]: z.output<(typeof INTAKE)[K]['message']>;
}[IntakeType];

/** The subject an intake message must be published to (and is expected on). */
export function intakeSubject(subjects: Subjects, message: IntakeMessage): string {
  const channel = INTAKE[message.type] as IntakeChannel<z.ZodType<IntakeMessage>>;
  return channel.subject(subjects, message);
}
