/**
 * Who may do what on the bus: one table, from which every identity's NATS
 * publish and subscribe permissions are generated (DESIGN §7). Its rows name
 * subject builders, endpoint descriptors, intake channels, streams and
 * buckets, never subject strings, so a subject renamed in subjects.ts moves
 * its permissions with it, and a role can only ever use what it owns:
 *
 * - a role serves the endpoints whose descriptor names it, and answers their
 *   callers through allow-responses (one reply to the request's inbox);
 * - it calls the endpoints its row lists, publishes and subscribes what its
 *   row lists, and sends on the intake channels whose `sender` it is;
 * - it manages (creates, updates, reads and writes) the streams and buckets
 *   it owns, and runs durable consumers named after itself on the streams
 *   its row lists;
 * - it receives replies on its own inbox prefix (`_INBOX.<ns>.<identity>`)
 *   and nobody else's.
 *
 * A tenant's client identity may send requests, changes and terminations on
 * its own tenant's intake subjects only, call `slice.get`/`slice.list` and
 * watch slice events. The operator identity may do everything.
 */
import { ENDPOINTS, INTAKE, type EndpointKey } from './endpoints.js';
import { SliceMeshError } from './errors.js';
import {
  INTAKE_PARTITIONS,
  ROLES,
  assertPartition,
  assertToken,
  type Role,
  type Subjects,
} from './subjects.js';

/** A subject (or wildcard pattern) in a namespace, built by the subjects module. */
export type SubjectPattern = (subjects: Subjects) => string;

/** A JetStream stream of the mesh: its name and subjects come from the subject builders. */
export interface StreamDescriptor {
  readonly name: (subjects: Subjects) => string;
  readonly subjects: (subjects: Subjects) => string[];
  /** The role that creates and updates it. */
  readonly owner: Role;
  /** Consumed per intake partition: one durable consumer per partition (see partitionDurable). */
  readonly partitioned?: true;
}

/** The durable consumer of one intake partition, named after the role that runs it. */
export function partitionDurable(durable: string, partition: number): string {
  return `${durable}-p${assertPartition(partition)}`;
}

/** The mesh's streams. */
export const STREAMS = Object.freeze({
  intake: {
    name: (s) => s.intakeStream,
    subjects: (s) => [s.intakeAll()],
    owner: 'slice-manager',
    partitioned: true,
  },
  events: {
    name: (s) => s.eventStream,
    subjects: (s) => [s.sliceEventsAll()],
    owner: 'slice-manager',
  },
} as const satisfies Record<string, StreamDescriptor>);
export type StreamKey = keyof typeof STREAMS;

/** A KV bucket of the mesh (JetStream stream `KV_<name>`, subjects `$KV.<name>.>`). */
export interface BucketDescriptor {
  readonly name: (subjects: Subjects) => string;
  /** The role that creates, reads and writes it. */
  readonly owner: Role;
}

/** The mesh's KV buckets. */
export const BUCKETS = Object.freeze({
  snapshots: { name: (s) => s.snapshotBucket, owner: 'slice-manager' },
  partitions: { name: (s) => s.partitionBucket, owner: 'slice-manager' },
  infraState: { name: (s) => s.infraStateBucket, owner: 'infrastructure' },
  telemetry: { name: (s) => s.telemetryBucket, owner: 'telemetry' },
  apiIntents: { name: (s) => s.apiIntentBucket, owner: 'api' },
  apiHubs: { name: (s) => s.apiHubBucket, owner: 'api' },
} as const satisfies Record<string, BucketDescriptor>);
export type BucketKey = keyof typeof BUCKETS;

/** What a role does on the bus beyond what follows from the descriptors (see the module comment). */
export interface RoleGrant {
  /** Endpoints it calls. */
  readonly calls: readonly EndpointKey[];
  /** Plain (or JetStream) subjects it publishes on. */
  readonly publishes: readonly SubjectPattern[];
  /** Subjects it subscribes to. */
  readonly subscribes: readonly SubjectPattern[];
  /** Streams it runs a durable consumer on (the durable carries the role's name). */
  readonly consumes: readonly StreamKey[];
  /**
   * Sends requests, changes and terminations for the mesh's tenants, on each tenant's own
   * intake subjects (the api role, which takes them over HTTP): never a subject pattern
   * that would let it send for a tenant the mesh does not have.
   */
  readonly actsForTenants?: true;
}

const NOTHING: RoleGrant = { calls: [], publishes: [], subscribes: [], consumes: [] };

