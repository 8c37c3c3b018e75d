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
] as const;
export type Role = (typeof ROLES)[number];

export const DEFAULT_NAMESPACE = 'slicemesh';

export interface Subjects {
  readonly namespace: string;
  // Durable intake consumed by the slice-manager (JetStream stream `intakeStream`).
  sliceRequest(sliceId: string): string;
  sliceChange(sliceId: string): string;
  sliceTerminate(sliceId: string): string;
  slaViolation(sliceId: string): string;
  /** Every slice's SLA violations (to watch them; the slice-manager consumes them from the intake stream). */
  slaViolationsAll(): string;
  intakeAll(): string;
  // Slice events (JetStream stream `eventStream`).
  sliceEvent(sliceId: string): string;
  sliceEventsAll(): string;
  // Request/reply services.
  interpreterInfer(): string;
  orchestratorPlace(): string;
  infraView(): string;
  infraApply(): string;
  infraRelease(): string;
  infraDecline(): string;
  infraReservations(): string;
  telemetrySummary(): string;
  sliceGet(): string;
  sliceList(): string;
  // Plain pub/sub.
  trafficLoad(sliceId: string): string;
  trafficLoadAll(): string;
  kpi(sliceId: string): string;
  kpiAll(): string;
  sliceOutcome(sliceId: string): string;
  sliceOutcomesAll(): string;
  heartbeat(role: string, instanceId: string): string;
  heartbeatsAll(): string;
  /** A subject of a role that is not built in (see docs/extending.md). */
  custom(...tokens: string[]): string;
  // JetStream resources.
  readonly intakeStream: string;
  readonly eventStream: string;
  readonly snapshotBucket: string;
  /** KV bucket of the telemetry agent's ledger (its totals survive a restart). */
  readonly telemetryBucket: string;
  queueGroup(role: string): string;
}

/** Builds every subject under `namespace` (default `slicemesh`). */
export function createSubjects(namespace: string = DEFAULT_NAMESPACE): Subjects {
  const ns = assertToken(namespace, 'namespace');
  const s = (...tokens: string[]) => [ns, ...tokens].join('.');
  const id = (sliceId: string) => assertToken(sliceId, 'slice id');
  const upper = ns.toUpperCase().replace(/-/g, '_');
  return {
    namespace: ns,
    sliceRequest: (sliceId) => s('slice', 'intake', 'request', id(sliceId)),
    sliceChange: (sliceId) => s('slice', 'intake', 'change', id(sliceId)),
    sliceTerminate: (sliceId) => s('slice', 'intake', 'terminate', id(sliceId)),
    slaViolation: (sliceId) => s('slice', 'intake', 'violation', id(sliceId)),
    slaViolationsAll: () => s('slice', 'intake', 'violation', '*'),
    intakeAll: () => s('slice', 'intake', '>'),
    sliceEvent: (sliceId) => s('slice', 'event', id(sliceId)),
    sliceEventsAll: () => s('slice', 'event', '*'),
    interpreterInfer: () => s('svc', 'interpreter', 'infer'),
    orchestratorPlace: () => s('svc', 'orchestrator', 'place'),
    infraView: () => s('svc', 'infrastructure', 'view'),
    infraApply: () => s('svc', 'infrastructure', 'apply'),
    infraRelease: () => s('svc', 'infrastructure', 'release'),
    infraDecline: () => s('svc', 'infrastructure', 'decline'),
    infraReservations: () => s('svc', 'infrastructure', 'reservations'),
    telemetrySummary: () => s('svc', 'telemetry', 'summary'),
    sliceGet: () => s('svc', 'slice-manager', 'get'),
    sliceList: () => s('svc', 'slice-manager', 'list'),
    trafficLoad: (sliceId) => s('infra', 'load', id(sliceId)),
    trafficLoadAll: () => s('infra', 'load', '*'),
    kpi: (sliceId) => s('kpi', id(sliceId)),
    kpiAll: () => s('kpi', '*'),
    sliceOutcome: (sliceId) => s('slice', 'outcome', id(sliceId)),
    sliceOutcomesAll: () => s('slice', 'outcome', '*'),
    heartbeat: (role, instanceId) =>
      s('heartbeat', assertToken(role, 'role'), assertToken(instanceId, 'instance id')),
    heartbeatsAll: () => s('heartbeat', '>'),
    custom: (...tokens) => {
      if (tokens.length === 0)
        throw new SliceMeshError('invalid-message', 'custom subject needs at least one token');
      return s('x', ...tokens.map((t) => assertToken(t)));
    },
    intakeStream: `${upper}_SLICE_INTAKE`,
    eventStream: `${upper}_SLICE_EVENTS`,
    snapshotBucket: `${upper}_SLICE_SNAPSHOTS`,
    telemetryBucket: `${upper}_TELEMETRY`,
    queueGroup: (role) => assertToken(role, 'role'),
  };
}
