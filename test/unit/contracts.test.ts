import { describe, expect, it } from 'vitest';
import type { ZodType } from 'zod';
import {
  ApplyReply,
  ApplyRequest,
  ErrorReply,
  Heartbeat,
  InferenceReply,
  InferenceRequest,
  KpiSample,
  NetworkView,
  PlacementPlan,
  PlacementReply,
  PlacementRequest,
  PreferenceVector,
  ReleaseReply,
  ReleaseRequest,
  SliceChange,
  SliceEvent,
  SliceGetRequest,
  SliceListReply,
  SliceMeshError,
  SliceOutcome,
  SliceRequest,
  SliceTermination,
  SlaViolation,
  InfraChange,
  ChangesRequest,
  INTAKE_PARTITIONS,
  createSubjects,
  partitionOf,
  isSliceMeshError,
  toSliceMeshError,
} from '../../shared/contracts/index.js';

const preference = { latency: 0.4, reliability: 0.3, economics: 0.2, throughput: 0.1 };
const profile = { serviceType: 'URLLC', latency: 'high', reliability: 'high', cost: 'general' };
const demand = { cpu: 4, mem: 3 };
const view = {
  version: 3,
  seed: 7,
  nextNodeSeq: 2,
  local: { cpuCapacity: 40, memCapacity: 30, cpuUsed: 4, memUsed: 3 },
  containers: [
    {
      id: 'c-1',
      site: 'local',
      serviceType: 'URLLC',
      cpu: 4,
      mem: 3,
      tenants: [{ sliceId: 'arm-1', reliability: 'high' }],
    },
  ],
  vnfNodes: [
    { id: 'n-1', serviceType: 'eMBB', position: 0, delayMs: 12, deployCost: 3, tenants: [] },
  ],
};
const plan = {
  site: 'cloud',
  scaling: 'offload',
  container: { mode: 'new' },
  vnfs: [{ mode: 'share', position: 0, nodeId: 'n-1' }],
  expected: { latencyMs: 42, cost: 10, reliabilityCost: 1 },
  method: 'qappo',
  viewVersion: 3,
  decision: { action: 'cloud:share', probabilities: { 'cloud:share': 0.7, reject: 0.3 } },
};
const record = {
  sliceId: 'arm-1',
  state: 'active',
  text: 'robot arm control',
  preference,
  profile,
  plan,
  history: [{ state: 'requested', at: 1 }],
};