/** The table. A new role gets its row here (docs/extending.md). */
export const ROLE_GRANTS: Readonly<Record<Role, RoleGrant>> = Object.freeze({
  'slice-manager': {
    calls: [
      'interpreterInfer',
      'orchestratorPlace',
      'infraApply',
      'infraRelease',
      'infraDecline',
      // The reconciler compares what the infrastructure holds with the slices' records.
      'infraReservations',
      // Instances ask each other about the partitions they own.
      'slicePartitionQuery',
    ],
    publishes: [(s) => s.sliceEventsAll(), (s) => s.sliceOutcomesAll()],
    subscribes: [],
    consumes: ['intake'],
  },
  interpreter: NOTHING,
  orchestrator: {
    // Its replica of the resource state: a snapshot to start from, the change
    // feed to follow, the change log to catch up on what it missed.
    calls: ['infraSnapshot', 'infraChanges'],
    publishes: [],
    subscribes: [(s) => s.infraChange()],
    consumes: [],
  },
  infrastructure: {
    // It asks its own change log whether another instance already owns the state.
    calls: ['infraChanges'],
    publishes: [(s) => s.kpiAll(), (s) => s.kpiBatch(), (s) => s.infraChange()],
    subscribes: [(s) => s.trafficLoadAll(), (s) => s.heartbeatsAll()],
    consumes: [],
  },
  telemetry: {
    calls: [],
    publishes: [],
    subscribes: [(s) => s.kpiAll(), (s) => s.kpiBatch()],
    consumes: ['events'],
  },
  'memory-curator': { ...NOTHING, subscribes: [(s) => s.sliceOutcomesAll()] },
  'audit-log': { ...NOTHING, consumes: ['events'] },
  // TMF921 over HTTP: it reads slices and their QoE, follows the slice events (its event
  // hub's durable consumer, the dashboard's live view) and submits intake for tenants.
  api: {
    calls: ['sliceGet', 'sliceList', 'telemetrySummary'],
    publishes: [],
    subscribes: [(s) => s.sliceEventsAll()],
    consumes: ['events'],
    actsForTenants: true,
  },
});

/**
 * What a tenant's client identity may call, besides sending on its own intake subjects
 * and watching its own slices' events. `slice.get`/`slice.list` answer it about its own
 * tenant's slices only (the slice-manager reads the tenant off the reply inbox, which
 * only that client may read).
 */
export const CLIENT_GRANT: RoleGrant = Object.freeze<RoleGrant>({
  calls: ['sliceGet', 'sliceList'],
  publishes: [],
  subscribes: [],
  consumes: [],
});

export const OPERATOR_IDENTITY = 'operator';
const CLIENT_PREFIX = 'client-';

/** The client identity of `tenant` (what `slicemesh request` and `status` connect as). */
export function clientIdentity(tenant: string): string {
  return `${CLIENT_PREFIX}${assertToken(tenant, 'tenant')}`;
}

/** Who an identity name stands for. */
export type Identity =
  | { readonly kind: 'role'; readonly role: Role }
  | { readonly kind: 'client'; readonly tenant: string }
  | { readonly kind: 'operator' };

/** Reads an identity name; undefined for a name that is none of the mesh's. */
export function parseIdentity(name: string): Identity | undefined {
  if (name === OPERATOR_IDENTITY) return { kind: 'operator' };
  if ((ROLES as readonly string[]).includes(name)) return { kind: 'role', role: name as Role };
  if (name.startsWith(CLIENT_PREFIX) && name.length > CLIENT_PREFIX.length)
    return { kind: 'client', tenant: name.slice(CLIENT_PREFIX.length) };
  return undefined;
}

/**
 * The identity a reply subject belongs to: the token after `_INBOX.<ns>.` (undefined for any
 * other subject). Only that identity may read it, so whatever the request says, the reply
 * reaches it alone: a service may answer according to it.
 */
export function inboxIdentity(subjects: Subjects, reply: string | undefined): string | undefined {
  if (reply === undefined) return undefined;
  const prefix = `${['_INBOX', subjects.namespace].join('.')}.`;
  if (!reply.startsWith(prefix)) return undefined;
  const identity = reply.slice(prefix.length).split('.')[0];
  return identity === undefined || identity.length === 0 ? undefined : identity;
}

/** The tenant a request is answered for: its requester's, when a tenant's client asks. */
export function requesterTenant(subjects: Subjects, reply: string | undefined): string | undefined {
  const identity = inboxIdentity(subjects, reply);
  const parsed = identity === undefined ? undefined : parseIdentity(identity);
  return parsed?.kind === 'client' ? parsed.tenant : undefined;
}

