import { fnv1aString } from '../embeddings/fnv.js';
import { ID_PATTERN } from './common.js';
import { SliceMeshError } from './errors.js';

/**
 * The one place subject strings, stream names and bucket names are built.
 * Every token is validated so an id can never inject wildcards or extra
 * levels into a subject.
 */

const MAX_TOKEN_LENGTH = 128;

export function assertToken(token: string, what = 'subject token'): string {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH || !ID_PATTERN.test(token)) {
    throw new SliceMeshError(
      'invalid-message',
      `invalid ${what} ${JSON.stringify(token)}: use 1-${MAX_TOKEN_LENGTH} letters, digits, "_" or "-"`,
    );
  }
  return token;
}

/**
 * The mesh's roles, the one list of them: queue groups are named after them,
 * endpoint descriptors name the role that serves each, and the CLI's role
 * registry (cli/roles.ts) must have a factory for each. A new role is added
 * here first.
 */
export const ROLES = [
  'slice-manager',
  'interpreter',
  'orchestrator',
  'infrastructure',
  'telemetry',
  'memory-curator',
  'audit-log',
  // Last: it serves HTTP for the others, so it starts once they run and stops first.
  'api',
] as const;
export type Role = (typeof ROLES)[number];

export const DEFAULT_NAMESPACE = 'slicemesh';

/**
 * The slice intake is split into this many partitions by slice id, so several
 * slice-manager instances can share the slices, each owning whole partitions
 * (a slice's messages always land in one partition, in order). It is part of the
 * wire protocol, not a setting: every publisher must agree on it, and changing it
 * would move slices whose messages are still in the stream. It bounds how many
 * slice-manager instances can share the work.
 */
export const INTAKE_PARTITIONS = 16;

/** The intake partition of a slice: FNV-1a of its id, modulo INTAKE_PARTITIONS. */
export function partitionOf(sliceId: string): number {
  return fnv1aString(sliceId) % INTAKE_PARTITIONS;
}

/** Checks a partition number (0 ≤ p < INTAKE_PARTITIONS). */
export function assertPartition(partition: number): number {
  if (!Number.isInteger(partition) || partition < 0 || partition >= INTAKE_PARTITIONS) {
    throw new SliceMeshError(
      'invalid-message',
      `invalid partition ${partition}: use 0-${INTAKE_PARTITIONS - 1}`,
    );
  }
  return partition;
}

export interface Subjects {
  readonly namespace: string;
  // Durable intake consumed by the slice-manager (JetStream stream `intakeStream`). A
  // requester's subjects carry its tenant, so permissions can give each tenant its own.
  sliceRequest(tenant: string, sliceId: string): string;
  sliceChange(tenant: string, sliceId: string): string;
  sliceTerminate(tenant: string, sliceId: string): string;
  /** Every subject of one requester verb of `tenant` (what its client may publish on). */
  tenantIntake(verb: TenantIntakeVerb, tenant: string): string;
  slaViolation(sliceId: string): string;
  /** Every slice's SLA violations (to watch them; the slice-manager consumes them from the intake stream). */
  slaViolationsAll(): string;
  intakeAll(): string;
  /** Every intake subject of one partition (what that partition's durable consumer filters on). */
  intakePartition(partition: number): string;
  // Slice events (JetStream stream `eventStream`), under their slice's tenant, so a
  // tenant's client can be allowed its own slices' events only.
  sliceEvent(tenant: string, sliceId: string): string;
  /** Every slice event of `tenant`. */
  tenantEvents(tenant: string): string;
  sliceEventsAll(): string;
  // Request/reply services.
  interpreterInfer(): string;
  orchestratorPlace(): string;
  infraApply(): string;
  infraRelease(): string;
  infraDecline(): string;
  infraReservations(): string;
  /** A page of the infrastructure's change log (replicas catching up). */
  infraChanges(): string;
  /** A page of a snapshot of the infrastructure's state (replicas starting over). */
  infraSnapshot(): string;
  telemetrySummary(): string;
  sliceGet(): string;
  sliceList(): string;
  /**
   * Between slice-manager instances: the queries about one partition's slices go to
   * whichever instance owns it (`*` for the pattern every instance may use).
   */
  slicePartitionQuery(partition: number | '*'): string;
  // Plain pub/sub.
  trafficLoad(sliceId: string): string;
  trafficLoadAll(): string;
  /** The infrastructure's change feed: one message per change of its resource state. */
  infraChange(): string;
  kpi(sliceId: string): string;
  kpiAll(): string;
  /** Periodic samples of many slices at once (KpiBatch); not matched by kpiAll(). */
  kpiBatch(): string;
  sliceOutcome(sliceId: string): string;
  sliceOutcomesAll(): string;
  heartbeat(role: string, instanceId: string): string;
  /** Heartbeats of every instance of `role`. */
  heartbeatsOf(role: string): string;
  heartbeatsAll(): string;
  /**
   * Where replies to `identity`'s requests arrive (the connection's inbox prefix): one
   * prefix per identity and namespace, so permissions can keep everyone else out of it.
   */
  inboxPrefix(identity: string): string;
  /** A subject of a role that is not built in (see docs/extending.md). */
  custom(...tokens: string[]): string;
  // JetStream resources.
  readonly intakeStream: string;
  readonly eventStream: string;
  readonly snapshotBucket: string;
  /** KV bucket where slice-manager instances hold their partitions' leases. */
  readonly partitionBucket: string;
  /** KV bucket of the telemetry agent's ledger (its totals survive a restart). */
  readonly telemetryBucket: string;
  /** KV bucket of the infrastructure's resource state. */
  readonly infraStateBucket: string;
  /** KV bucket of the api role's intents (what TMF921 adds to a slice: name, expression, reports). */
  readonly apiIntentBucket: string;
  /** KV bucket of the api role's event hub registrations (they outlive a restart). */
  readonly apiHubBucket: string;
  queueGroup(role: string): string;
}

