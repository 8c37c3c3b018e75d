/**
 * Batches over a real nats-server: each item is checked on its own, so one bad
 * item is refused alone (typed, counted) while the rest of its batch is handled
 * in order; a batch whose envelope is wrong is refused whole. The infrastructure's
 * periodic tick sends its samples as bounded batches.
 */
import { headers as natsHeaders } from '@nats-io/nats-core';
import { describe, expect, it } from 'vitest';
import { subscribeKpis } from '../../shared/clients/kpis.js';
import { KpiBatch, type KpiSample } from '../../shared/contracts/index.js';
import { useNatsServer } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

const nats = useNatsServer();

const sample = (sliceId: string, at: number): KpiSample => ({
  type: 'kpi.sample.v1',
  sliceId,
  at,
  latencyMs: 12,
  cost: 30,
  reliabilityCost: 0,
  sharing: 1,
  cpu: 1,
  mem: 1,
  load: 1,
});

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('batch messages', () => {
  it('refuses an invalid item alone, with its own typed error, and handles the rest in order', async () => {
    const receiver = await nats.connectBus({ name: 'receiver' });
    const sender = await nats.connectBus({ name: 'sender', namespace: receiver.namespace });
    const seen: string[] = [];
    receiver.subscribeBatch(
      receiver.subjects.kpiBatch(),
      KpiBatch,
      (s) => void seen.push(s.sliceId),
    );
    await receiver.flush();

    const broken = { ...sample('broken', 2), latencyMs: -5 };
    // Raw bytes: the sender's own schema would refuse to send the broken item.
    sender.connection.publish(
      sender.subjects.kpiBatch(),
      encode({ type: 'kpi.batch.v1', at: 3, items: [sample('a', 1), broken, sample('c', 3)] }),
      { headers: natsHeaders() },
    );
    await waitFor(() => seen.length === 2);
    expect(seen).toEqual(['a', 'c']);
    const refused = receiver.counters().invalid[`${receiver.subjects.kpiBatch()}#item`];
    expect(refused).toEqual({ 'invalid-message': 1 });

    // An envelope over the item limit is refused as a whole.
    const tooMany = Array.from({ length: KpiBatch.limit + 1 }, (_, i) => sample(`x${i}`, i));
    sender.connection.publish(
      sender.subjects.kpiBatch(),
      encode({ type: 'kpi.batch.v1', at: 4, items: tooMany }),
    );
    sender.publish(sender.subjects.kpiBatch(), KpiBatch.send, {
      type: KpiBatch.type,
      at: 5,
      items: [sample('after', 5)],
    });
    await waitFor(() => seen.includes('after'));
    expect(seen).toEqual(['a', 'c', 'after']);
    expect(receiver.counters().invalid[receiver.subjects.kpiBatch()]).toEqual({
      'invalid-message': 1,
    });
  });

  it('refuses to send a batch with an invalid item, or more items than its limit', async () => {
    const sender = await nats.connectBus({ name: 'sender' });
    const send = (items: KpiSample[]) =>
      sender.publish(sender.subjects.kpiBatch(), KpiBatch.send, {
        type: KpiBatch.type,
        at: 1,
        items,
      });
    expect(() => send([{ ...sample('a', 1), cpu: -1 }])).toThrow(/invalid/);
    const tooMany = Array.from({ length: KpiBatch.limit + 1 }, (_, i) => sample(`x${i}`, i));
    expect(() => send(tooMany)).toThrow(/invalid/);
  });

  it('subscribeKpis hears samples sent one by one and in batches', async () => {
    const receiver = await nats.connectBus({ name: 'receiver' });
    const sender = await nats.connectBus({ name: 'sender', namespace: receiver.namespace });
    const seen: string[] = [];
    const subscription = subscribeKpis(receiver, (s) => void seen.push(s.sliceId));
    await receiver.flush();
    sender.publish(sender.subjects.kpi('single'), KpiBatch.item, sample('single', 1));
    sender.publish(sender.subjects.kpiBatch(), KpiBatch.send, {
      type: KpiBatch.type,
      at: 2,
      items: [sample('b1', 2), sample('b2', 2)],
    });
    await waitFor(() => seen.length === 3);
    expect([...seen].sort()).toEqual(['b1', 'b2', 'single']);
    await subscription.stop();
  });
});
