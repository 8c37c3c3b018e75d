import { headers as natsHeaders } from '@nats-io/nats-core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { retryDelayMs } from '../../shared/bus/jetstream.js';
import {
  HEADER,
  decodeMessage,
  encodeMessage,
  errorFromReply,
  errorReply,
} from '../../shared/bus/wire.js';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import { ROLES, createSubjects } from '../../shared/contracts/subjects.js';

const Msg = z.object({ type: z.literal('m.v1'), n: z.number() }).strict();
const bytes = (s: string) => new TextEncoder().encode(s);

describe('subjects and namespaces', () => {
  it('keeps two namespaces fully apart: subjects, streams and buckets', () => {
    const a = createSubjects('alpha');
    const b = createSubjects('beta');
    const all = (s: typeof a) => [
      s.sliceRequest('default', 'x'),
      s.intakeAll(),
      s.sliceEventsAll(),
      s.interpreterInfer(),
      s.heartbeat('orchestrator', 'i1'),
      s.custom('tool', 'run'),
      s.intakeStream,
      s.eventStream,
      s.snapshotBucket,
    ];
    const sa = all(a);
    const sb = all(b);
    for (const subject of sa) expect(sb).not.toContain(subject);
    expect(sa.slice(0, 6).every((s) => s.startsWith('alpha.'))).toBe(true);
    // Wildcards of one namespace never match the other's subjects.
    expect(b.sliceRequest('default', 'x').startsWith('alpha.')).toBe(false);
  });

  it('refuses tokens that would inject wildcards or levels', () => {
    const s = createSubjects('ns');
    for (const bad of ['a.b', '*', '>', '', 'a b']) {
      expect(() => s.sliceRequest('default', bad)).toThrow(SliceMeshError);
      expect(() => s.sliceRequest(bad, 'x')).toThrow(SliceMeshError);
      expect(() => s.tenantIntake('change', bad)).toThrow(SliceMeshError);
    }
    expect(() => createSubjects('ns.x')).toThrow(SliceMeshError);
    expect(ROLES.map((r) => s.queueGroup(r))).toEqual([...ROLES]);
  });
});

describe('wire encoding', () => {
  it('decodes valid payloads and classifies bad ones by code', () => {
    expect(decodeMessage(Msg, bytes('{"type":"m.v1","n":1}'), 1_000)).toEqual({
      ok: true,
      value: { type: 'm.v1', n: 1 },
    });
    const code = (data: Uint8Array, limit = 1_000) => {
      const d = decodeMessage(Msg, data, limit);
      return d.ok ? 'ok' : d.error.code;
    };
    expect(code(bytes('{"type":'))).toBe('invalid-json');
    expect(code(new Uint8Array([0xc3, 0x28]))).toBe('invalid-json');
    expect(code(bytes('{"type":"m.v1","n":"1"}'))).toBe('invalid-message');
    expect(code(bytes('{"type":"m.v1","n":1,"extra":true}'))).toBe('invalid-message');
    expect(code(bytes('{"type":"m.v1","n":1}'), 10)).toBe('payload-too-large');
  });

  it('refuses to encode an invalid outgoing message', () => {
    expect(() => encodeMessage(Msg, { type: 'm.v1', n: 'x' } as never, 'test')).toThrow(
      /refusing to send/,
    );
  });

  it('round-trips typed errors through body and header', () => {
    const { data, headers } = errorReply(
      new SliceMeshError('stale-view', 'view moved on', { details: { v: 3 } }),
    );
    expect(headers.get(HEADER.errorCode)).toBe('stale-view');
    const error = errorFromReply(data, headers, 'svc.x');
    expect(error).toMatchObject({ code: 'stale-view', message: 'view moved on', retryable: true });
    expect(error?.details).toMatchObject({ v: 3, subject: 'svc.x' });
  });

  it('honours an error header even without an error body, and ignores ordinary replies', () => {
    const h = natsHeaders();
    h.set(HEADER.errorCode, 'unavailable');
    expect(errorFromReply(bytes('oops'), h, 's')?.code).toBe('unavailable');
    expect(errorFromReply(bytes('{"type":"m.v1","n":1}'), undefined, 's')).toBeUndefined();
    expect(
      errorFromReply(
        bytes('{"type":"error.v1","code":"timeout","message":"m","retryable":true}'),
        undefined,
        's',
      )?.code,
    ).toBe('timeout');
  });

  it('backs off redeliveries exponentially up to 30 s', () => {
    expect([1, 2, 3, 4].map(retryDelayMs)).toEqual([250, 500, 1_000, 2_000]);
    expect(retryDelayMs(50)).toBe(30_000);
  });
});