/** One valid example and invalid variants (with the path the error must name) per schema. */
const cases: Array<{
  name: string;
  schema: ZodType;
  valid: unknown;
  invalid: Array<{ value: unknown; path: string }>;
}> = [
  {
    name: 'SliceRequest',
    schema: SliceRequest,
    valid: {
      type: 'slice.request.v2',
      tenant: 'default',
      sliceId: 'arm-1',
      text: 'Please build a slice for robotic arms',
      sla: { latency: 'high', serviceType: 'URLLC' },
      demand,
      lifetimeMs: 5000,
      submittedAt: 1,
    },
    invalid: [
      {
        value: {
          type: 'slice.request.v2',
          tenant: 'default',
          sliceId: 'a b',
          text: 'x',
          submittedAt: 1,
        },
        path: 'sliceId',
      },
      {
        value: {
          type: 'slice.request.v2',
          tenant: 'default',
          sliceId: 'a',
          text: '   ',
          submittedAt: 1,
        },
        path: 'text',
      },
      {
        value: {
          type: 'slice.request.v2',
          tenant: 'default',
          sliceId: 'a',
          text: 'x',
          submittedAt: 1,
          sla: { latency: 'ultra' },
        },
        path: 'sla.latency',
      },
      {
        // The version before tenants: refused, not read as the default tenant's.
        value: { type: 'slice.request.v1', sliceId: 'a', text: 'x', submittedAt: 1 },
        path: 'type',
      },
      {
        value: { type: 'slice.request.v2', sliceId: 'a', text: 'x', submittedAt: 1 },
        path: 'tenant',
      },
      {
        value: {
          type: 'slice.request.v2',
          tenant: 'acme.*',
          sliceId: 'a',
          text: 'x',
          submittedAt: 1,
        },
        path: 'tenant',
      },
    ],
  },
  {
    name: 'SliceChange',
    schema: SliceChange,
    valid: {
      type: 'slice.change.v2',
      tenant: 'default',
      sliceId: 'a',
      changeId: 'c1',
      text: 'now video',
      submittedAt: 2,
    },
    invalid: [
      {
        value: { type: 'slice.change.v2', tenant: 'default', sliceId: 'a', submittedAt: 2 },
        path: 'changeId',
      },
    ],
  },
  {
    name: 'SliceTermination',
    schema: SliceTermination,
    valid: { type: 'slice.terminate.v2', tenant: 'default', sliceId: 'a', submittedAt: 3 },
    invalid: [
      {
        value: { type: 'slice.terminate.v2', tenant: 'default', sliceId: 'a', submittedAt: -1 },
        path: 'submittedAt',
      },
    ],
  },
  {
    name: 'InferenceRequest',
    schema: InferenceRequest,
    valid: { type: 'interpreter.infer.request.v1', sliceId: 'a', text: 'AGV control' },
    invalid: [{ value: { type: 'interpreter.infer.request.v1', sliceId: 'a' }, path: 'text' }],
  },
  {
    name: 'InferenceReply',
    schema: InferenceReply,
    valid: {
      type: 'interpreter.infer.reply.v1',
      sliceId: 'a',
      preference,
      profile,
      confidence: 0.8,
      rationale: 'control loop',
      neighbours: [{ id: 'kb-1', source: 'knowledge', similarity: 0.9, weight: 0.5 }],
      reasoner: 'offline',
      degraded: false,
    },
    invalid: [
      {
        value: {
          type: 'interpreter.infer.reply.v1',
          sliceId: 'a',
          preference: { ...preference, latency: 0.9 },
          profile,
          confidence: 0.8,
          rationale: '',
          neighbours: [],
          reasoner: 'offline',
          degraded: false,
        },
        path: 'preference',
      },
    ],
  },
  {
    name: 'PlacementRequest',
    schema: PlacementRequest,
    valid: {
      type: 'orchestrator.place.request.v2',
      sliceId: 'a',
      profile,
      preference,
      demand,
      minViewVersion: 3,
    },
    invalid: [
      {
        value: {
          type: 'orchestrator.place.request.v2',
          sliceId: 'a',
          profile,
          preference,
          demand,
          minViewVersion: -1,
        },
        path: 'minViewVersion',
      },
    ],
  },
  {
    name: 'PlacementReply',
    schema: PlacementReply,
    valid: { type: 'orchestrator.place.reply.v2', sliceId: 'a', outcome: 'planned', plan },
    invalid: [
      {
        value: {
          type: 'orchestrator.place.reply.v2',
          sliceId: 'a',
          outcome: 'rejected',
          method: 'qappo',
          viewVersion: 2,
        },
        path: 'reason',
      },
    ],
  },
  {
    name: 'ApplyRequest',
    schema: ApplyRequest,
    valid: { type: 'infra.apply.request.v1', sliceId: 'a', profile, demand, plan },
    invalid: [
      {
        value: {
          type: 'infra.apply.request.v1',
          sliceId: 'a',
          profile,
          demand,
          plan: { ...plan, site: 'moon' },
        },
        path: 'plan.site',
      },
    ],
  },
  {
    name: 'ApplyReply',
    schema: ApplyReply,
    valid: {
      type: 'infra.apply.reply.v1',
      sliceId: 'a',
      outcome: 'applied',
      placement: { site: 'cloud', containerId: 'c-2', vnfNodeIds: ['n-1'], appliedAt: 5 },
      observed: { latencyMs: 42, cost: 10, reliabilityCost: 1 },
      served: true,
      violations: [],
      affectedSliceIds: [],
      viewVersion: 4,
    },
    invalid: [
      {
        value: {
          type: 'infra.apply.reply.v1',
          sliceId: 'a',
          outcome: 'refused',
          reason: 'bored',
          message: '',
          viewVersion: 4,
        },
        path: 'reason',
      },
    ],
  },
  {
    name: 'NetworkView',
    schema: NetworkView,
    valid: view,
    invalid: [{ value: { ...view, local: { ...view.local, cpuUsed: -1 } }, path: 'local.cpuUsed' }],
  },
  {
    name: 'InfraChange',
    schema: InfraChange,
    valid: {
      type: 'infra.change.v1',
      epoch: 'infrastructure-1-a-1',
      version: 4,
      change: { op: 'release', sliceId: 'a' },
    },
    invalid: [
      {
        value: {
          type: 'infra.change.v1',
          epoch: 'e',
          version: 0,
          change: { op: 'release', sliceId: 'a' },
        },
        path: 'version',
      },
    ],
  },
  {
    name: 'ChangesRequest',
    schema: ChangesRequest,
    valid: { type: 'infra.changes.request.v1', since: 0, limit: 10 },
    invalid: [
      { value: { type: 'infra.changes.request.v1', since: 0, limit: 100_000 }, path: 'limit' },
    ],
  },
  {
    name: 'ReleaseRequest',
    schema: ReleaseRequest,
    valid: { type: 'infra.release.request.v1', sliceId: 'a' },
    invalid: [{ value: { type: 'infra.release.request.v1', sliceId: 'a.b' }, path: 'sliceId' }],
  },
  {
    name: 'ReleaseReply',
    schema: ReleaseReply,
    valid: { type: 'infra.release.reply.v1', sliceId: 'a', released: true, viewVersion: 5 },
    invalid: [
      { value: { type: 'infra.release.reply.v1', sliceId: 'a', viewVersion: 5 }, path: 'released' },
    ],
  },
  {
    name: 'KpiSample',
    schema: KpiSample,
    valid: {
      type: 'kpi.sample.v1',
      sliceId: 'a',
      at: 9,
      latencyMs: 20,
      cost: 30,
      reliabilityCost: 0,
      cpu: 4,
      mem: 3,
      load: 1,
    },
    invalid: [
      {
        value: {
          type: 'kpi.sample.v1',
          sliceId: 'a',
          at: 9,
          latencyMs: 20,
          cost: 30,
          reliabilityCost: 0,
          cpu: 4,
          mem: 3,
          load: 0,
        },
        path: 'load',
      },
    ],
  },
  {
    name: 'SlaViolation',
    schema: SlaViolation,
    valid: {
      type: 'sla.violation.v1',
      sliceId: 'a',
      at: 9,
      dimension: 'latency',
      observed: 40,
      limit: 30,
    },
    invalid: [
      {
        value: {
          type: 'sla.violation.v1',
          sliceId: 'a',
          at: 9,
          dimension: 'mood',
          observed: 1,
          limit: 0,
        },
        path: 'dimension',
      },
    ],
  },
  {
    name: 'SliceEvent',
    schema: SliceEvent,
    valid: {
      type: 'slice.event.v1',
      sliceId: 'arm-1',
      at: 3,
      from: 'deploying',
      to: 'active',
      cause: 'applied',
      record,
    },
    invalid: [
      {
        value: {
          type: 'slice.event.v1',
          sliceId: 'arm-1',
          at: 3,
          from: null,
          to: 'dancing',
          cause: 'x',
          record,
        },
        path: 'to',
      },
    ],
  },
  {
    name: 'SliceGetRequest',
    schema: SliceGetRequest,
    valid: { type: 'slice.get.request.v1', sliceId: 'arm-1' },
    invalid: [{ value: { type: 'slice.get.request.v1', sliceId: '' }, path: 'sliceId' }],
  },
  {
    name: 'SliceListReply',
    schema: SliceListReply,
    valid: { type: 'slice.list.reply.v2', slices: [record] },
    invalid: [
      {
        value: { type: 'slice.list.reply.v2', slices: [{ ...record, history: 'none' }] },
        path: 'slices.0.history',
      },
    ],
  },
  {
    name: 'SliceOutcome',
    schema: SliceOutcome,
    valid: {
      type: 'slice.outcome.v1',
      sliceId: 'a',
      at: 1,
      text: 'AGV',
      preference,
      profile,
      served: true,
    },
    invalid: [
      {
        value: {
          type: 'slice.outcome.v1',
          sliceId: 'a',
          at: 1,
          text: 'AGV',
          preference,
          profile: {},
          served: true,
        },
        path: 'profile.serviceType',
      },
    ],
  },
  {
    name: 'Heartbeat',
    schema: Heartbeat,
    valid: {
      type: 'heartbeat.v1',
      role: 'interpreter',
      instanceId: 'i-1',
      at: 1,
      state: 'running',
    },
    invalid: [
      {
        value: {
          type: 'heartbeat.v1',
          role: 'interpreter',
          instanceId: 'i-1',
          at: 1,
          state: 'dozing',
        },
        path: 'state',
      },
    ],
  },
  {
    name: 'ErrorReply',
    schema: ErrorReply,
    valid: {
      type: 'error.v1',
      code: 'invalid-message',
      message: 'text: required',
      retryable: false,
    },
    invalid: [
      { value: { type: 'error.v1', code: 'oops', message: 'x', retryable: false }, path: 'code' },
    ],
  },
];

