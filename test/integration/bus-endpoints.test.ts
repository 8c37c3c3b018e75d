import { describe, expect, it } from 'vitest';
import { HEADER } from '../../shared/bus/index.js';
import { ENDPOINTS } from '../../shared/contracts/endpoints.js';
import { SliceMeshError, isSliceMeshError } from '../../shared/contracts/errors.js';
import {
  ErrorReply,
  SliceGetReply,
  SliceGetRequest,
  type SliceRecord,
} from '../../shared/contracts/messages.js';
import { SPAN, instrument } from '../../shared/telemetry/index.js';
import { useNatsServer } from '../helpers/nats.js';
import { testTracing } from '../helpers/tracing.js';

const nats = useNatsServer();

const record = (sliceId: string): SliceRecord => ({
  sliceId,
  state: 'active',
  text: 'low-latency control loop for the robot cell',
  history: [{ state: 'requested', at: 1_700_000_000_000 }],
});

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

describe('bus request/reply through endpoint descriptors', () => {
  it('serves and calls one descriptor: subject in the namespace, typed both ways, one trace', async () => {
    const tracing = testTracing();
    const server = await nats.connectBus({ name: 'server', tracer: tracing.tracer() });
    const client = await nats.connectBus({
      name: 'client',
      namespace: server.namespace,
      tracer: tracing.tracer(),
    });
    const seen: string[] = [];
    server.serve(
      ENDPOINTS.sliceGet,
      (req, ctx) => {
        seen.push(ctx.subject);
        return { type: 'slice.get.reply.v1' as const, slice: record(req.sliceId) };
      },
      { queue: server.subjects.queueGroup(ENDPOINTS.sliceGet.role) },
    );
    await server.flush();

    const reply = await instrument(tracing.tracer(), 'test.root', {}, () =>
      client.request(
        ENDPOINTS.sliceGet,
        { type: 'slice.get.request.v1', sliceId: 's-7' },
        { timeoutMs: 2_000 },
      ),
    );
    expect(reply.slice.sliceId).toBe('s-7');
    const subject = server.subjects.sliceGet();
    expect(seen).toEqual([subject]);
    const [root] = tracing.spansNamed('test.root');
    const [clientSpan] = tracing.spansNamed(`${SPAN.busRequest} ${subject}`);
    const [serverSpan] = tracing.spansNamed(`${SPAN.busServe} ${subject}`);
    expect(root && clientSpan && serverSpan).toBeTruthy();
    expect(serverSpan!.spanContext().traceId).toBe(root!.spanContext().traceId);
    expect(serverSpan!.parentSpanContext?.spanId).toBe(clientSpan!.spanContext().spanId);
    await tracing.shutdown();
  });

  it('is the same wire as the subject form, in both directions', async () => {
    const server = await nats.connectBus();
    const client = await nats.connectBus({ namespace: server.namespace });
    server.serve(ENDPOINTS.sliceGet, (req) => ({
      type: 'slice.get.reply.v1' as const,
      slice: record(req.sliceId),
    }));
    server.serve(
      server.subjects.sliceList(),
      ENDPOINTS.sliceList.request,
      ENDPOINTS.sliceList.reply,
      () => ({ type: 'slice.list.reply.v2' as const, slices: [record('s-2')] }),
    );
    await server.flush();

    const bySubject = await client.request(
      client.subjects.sliceGet(),
      SliceGetRequest,
      { type: 'slice.get.request.v1', sliceId: 's-1' },
      SliceGetReply,
    );
    expect(bySubject.slice.sliceId).toBe('s-1');
    const byEndpoint = await client.request(ENDPOINTS.sliceList, {
      type: 'slice.list.request.v2',
    });
    expect(byEndpoint.slices.map((s) => s.sliceId)).toEqual(['s-2']);
  });

  it('resolves the subject in the calling bus namespace: another namespace is not reached', async () => {
    const server = await nats.connectBus();
    const elsewhere = await nats.connectBus();
    expect(elsewhere.namespace).not.toBe(server.namespace);
    server.serve(ENDPOINTS.sliceGet, (req) => ({
      type: 'slice.get.reply.v1' as const,
      slice: record(req.sliceId),
    }));
    await server.flush();
    await expectError(
      elsewhere.request(
        ENDPOINTS.sliceGet,
        { type: 'slice.get.request.v1', sliceId: 's-1' },
        { timeoutMs: 1_000 },
      ),
      'unavailable',
    );
  });

  it('parses at the boundary: a bad request gets a typed error and is counted under the endpoint subject', async () => {
    const bus = await nats.connectBus();
    let handled = 0;
    bus.serve(ENDPOINTS.sliceGet, (req) => {
      handled++;
      return { type: 'slice.get.reply.v1' as const, slice: record(req.sliceId) };
    });
    await bus.flush();
    const subject = bus.subjects.sliceGet();
    const raw = await bus.connection.request(
      subject,
      new TextEncoder().encode(JSON.stringify({ type: 'slice.list.request.v2' })),
      { timeout: 2_000 },
    );
    expect(raw.headers?.get(HEADER.errorCode)).toBe('invalid-message');
    expect(ErrorReply.parse(raw.json()).code).toBe('invalid-message');
    expect(bus.counters().invalid[subject]).toEqual({ 'invalid-message': 1 });
    expect(handled).toBe(0);

    // Nor does the caller send what the descriptor's request schema refuses.
    await expectError(
      bus.request(ENDPOINTS.sliceGet, { type: 'slice.get.request.v1', sliceId: 'bad id!' }),
      'invalid-message',
    );
    expect(handled).toBe(0);
  });

  it('validates replies against the descriptor and passes typed handler errors through', async () => {
    const bus = await nats.connectBus();
    bus.serve(ENDPOINTS.sliceGet, (req) => {
      if (req.sliceId === 'gone') throw new SliceMeshError('unknown-slice', 'no slice gone');
      // A reply that breaks the reply schema is refused on the serving side.
      return { type: 'slice.get.reply.v1' as const, slice: { sliceId: req.sliceId } as never };
    });
    await bus.flush();
    const unknown = await expectError(
      bus.request(ENDPOINTS.sliceGet, { type: 'slice.get.request.v1', sliceId: 'gone' }),
      'unknown-slice',
    );
    expect(unknown.message).toBe('no slice gone');
    await expectError(
      bus.request(ENDPOINTS.sliceGet, { type: 'slice.get.request.v1', sliceId: 's-1' }),
      'invalid-message',
    );
  });

  it('has the request on the connection once request() returns (what placement ordering relies on)', async () => {
    const bus = await nats.connectBus();
    bus.serve(ENDPOINTS.sliceGet, (req) => ({
      type: 'slice.get.reply.v1' as const,
      slice: record(req.sliceId),
    }));
    await bus.flush();
    const before = bus.connection.stats().outMsgs;
    const pending = bus.request(ENDPOINTS.sliceGet, { type: 'slice.get.request.v1', sliceId: 'a' });
    expect(bus.connection.stats().outMsgs).toBe(before + 1);
    expect((await pending).slice.sliceId).toBe('a');
  });
});
