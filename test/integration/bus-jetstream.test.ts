import { headers as natsHeaders } from '@nats-io/nats-core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HEADER } from '../../shared/bus/index.js';
import { SliceMeshError, isSliceMeshError } from '../../shared/contracts/errors.js';
import { ErrorReply, SliceRequest } from '../../shared/contracts/messages.js';
import { useNatsServer } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

const nats = useNatsServer();

const request = (sliceId: string): SliceRequest => ({
  type: 'slice.request.v2',
  tenant: 'default',
  sliceId,
  text: `slice ${sliceId} for a robot cell`,
  submittedAt: 1_700_000_000_000,
});

describe('bus JetStream', () => {
  it('creates streams idempotently and deduplicates by msgId', async () => {
    const bus = await nats.connectBus();
    await bus.ensureStreams();
    await bus.ensureStreams();
    const s = bus.subjects;
    const first = await bus.jsPublish(
      s.sliceRequest('default', 'a1'),
      SliceRequest,
      request('a1'),
      {
        msgId: 'req-a1',
      },
    );
    const again = await bus.jsPublish(
      s.sliceRequest('default', 'a1'),
      SliceRequest,
      request('a1'),
      {
        msgId: 'req-a1',
      },
    );
    expect(first).toMatchObject({ duplicate: false, stream: s.intakeStream });
    expect(again).toEqual({ ...first, duplicate: true });
  });

  it('delivers every accepted message across a nats-server restart, each stored once', async () => {
    const bus = await nats.connectBus({ name: 'js-restart' });
    await bus.ensureStreams();
    const s = bus.subjects;
    const seqsById = new Map<string, Set<number>>();
    const consumer = await bus.consume(
      s.intakeStream,
      'slice-manager',
      s.intakeAll(),
      SliceRequest,
      (msg, ctx) => {
        const seqs = seqsById.get(msg.sliceId) ?? new Set<number>();
        seqs.add(ctx.streamSeq!);
        seqsById.set(msg.sliceId, seqs);
      },
    );

    const N = 60;
    const ids = Array.from({ length: N }, (_, i) => `r${i}`);
    const publish = (id: string) =>
      bus.jsPublish(s.sliceRequest('default', id), SliceRequest, request(id), {
        msgId: `req-${id}`,
        retryForMs: 30_000,
      });

    for (const id of ids.slice(0, N / 2)) await publish(id);
    // Restart while the second half is being published (some publishes land while the server is down).
    const secondHalf = Promise.all(ids.slice(N / 2).map((id) => publish(id)));
    await nats.restart();
    const results = await secondHalf;
    // Re-publishing everything (as a client retrying after a restart would) stores nothing new.
    const replays = await Promise.all(ids.map((id) => publish(id)));
    expect(replays.every((r) => r.duplicate)).toBe(true);
    expect(new Set(results.map((r) => r.seq)).size).toBe(N / 2);

    await waitFor(() => seqsById.size === N, { timeoutMs: 30_000, what: 'all messages consumed' });
    for (const id of ids) expect(seqsById.get(id)?.size).toBe(1);
    const info = await (await import('@nats-io/jetstream')).jetstreamManager(bus.connection);
    expect((await info.streams.info(s.intakeStream)).state.messages).toBe(N);
    await consumer.stop();
  });

  it('retries retryable failures with backoff and terminates invalid payloads with an error reply', async () => {
    const bus = await nats.connectBus();
    await bus.ensureStreams();
    const s = bus.subjects;
    const deliveries: number[] = [];
    const consumer = await bus.consume(
      s.intakeStream,
      'retrying',
      s.intakeAll(),
      SliceRequest,
      (msg, ctx) => {
        if (msg.sliceId !== 'flaky') return;
        deliveries.push(ctx.deliveryCount!);
        if (ctx.deliveryCount === 1)
          throw new SliceMeshError('unavailable', 'interpreter not up yet');
      },
    );
    await bus.jsPublish(s.sliceRequest('default', 'flaky'), SliceRequest, request('flaky'), {
      msgId: 'flaky',
    });
    await waitFor(() => deliveries.length === 2, { what: 'redelivery' });
    expect(deliveries).toEqual([1, 2]);
    expect(bus.counters().retried['retrying']).toBe(1);

    // A raw, invalid message with a reply-to header: terminated, counted, and the sender is told.
    const replyTo = `${s.namespace}.replies.bad`;
    const received: unknown[] = [];
    const sub = bus.connection.subscribe(replyTo, {
      callback: (_e, m) => void received.push(m.json()),
    });
    const h = natsHeaders();
    h.set(HEADER.replyTo, replyTo);
    h.set(HEADER.msgId, 'garbage-1');
    await bus.connection.request(
      s.sliceRequest('default', 'garbage'),
      new TextEncoder().encode('{"type":"slice.request.v1"}'),
      {
        timeout: 5_000,
        headers: h,
      },
    );
    await waitFor(() => received.length === 1, { what: 'error reply' });
    expect(ErrorReply.parse(received[0]).code).toBe('invalid-message');
    expect(bus.counters().invalid[s.intakeAll()]).toEqual({ 'invalid-message': 1 });
    expect(bus.counters().terminated['retrying']).toBe(1);
    sub.unsubscribe();
    await consumer.stop();
  });

  it('stores typed values in KV', async () => {
    const bus = await nats.connectBus();
    const Snapshot = z.object({ state: z.string(), version: z.number().int() }).strict();
    const kv = await bus.kv(`${bus.subjects.namespace}_SNAP`, Snapshot);
    expect(await kv.get('s1')).toBeNull();
    const rev = await kv.put('s1', { state: 'active', version: 1 });
    expect(await kv.get('s1')).toEqual({ value: { state: 'active', version: 1 }, revision: rev });
    const rev2 = await kv.update('s1', { state: 'adapting', version: 2 }, rev);
    await expect(kv.update('s1', { state: 'lost', version: 3 }, rev)).rejects.toMatchObject({
      code: 'stale-view',
    });
    expect((await kv.get('s1'))?.revision).toBe(rev2);
    await kv.put('s2', { state: 'requested', version: 1 });
    expect(await kv.keys()).toEqual(['s1', 's2']);
    await kv.delete('s1');
    expect(await kv.get('s1')).toBeNull();
    expect(await kv.keys()).toEqual(['s2']);
    await expect(kv.put('s3', { state: 'x' } as never)).rejects.toSatisfy(
      (e: unknown) => isSliceMeshError(e) && e.code === 'invalid-message',
    );
  });
});