describe('wire contracts', () => {
  for (const { name, schema, valid, invalid } of cases) {
    it(`${name} accepts its valid example and rejects invalid ones naming the field`, () => {
      expect(schema.safeParse(valid).success).toBe(true);
      for (const { value, path } of invalid) {
        const result = schema.safeParse(value);
        expect(result.success).toBe(false);
        const paths = result.error?.issues.map((issue) => issue.path.join('.')) ?? [];
        expect(paths).toContain(path);
      }
    });
  }

  it('rejects unknown keys, so a typo never passes silently', () => {
    const result = SliceRequest.safeParse({
      type: 'slice.request.v2',
      tenant: 'default',
      sliceId: 'a',
      text: 'x',
      submittedAt: 1,
      lifetme: 5,
    });
    expect(result.success).toBe(false);
  });

  it('checks the preference simplex within a float tolerance', () => {
    expect(
      PreferenceVector.safeParse({
        latency: 0.1,
        reliability: 0.2,
        economics: 0.3,
        throughput: 0.4,
      }).success,
    ).toBe(true);
    expect(
      PreferenceVector.safeParse({
        latency: 0.1,
        reliability: 0.2,
        economics: 0.3,
        throughput: 0.41,
      }).success,
    ).toBe(false);
    expect(
      PreferenceVector.safeParse({
        latency: -0.1,
        reliability: 0.4,
        economics: 0.3,
        throughput: 0.4,
      }).success,
    ).toBe(false);
  });

  it('validates network views and plans on their own', () => {
    expect(NetworkView.safeParse(view).success).toBe(true);
    expect(
      PlacementPlan.safeParse({ ...plan, vnfs: [{ mode: 'share', position: 0 }] }).success,
    ).toBe(false);
  });
});

