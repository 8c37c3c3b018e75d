import { SpanKind } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HEADER, totalOf } from '../../shared/bus/index.js';
import { SliceMeshError, isSliceMeshError } from '../../shared/contracts/errors.js';
import { ErrorReply, Heartbeat, SliceGetRequest } from '../../shared/contracts/messages.js';
import { SPAN, instrument } from '../../shared/telemetry/index.js';
import { useNatsServer } from '../helpers/nats.js';
import { testTracing } from '../helpers/tracing.js';

const Ping = z
  .object({ type: z.literal('ping.v1'), sliceId: z.string(), n: z.number().int() })
  .strict();
const Pong = z
  .object({ type: z.literal('pong.v1'), n: z.number().int(), traceId: z.string().optional() })
  .strict();

const nats = useNatsServer();

async function expectError(promise: Promise<unknown>, code: string): Promise<SliceMeshError> {
  try {
    await promise;
  } catch (error) {
    expect(isSliceMeshError(error)).toBe(true);
    expect((error as SliceMeshError).code).toBe(code);
    return error as SliceMeshError;
  }
  throw new Error(`expected a SliceMeshError ${code}`);
}

describe('bus request/reply', () => {
  it('answers a reply too large for the server with a typed payload-too-large, not a timeout', async () => {
    const server = await nats.connectBus({ name: 'big-server' });
    const client = await nats.connectBus({ name: 'big-client', namespace: server.namespace });
    const Big = z.object({ type: z.literal('big.v1'), blob: z.string() }).strict();
    const subject = server.subjects.custom('big');
    const limit = server.connection.info?.max_payload ?? 1_048_576;
    server.serve(subject, Ping, Big, (req) => ({
      type: 'big.v1' as const,
      blob: 'x'.repeat(req.n),
    }));
    await server.flush();
    // Just below the limit it is sent; above it the caller learns why at once.
    const fits = await client.request(
      subject,
      Ping,
      { type: 'ping.v1', sliceId: 's', n: 1_000 },
      Big,
    );
    expect(fits.blob).toHaveLength(1_000);
    const error = await expectError(
      client.request(subject, Ping, { type: 'ping.v1', sliceId: 's', n: limit + 1 }, Big, {
        timeoutMs: 10_000,
      }),
      'payload-too-large',
    );
    expect(error.retryable).toBe(false);
    expect(server.counters().handlerErrors[subject]).toEqual({ 'payload-too-large': 1 });
  });

  it('round-trips typed messages and the handler span joins the caller trace', async () => {
    const tracing = testTracing();
    const server = await nats.connectBus({ name: 'server', tracer: tracing.tracer() });
    const client = await nats.connectBus({
      name: 'client',
      namespace: server.namespace,
      tracer: tracing.tracer(),
    });
    const subject = server.subjects.custom('ping');
    server.serve(
      subject,
      Ping,
      Pong,
      (req, ctx) => ({ type: 'pong.v1' as const, n: req.n + 1, traceId: ctx.traceId }),
      {
        queue: 'pinger',
      },
    );
    await server.flush();

    const reply = await instrument(tracing.tracer(), 'test.root', {}, () =>
      client.request(subject, Ping, { type: 'ping.v1', sliceId: 's-1', n: 41 }, Pong, {
        timeoutMs: 2_000,
      }),
    );
    expect(reply.n).toBe(42);

    const [root] = tracing.spansNamed('test.root');
    const [clientSpan] = tracing.spansNamed(`${SPAN.busRequest} ${subject}`);
    const [serverSpan] = tracing.spansNamed(`${SPAN.busServe} ${subject}`);
    expect(root && clientSpan && serverSpan).toBeTruthy();
    const traceId = root!.spanContext().traceId;
    expect(clientSpan!.spanContext().traceId).toBe(traceId);
    expect(serverSpan!.spanContext().traceId).toBe(traceId);
    expect(reply.traceId).toBe(traceId);
    expect(serverSpan!.parentSpanContext?.spanId).toBe(clientSpan!.spanContext().spanId);
    expect(serverSpan!.kind).toBe(SpanKind.SERVER);
    expect(serverSpan!.attributes['slicemesh.slice.id']).toBe('s-1');
    await tracing.shutdown();
  });

  it('turns handler errors into typed errors for the caller', async () => {
    const bus = await nats.connectBus();
    const subject = bus.subjects.custom('fails');
    bus.serve(subject, Ping, Pong, (req) => {
      if (req.n === 1) throw new SliceMeshError('infeasible', 'no capacity left');
      throw new Error('secret internal detail');
    });
    await bus.flush();
    const infeasible = await expectError(
      bus.request(subject, Ping, { type: 'ping.v1', sliceId: 'a', n: 1 }, Pong),
      'infeasible',
    );
    expect(infeasible.message).toBe('no capacity left');
    const internal = await expectError(
      bus.request(subject, Ping, { type: 'ping.v1', sliceId: 'a', n: 2 }, Pong),
      'internal',
    );
    expect(internal.message).not.toContain('secret');
    expect(bus.counters().handlerErrors[subject]).toEqual({ infeasible: 1, internal: 1 });
  });

  it('reports timeout and unavailable with their codes', async () => {
    const bus = await nats.connectBus();
    await expectError(
      bus.request(
        bus.subjects.custom('nobody'),
        Ping,
        { type: 'ping.v1', sliceId: 'a', n: 1 },
        Pong,
        { timeoutMs: 1_000 },
      ),
      'unavailable',
    );
    const slow = bus.subjects.custom('slow');
    const release: (() => void)[] = [];
    bus.serve(slow, Ping, Pong, async (req) => {
      await new Promise<void>((resolve) => release.push(resolve));
      return { type: 'pong.v1' as const, n: req.n };
    });
    await bus.flush();
    await expectError(
      bus.request(slow, Ping, { type: 'ping.v1', sliceId: 'a', n: 1 }, Pong, { timeoutMs: 200 }),
      'timeout',
    );
    release.forEach((r) => r());
  });

  it('refuses to send a message that does not match its schema', async () => {
    const bus = await nats.connectBus();
    await expectError(
      bus.request(
        bus.subjects.sliceGet(),
        SliceGetRequest,
        { type: 'slice.get.request.v1', sliceId: 'bad id!' },
        Pong,
      ),
      'invalid-message',
    );
    expect(() =>
      bus.publish(bus.subjects.heartbeatsAll(), Heartbeat, { type: 'heartbeat.v1' } as never),
    ).toThrow(SliceMeshError);
  });

  it('answers 1,000 malformed requests with typed errors and keeps serving valid ones', async () => {
    const bus = await nats.connectBus({ maxPayloadBytes: 64 * 1024 });
    const subject = bus.subjects.custom('robust');
    let handled = 0;
    bus.serve(subject, Ping, Pong, (req) => {
      handled++;
      return { type: 'pong.v1' as const, n: req.n };
    });
    await bus.flush();
    const nc = bus.connection;
    const encoder = new TextEncoder();
    const huge = encoder.encode(
      JSON.stringify({ type: 'ping.v1', sliceId: 'x', n: 1, pad: 'x'.repeat(100 * 1024) }),
    );
    const kinds = [
      { code: 'invalid-json', data: () => encoder.encode('{"type": "ping.v1", ') },
      { code: 'invalid-json', data: () => new Uint8Array([0xff, 0xfe, 0x00]) },
      {
        code: 'invalid-message',
        data: () => encoder.encode(JSON.stringify({ type: 'ping.v1', sliceId: 'x', n: 'one' })),
      },
      { code: 'invalid-message', data: () => encoder.encode(JSON.stringify([1, 2, 3])) },
      { code: 'payload-too-large', data: () => huge },
    ] as const;
    const expected: Record<string, number> = {};
    const replies = [];
    for (let i = 0; i < 1_000; i++) {
      const kind = kinds[i % kinds.length]!;
      expected[kind.code] = (expected[kind.code] ?? 0) + 1;
      replies.push(
        nc
          .request(subject, kind.data(), { timeout: 10_000 })
          .then((reply) => ({ reply, code: kind.code })),
      );
      // Valid traffic interleaved with the garbage keeps working.
      if (i % 100 === 0) {
        const ok = await bus.request(subject, Ping, { type: 'ping.v1', sliceId: 'v', n: i }, Pong);
        expect(ok.n).toBe(i);
      }
    }
    for (const { reply, code } of await Promise.all(replies)) {
      expect(reply.headers?.get(HEADER.errorCode)).toBe(code);
      const body = ErrorReply.parse(reply.json());
      expect(body.code).toBe(code);
    }
    const counted = bus.counters().invalid[subject];
    expect(counted).toEqual(expected);
    expect(totalOf(counted)).toBe(1_000);
    expect(handled).toBe(10);
  });
});