/** Every identity of a mesh with these tenants: the roles, one client per tenant, the operator. */
export function meshIdentities(tenants: readonly string[]): string[] {
  return [...ROLES, ...[...new Set(tenants)].map(clientIdentity), OPERATOR_IDENTITY];
}

/** An identity's NATS permissions, as the server configuration states them. */
export interface Permissions {
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
  /** May publish one reply to the reply subject of each request it received. */
  readonly allowResponses: boolean;
}

// JetStream API subjects (see the nats-server JetStream API reference). `>` after a
// consumer's name covers the filter subject that consumer creation appends.
const jsApi = {
  info: '$JS.API.INFO',
  manageStream: (stream: string) =>
    ['INFO', 'CREATE', 'UPDATE'].map((op) => `$JS.API.STREAM.${op}.${stream}`),
  createStream: (stream: string) =>
    ['INFO', 'CREATE'].map((op) => `$JS.API.STREAM.${op}.${stream}`),
  durable: (stream: string, durable: string) => [
    `$JS.API.CONSUMER.INFO.${stream}.${durable}`,
    `$JS.API.CONSUMER.CREATE.${stream}.${durable}`,
    `$JS.API.CONSUMER.CREATE.${stream}.${durable}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.${durable}`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`,
    `$JS.ACK.${stream}.${durable}.>`,
  ],
  // Reads are direct gets (or stream message gets); keys() runs an ordered consumer.
  bucket: (bucket: string) => {
    const stream = `KV_${bucket}`;
    return [
      `$KV.${bucket}.>`,
      ...jsApi.manageStream(stream),
      `$JS.API.STREAM.MSG.GET.${stream}`,
      `$JS.API.DIRECT.GET.${stream}`,
      `$JS.API.DIRECT.GET.${stream}.>`,
      `$JS.API.CONSUMER.CREATE.${stream}`,
      `$JS.API.CONSUMER.CREATE.${stream}.>`,
      `$JS.API.CONSUMER.INFO.${stream}.>`,
      `$JS.API.CONSUMER.DELETE.${stream}.>`,
      `$JS.FC.${stream}.>`,
    ];
  },
};

/**
 * What `identity` may do to a stream's definition: `manage` (create and update: its owner,
 * the operator, an anonymous connection), `create` (create it if missing, so whoever starts
 * first finds it: the roles that consume it or send on its subjects), or nothing.
 */
export type StreamAccess = 'manage' | 'create' | 'none';

function roleStreamAccess(role: Role, key: StreamKey): StreamAccess {
  if (STREAMS[key].owner === role) return 'manage';
  const sendsInto =
    key === 'intake' &&
    (ROLE_GRANTS[role].actsForTenants === true ||
      Object.values(INTAKE).some((channel) => channel.sender === role));
  return ROLE_GRANTS[role].consumes.includes(key) || sendsInto ? 'create' : 'none';
}

/** `identity`'s access to stream `key` (see StreamAccess). */
export function streamAccess(identity: string | undefined, key: StreamKey): StreamAccess {
  if (identity === undefined) return 'manage';
  const parsed = parseIdentity(identity);
  if (parsed?.kind === 'operator') return 'manage';
  return parsed?.kind === 'role' ? roleStreamAccess(parsed.role, key) : 'none';
}

/** Streams and buckets `role` owns. */
export function ownedBy(role: Role): { streams: StreamKey[]; buckets: BucketKey[] } {
  return {
    streams: (Object.keys(STREAMS) as StreamKey[]).filter((k) => STREAMS[k].owner === role),
    buckets: (Object.keys(BUCKETS) as BucketKey[]).filter((k) => BUCKETS[k].owner === role),
  };
}

/** Endpoints `role` serves (from the descriptors). */
export function servedBy(role: Role): EndpointKey[] {
  return (Object.keys(ENDPOINTS) as EndpointKey[]).filter((k) => ENDPOINTS[k].role === role);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function grantSubjects(grant: RoleGrant, s: Subjects): { publish: string[]; subscribe: string[] } {
  return {
    publish: [
      ...grant.calls.map((key) => ENDPOINTS[key].subject(s)),
      ...grant.publishes.map((pattern) => pattern(s)),
    ],
    subscribe: grant.subscribes.map((pattern) => pattern(s)),
  };
}

/** The JetStream resources of a role, by name: what its `$JS.API`/`$KV` permissions are made of. */
export interface JetStreamGrant {
  /** Streams it creates and updates. */
  readonly streams: readonly string[];
  /** Streams it may create when missing (never update). */
  readonly creates: readonly string[];
  /** Durable consumers it runs. */
  readonly consumers: readonly { readonly stream: string; readonly durable: string }[];
  /** KV buckets it creates, reads and writes. */
  readonly buckets: readonly string[];
}

/** `role`'s JetStream resources in the namespace of `subjects`. */
export function jetstreamOf(role: Role, s: Subjects): JetStreamGrant {
  const { streams, buckets } = ownedBy(role);
  const creates = (Object.keys(STREAMS) as StreamKey[]).filter(
    (k) => roleStreamAccess(role, k) === 'create',
  );
  return {
    streams: streams.map((k) => STREAMS[k].name(s)),
    creates: creates.map((k) => STREAMS[k].name(s)),
    consumers: ROLE_GRANTS[role].consumes.flatMap((k) => {
      const stream = STREAMS[k].name(s);
      const durable = s.queueGroup(role);
      const descriptor: StreamDescriptor = STREAMS[k];
      return descriptor.partitioned
        ? Array.from({ length: INTAKE_PARTITIONS }, (_, p) => ({
            stream,
            durable: partitionDurable(durable, p),
          }))
        : [{ stream, durable }];
    }),
    buckets: buckets.map((k) => BUCKETS[k].name(s)),
  };
}

function rolePermissions(role: Role, s: Subjects, tenants: readonly string[]): Permissions {
  const grant = ROLE_GRANTS[role];
  const own = grantSubjects(grant, s);
  const served = servedBy(role).map((key) => ENDPOINTS[key].subject(s));
  const channels = Object.values(INTAKE);
  // A role's channel is not a tenant's: its pattern ignores the tenant.
  const sends = channels.filter((c) => c.sender === role).map((c) => c.pattern(s, ''));
  const tenantChannels = channels.filter((c) => c.sender === 'tenant');
  const forTenants =
    grant.actsForTenants === true
      ? tenants.flatMap((tenant) => tenantChannels.map((c) => c.pattern(s, tenant)))
      : [];
  // The intake's consumer tells a requester why it refused a message, on the inbox the
  // requester named (SliceMesh-Reply-To): it may publish into the requesters' inboxes.
  const answersRequesters = channels.some((c) => c.role === role && c.sender === 'tenant');
  const requesterInboxes = answersRequesters
    ? [...tenants.map(clientIdentity), OPERATOR_IDENTITY].map((id) => `${s.inboxPrefix(id)}.>`)
    : [];
  const js = jetstreamOf(role, s);
  const jetstream = [
    ...js.streams.flatMap((name) => jsApi.manageStream(name)),
    ...js.creates.flatMap((name) => jsApi.createStream(name)),
    ...js.consumers.flatMap(({ stream, durable }) => jsApi.durable(stream, durable)),
    ...js.buckets.flatMap((name) => jsApi.bucket(name)),
  ];
  return {
    publish: unique([
      s.heartbeatsOf(role),
      ...own.publish,
      ...sends,
      ...forTenants,
      ...requesterInboxes,
      ...(jetstream.length > 0 ? [jsApi.info, ...jetstream] : []),
    ]),
    subscribe: unique([...served, ...own.subscribe, `${s.inboxPrefix(role)}.>`]),
    allowResponses: served.length > 0,
  };
}

function clientPermissions(tenant: string, s: Subjects): Permissions {
  const own = grantSubjects(CLIENT_GRANT, s);
  const sends = Object.values(INTAKE)
    .filter((c) => c.sender === 'tenant')
    .map((c) => c.pattern(s, tenant));
  return {
    publish: unique([...sends, ...own.publish]),
    subscribe: unique([
      s.tenantEvents(tenant),
      ...own.subscribe,
      `${s.inboxPrefix(clientIdentity(tenant))}.>`,
    ]),
    allowResponses: false,
  };
}

const EVERYTHING: Permissions = Object.freeze({
  publish: ['>'],
  subscribe: ['>'],
  allowResponses: true,
});

/**
 * The NATS permissions of `identity` in the namespace of `subjects`. `tenants` are the
 * mesh's tenants (the intake's consumer may answer each tenant's client).
 */
export function permissionsOf(
  identity: string,
  subjects: Subjects,
  tenants: readonly string[],
): Permissions {
  const parsed = parseIdentity(identity);
  if (!parsed) {
    throw new SliceMeshError(
      'config',
      `unknown identity ${JSON.stringify(identity)}: a role, ${OPERATOR_IDENTITY} or ${CLIENT_PREFIX}<tenant>`,
    );
  }
  switch (parsed.kind) {
    case 'operator':
      return EVERYTHING;
    case 'client':
      return clientPermissions(parsed.tenant, subjects);
    case 'role':
      return rolePermissions(parsed.role, subjects, tenants);
  }
}