describe('subjects', () => {
  const subjects = createSubjects('test-ns');

  it('puts every subject under the namespace', () => {
    expect(subjects.sliceRequest('default', 'arm-1')).toBe(
      `test-ns.slice.intake.${partitionOf('arm-1')}.request.default.arm-1`,
    );
    expect(subjects.tenantIntake('terminate', 'acme')).toBe(
      'test-ns.slice.intake.*.terminate.acme.*',
    );
    expect(subjects.intakePartition(3)).toBe('test-ns.slice.intake.3.>');
    expect(() => subjects.intakePartition(INTAKE_PARTITIONS)).toThrow(SliceMeshError);
    expect(subjects.inboxPrefix('client-acme')).toBe('_INBOX.test-ns.client-acme');
    expect(subjects.intakeAll()).toBe('test-ns.slice.intake.>');
    expect(subjects.sliceEvent('acme', 'arm-1')).toBe('test-ns.slice.event.acme.arm-1');
    expect(subjects.tenantEvents('acme')).toBe('test-ns.slice.event.acme.*');
    expect(subjects.sliceEventsAll()).toBe('test-ns.slice.event.>');
    expect(subjects.orchestratorPlace()).toBe('test-ns.svc.orchestrator.place');
    expect(subjects.heartbeat('interpreter', 'i-1')).toBe('test-ns.heartbeat.interpreter.i-1');
    expect(subjects.custom('energy', 'advice')).toBe('test-ns.x.energy.advice');
    expect(subjects.intakeStream).toBe('TEST_NS_SLICE_INTAKE');
    expect(subjects.snapshotBucket).toBe('TEST_NS_SLICE_SNAPSHOTS');
  });

  it('keeps two namespaces apart', () => {
    expect(createSubjects('a').sliceEvent('t', 's')).not.toBe(
      createSubjects('b').sliceEvent('t', 's'),
    );
  });

  for (const bad of ['', 'a.b', 'a*', '>', 'a b', 'x'.repeat(129), 'ü']) {
    it(`rejects the token ${JSON.stringify(bad.slice(0, 10))} with a typed error`, () => {
      let caught: unknown;
      try {
        subjects.sliceRequest('default', bad);
      } catch (error) {
        caught = error;
      }
      expect(isSliceMeshError(caught)).toBe(true);
      expect((caught as SliceMeshError).code).toBe('invalid-message');
    });
  }

  it('rejects a bad namespace', () => {
    expect(() => createSubjects('slice.mesh')).toThrow(/namespace/);
  });
});

describe('error model', () => {
  it('marks transient codes retryable and keeps the cause', () => {
    expect(new SliceMeshError('timeout', 'slow').retryable).toBe(true);
    expect(new SliceMeshError('invalid-message', 'bad').retryable).toBe(false);
    const wrapped = toSliceMeshError(new Error('boom'));
    expect(wrapped.code).toBe('internal');
    expect(wrapped.cause).toBeInstanceOf(Error);
  });

  it('recognises errors structurally, not by class identity', () => {
    const foreign = { name: 'SliceMeshError', code: 'timeout', message: 'x' };
    expect(isSliceMeshError(foreign)).toBe(true);
    expect(isSliceMeshError({ name: 'SliceMeshError', code: 'nope' })).toBe(false);
    expect(isSliceMeshError(new Error('x'))).toBe(false);
  });
});