/** The intake verbs a requester sends (violations come from telemetry, without a tenant). */
export const TENANT_INTAKE_VERBS = ['request', 'change', 'terminate'] as const;
export type TenantIntakeVerb = (typeof TENANT_INTAKE_VERBS)[number];

/** Builds every subject under `namespace` (default `slicemesh`). */
export function createSubjects(namespace: string = DEFAULT_NAMESPACE): Subjects {
  const ns = assertToken(namespace, 'namespace');
  const s = (...tokens: string[]) => [ns, ...tokens].join('.');
  const id = (sliceId: string) => assertToken(sliceId, 'slice id');
  const tenantToken = (tenant: string) => assertToken(tenant, 'tenant');
  const upper = ns.toUpperCase().replace(/-/g, '_');
  // The partition comes first, so one filter (`…intake.<p>.>`) takes all of a partition.
  const partitionToken = (sliceId: string) =>
    sliceId === '*' ? '*' : String(partitionOf(sliceId));
  const intake = (verb: TenantIntakeVerb, tenant: string, sliceId: string) =>
    s(
      'slice',
      'intake',
      partitionToken(sliceId),
      verb,
      tenantToken(tenant),
      sliceId === '*' ? '*' : id(sliceId),
    );
  return {
    namespace: ns,
    sliceRequest: (tenant, sliceId) => intake('request', tenant, id(sliceId)),
    sliceChange: (tenant, sliceId) => intake('change', tenant, id(sliceId)),
    sliceTerminate: (tenant, sliceId) => intake('terminate', tenant, id(sliceId)),
    tenantIntake: (verb, tenant) => intake(verb, tenant, '*'),
    slaViolation: (sliceId) =>
      s('slice', 'intake', partitionToken(id(sliceId)), 'violation', sliceId),
    slaViolationsAll: () => s('slice', 'intake', '*', 'violation', '*'),
    intakeAll: () => s('slice', 'intake', '>'),
    intakePartition: (partition) => s('slice', 'intake', String(assertPartition(partition)), '>'),
    sliceEvent: (tenant, sliceId) => s('slice', 'event', tenantToken(tenant), id(sliceId)),
    tenantEvents: (tenant) => s('slice', 'event', tenantToken(tenant), '*'),
    sliceEventsAll: () => s('slice', 'event', '>'),
    interpreterInfer: () => s('svc', 'interpreter', 'infer'),
    orchestratorPlace: () => s('svc', 'orchestrator', 'place'),
    infraApply: () => s('svc', 'infrastructure', 'apply'),
    infraRelease: () => s('svc', 'infrastructure', 'release'),
    infraDecline: () => s('svc', 'infrastructure', 'decline'),
    infraReservations: () => s('svc', 'infrastructure', 'reservations'),
    infraChanges: () => s('svc', 'infrastructure', 'changes'),
    infraSnapshot: () => s('svc', 'infrastructure', 'snapshot'),
    telemetrySummary: () => s('svc', 'telemetry', 'summary'),
    sliceGet: () => s('svc', 'slice-manager', 'get'),
    sliceList: () => s('svc', 'slice-manager', 'list'),
    slicePartitionQuery: (partition) =>
      s(
        'svc',
        'slice-manager',
        'partition',
        partition === '*' ? '*' : String(assertPartition(partition)),
      ),
    trafficLoad: (sliceId) => s('infra', 'load', id(sliceId)),
    trafficLoadAll: () => s('infra', 'load', '*'),
    infraChange: () => s('infra', 'change'),
    kpi: (sliceId) => s('kpi', id(sliceId)),
    kpiAll: () => s('kpi', '*'),
    kpiBatch: () => s('kpi-batch'),
    sliceOutcome: (sliceId) => s('slice', 'outcome', id(sliceId)),
    sliceOutcomesAll: () => s('slice', 'outcome', '*'),
    heartbeat: (role, instanceId) =>
      s('heartbeat', assertToken(role, 'role'), assertToken(instanceId, 'instance id')),
    heartbeatsOf: (role) => s('heartbeat', assertToken(role, 'role'), '*'),
    heartbeatsAll: () => s('heartbeat', '>'),
    inboxPrefix: (identity) => ['_INBOX', ns, assertToken(identity, 'identity')].join('.'),
    custom: (...tokens) => {
      if (tokens.length === 0)
        throw new SliceMeshError('invalid-message', 'custom subject needs at least one token');
      return s('x', ...tokens.map((t) => assertToken(t)));
    },
    intakeStream: `${upper}_SLICE_INTAKE`,
    eventStream: `${upper}_SLICE_EVENTS`,
    snapshotBucket: `${upper}_SLICE_SNAPSHOTS`,
    partitionBucket: `${upper}_SLICE_PARTITIONS`,
    telemetryBucket: `${upper}_TELEMETRY`,
    infraStateBucket: `${upper}_INFRA_STATE`,
    apiIntentBucket: `${upper}_API_INTENTS`,
    apiHubBucket: `${upper}_API_HUBS`,
    queueGroup: (role) => assertToken(role, 'role'),
  };
}
