import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Bus } from '../../shared/bus/types.js';
import { auditSubjects } from '../../shared/contracts/audit.js';
import {
  ENDPOINTS,
  INTAKE,
  intakeSubject,
  type EndpointReply,
  type IntakeMessage,
  type EndpointRequest,
} from '../../shared/contracts/endpoints.js';
import {
  InferenceReply,
  InferenceRequest,
  SliceGetReply,
  SliceGetRequest,
  type SliceRecord,
} from '../../shared/contracts/messages.js';
import { ROLES, createSubjects, partitionOf } from '../../shared/contracts/subjects.js';

const subjects = createSubjects('ep-test');

/** NATS subject matching: `*` is one token, `>` the rest. */
function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const t = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return t.length > i;
    if (p[i] !== '*' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

describe('endpoint descriptors', () => {
  it('build each endpoint subject with the subjects module, one distinct subject per endpoint', () => {
    const built = Object.values(ENDPOINTS).map((e) => e.subject(subjects));
    expect(new Set(built).size).toBe(built.length);
    for (const subject of built) expect(subject.startsWith('ep-test.')).toBe(true);
    expect(ENDPOINTS.interpreterInfer.subject(subjects)).toBe(subjects.interpreterInfer());
    expect(ENDPOINTS.orchestratorPlace.subject(subjects)).toBe(subjects.orchestratorPlace());
    expect(ENDPOINTS.infraChanges.subject(subjects)).toBe(subjects.infraChanges());
    expect(ENDPOINTS.infraSnapshot.subject(subjects)).toBe(subjects.infraSnapshot());
    expect(ENDPOINTS.infraApply.subject(subjects)).toBe(subjects.infraApply());
    expect(ENDPOINTS.infraRelease.subject(subjects)).toBe(subjects.infraRelease());
    expect(ENDPOINTS.infraDecline.subject(subjects)).toBe(subjects.infraDecline());
    expect(ENDPOINTS.infraReservations.subject(subjects)).toBe(subjects.infraReservations());
    expect(ENDPOINTS.telemetrySummary.subject(subjects)).toBe(subjects.telemetrySummary());
    expect(ENDPOINTS.sliceGet.subject(subjects)).toBe(subjects.sliceGet());
    expect(ENDPOINTS.sliceList.subject(subjects)).toBe(subjects.sliceList());
    expect(ENDPOINTS.auditQuery.subject(subjects)).toBe(auditSubjects(subjects).query);
  });

  it('keep namespaces apart', () => {
    const other = createSubjects('ep-other');
    for (const e of Object.values(ENDPOINTS))
      expect(e.subject(other)).not.toBe(e.subject(subjects));
  });

  it('name a served-by role from ROLES and a unique <role>.<operation> name', () => {
    const names = Object.values(ENDPOINTS).map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    for (const e of Object.values(ENDPOINTS)) {
      expect(ROLES).toContain(e.role);
      expect(e.name.startsWith(`${e.role}.`)).toBe(true);
    }
  });

  it('carry the wire schemas: requests and replies of their own type literal only', () => {
    expect(ENDPOINTS.interpreterInfer.request).toBe(InferenceRequest);
    expect(ENDPOINTS.interpreterInfer.reply).toBe(InferenceReply);
    expect(ENDPOINTS.sliceGet.request).toBe(SliceGetRequest);
    expect(ENDPOINTS.sliceGet.reply).toBe(SliceGetReply);
    const get = { type: 'slice.get.request.v1', sliceId: 's-1' };
    expect(ENDPOINTS.sliceGet.request.safeParse(get).success).toBe(true);
    expect(ENDPOINTS.sliceList.request.safeParse(get).success).toBe(false);
    expect(ENDPOINTS.sliceGet.reply.safeParse(get).success).toBe(false);
  });

  it('are frozen: no site can swap a schema or a subject', () => {
    expect(Object.isFrozen(ENDPOINTS)).toBe(true);
    for (const e of Object.values(ENDPOINTS)) expect(Object.isFrozen(e)).toBe(true);
    expect(Object.isFrozen(INTAKE)).toBe(true);
  });

  it('type the bus calls by the descriptor', () => {
    expectTypeOf<EndpointRequest<typeof ENDPOINTS.sliceGet>>().toEqualTypeOf<{
      type: 'slice.get.request.v1';
      sliceId: string;
    }>();
    expectTypeOf<EndpointReply<typeof ENDPOINTS.sliceGet>['slice']>().toEqualTypeOf<SliceRecord>();
    const call = (bus: Bus) =>
      bus.request(ENDPOINTS.sliceGet, { type: 'slice.get.request.v1', sliceId: 'x' });
    expectTypeOf(call).returns.resolves.toEqualTypeOf<SliceGetReply>();
    const serve = (bus: Bus) =>
      bus.serve(ENDPOINTS.sliceGet, (req) => {
        expectTypeOf(req).toEqualTypeOf<SliceGetRequest>();
        return { type: 'slice.get.reply.v1' as const, slice: {} as SliceRecord };
      });
    expectTypeOf(serve).toBeFunction();
    // @ts-expect-error a request of another endpoint does not type-check
    const wrong = (bus: Bus) => bus.request(ENDPOINTS.sliceGet, { type: 'slice.list.request.v2' });
    expectTypeOf(wrong).toBeFunction();
  });
});

describe('intake channels', () => {
  // Enough of each message for its subject: type, slice id and, for requesters, the tenant.
  const message = (type: keyof typeof INTAKE, sliceId = 's-1', tenant = 'acme') =>
    ({ type, sliceId, tenant }) as unknown as IntakeMessage;

  it('map each intake message to its per-tenant, per-slice subject (what the slice-manager checks)', () => {
    const at = (type: keyof typeof INTAKE) => intakeSubject(subjects, message(type));
    expect(at('slice.request.v2')).toBe(
      `ep-test.slice.intake.${partitionOf('s-1')}.request.acme.s-1`,
    );
    expect(at('slice.request.v2')).toBe(subjects.sliceRequest('acme', 's-1'));
    expect(at('slice.change.v2')).toBe(subjects.sliceChange('acme', 's-1'));
    expect(at('slice.terminate.v2')).toBe(subjects.sliceTerminate('acme', 's-1'));
    // Violations come from telemetry, not from a tenant.
    expect(at('sla.violation.v1')).toBe(subjects.slaViolation('s-1'));
    for (const [type, channel] of Object.entries(INTAKE)) {
      expect(channel.role).toBe('slice-manager');
      // Each channel's schema accepts only its own type literal.
      expect(channel.message.shape.type.value).toBe(type);
    }
  });

  it("match a tenant's pattern for its own subjects only", () => {
    for (const [type, channel] of Object.entries(INTAKE)) {
      if (channel.sender !== 'tenant') continue;
      const pattern = channel.pattern(subjects, 'acme');
      const own = channel.subject(subjects, message(type as keyof typeof INTAKE) as never);
      const other = channel.subject(
        subjects,
        message(type as keyof typeof INTAKE, 's-1', 'globex') as never,
      );
      expect(subjectMatches(pattern, own)).toBe(true);
      expect(subjectMatches(pattern, other)).toBe(false);
    }
  });

  it('stay inside the intake stream subjects and validate the slice id and tenant', () => {
    const intakePrefix = subjects.intakeAll().slice(0, -1);
    for (const [type, channel] of Object.entries(INTAKE)) {
      const key = type as keyof typeof INTAKE;
      expect(channel.subject(subjects, message(key) as never).startsWith(intakePrefix)).toBe(true);
      expect(() => channel.subject(subjects, message(key, 'a.b') as never)).toThrow(/slice id/);
      if (channel.sender === 'tenant')
        expect(() => channel.subject(subjects, message(key, 's-1', 'a.*') as never)).toThrow(
          /tenant/,
        );
    }
  });
});
