/**
 * A flood of invalid JetStream messages must not stall a durable consumer: each one
 * is settled for good (terminated), so none of them stays pending and the next valid
 * message is still delivered. nats-server 2.9 ignores a TERM that carries a reason,
 * which left every invalid message pending until max ack pending (1,000 by default)
 * was reached and the consumer stopped delivering.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { SliceRequest } from '../../shared/contracts/messages.js';
import { useNatsServer } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

const nats = useNatsServer();

// One more than JetStream's default max ack pending (1,000), as the fault injection did.
const FLOOD = 1_001;

describe('bus JetStream: a flood of invalid messages', () => {
  it('terminates each invalid message for good, counts it, and still delivers the next valid one', async () => {
    const bus = await nats.connectBus({ name: 'js-flood' });
    await bus.ensureStreams();
    const s = bus.subjects;
    const handled: string[] = [];
    const consumer = await bus.consume(
      s.intakeStream,
      'flooded',
      s.intakeAll(),
      SliceRequest,
      (msg) => void handled.push(msg.sliceId),
    );

    const junk = new TextEncoder().encode('not json');
    for (let i = 0; i < FLOOD; i++)
      bus.connection.publish(s.sliceRequest('default', `junk-${i}`), junk);
    await bus.flush();
    const jsm = await jetstreamManager(bus.connection);
    await waitFor(async () => (await jsm.streams.info(s.intakeStream)).state.messages === FLOOD, {
      what: 'the flood stored in the stream',
    });

    await bus.jsPublish(
      s.sliceRequest('default', 'valid'),
      SliceRequest,
      {
        type: 'slice.request.v2',
        tenant: 'default',
        sliceId: 'valid',
        text: 'a slice for a robot cell',
        submittedAt: 1_700_000_000_000,
      },
      { msgId: 'valid' },
    );
    await waitFor(() => handled.includes('valid'), {
      timeoutMs: 20_000,
      what: 'the valid message after the flood',
    });

    expect(handled).toEqual(['valid']);
    expect(bus.counters().invalid[s.intakeAll()]).toEqual({ 'invalid-json': FLOOD });
    expect(bus.counters().terminated['flooded']).toBe(FLOOD);
    // Settled, not merely skipped: nothing waits for an acknowledgement or comes back.
    await waitFor(
      async () => (await jsm.consumers.info(s.intakeStream, 'flooded')).num_ack_pending === 0,
      { what: 'no message pending an acknowledgement' },
    );
    const info = await jsm.consumers.info(s.intakeStream, 'flooded');
    expect(info.num_redelivered).toBe(0);
    expect(info.num_pending).toBe(0);
    await consumer.stop();
  }, 60_000);
});
