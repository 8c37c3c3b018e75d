import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_STREAM_LIMITS, type JetStreamSettings } from '../../shared/bus/index.js';
import { SliceRequest } from '../../shared/contracts/messages.js';
import { useNatsServer } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

const nats = useNatsServer();

const Note = z.object({ type: z.literal('note.v1'), n: z.number(), pad: z.string() });
const note = (n: number) => ({ type: 'note.v1' as const, n, pad: 'x'.repeat(400) });

const request = (sliceId: string): SliceRequest => ({
  type: 'slice.request.v2',
  tenant: 'default',
  sliceId,
  text: `slice ${sliceId} for a robot cell`,
  submittedAt: 1_700_000_000_000,
});

const limits = (over: Partial<JetStreamSettings['limits']>): JetStreamSettings => ({
  replicas: 1,
  limits: { ...DEFAULT_STREAM_LIMITS, ...over },
});

describe('JetStream retention', () => {
  it('a stream with a size limit drops its oldest messages and keeps the newest', async () => {
    const bus = await nats.connectBus();
    const name = `${bus.subjects.intakeStream}_SIZED`;
    const subject = `${bus.namespace}.sized.note`;
    const maxBytes = 8 * 1024;
    await bus.ensureStream({ name, subjects: [subject], maxBytes });
    const N = 100;
    for (let n = 1; n <= N; n++)
      await bus.jsPublish(subject, Note, note(n), { msgId: `note-${n}` });

    const jsm = await jetstreamManager(bus.connection);
    const { state, config } = await jsm.streams.info(name);
    expect(config.max_bytes).toBe(maxBytes);
    expect(state.bytes).toBeLessThanOrEqual(maxBytes);
    expect(state.last_seq).toBe(N);
    // Some of the first messages are gone, the stream now starts later.
    expect(state.first_seq).toBeGreaterThan(1);
    expect(state.messages).toBe(N - state.first_seq + 1);
    expect(await jsm.streams.getMessage(name, { seq: 1 })).toBeNull();
    const last = await jsm.streams.getMessage(name, { seq: N });
    expect(last?.json<{ n: number }>().n).toBe(N);
  });

  it('a stream with an age limit removes messages once they are older', async () => {
    const bus = await nats.connectBus();
    const name = `${bus.subjects.intakeStream}_AGED`;
    const subject = `${bus.namespace}.aged.note`;
    await bus.ensureStream({ name, subjects: [subject], maxAgeMs: 1_000 });
    for (let n = 1; n <= 3; n++)
      await bus.jsPublish(subject, Note, note(n), { msgId: `aged-${n}` });
    const jsm = await jetstreamManager(bus.connection);
    const info = await jsm.streams.info(name);
    expect(info.state.messages).toBe(3);
    // The deduplication window was shortened to the age limit, which JetStream requires.
    expect(info.config.duplicate_window).toBe(info.config.max_age);
    await waitFor(async () => (await jsm.streams.info(name)).state.messages === 0, {
      timeoutMs: 10_000,
      what: 'the aged messages to be removed',
    });
  });

  it('ensureStreams creates the mesh streams with the documented default limits', async () => {
    const bus = await nats.connectBus();
    await bus.ensureStreams();
    const jsm = await jetstreamManager(bus.connection);
    const intake = (await jsm.streams.info(bus.subjects.intakeStream)).config;
    const events = (await jsm.streams.info(bus.subjects.eventStream)).config;
    expect(intake.max_age).toBe(DEFAULT_STREAM_LIMITS.intake.maxAgeMs * 1e6);
    expect(intake.max_bytes).toBe(DEFAULT_STREAM_LIMITS.intake.maxBytes);
    expect(intake.max_msgs).toBe(-1);
    expect(events.max_age).toBe(DEFAULT_STREAM_LIMITS.events.maxAgeMs * 1e6);
    expect(events.max_bytes).toBe(DEFAULT_STREAM_LIMITS.events.maxBytes);
  });

  it('updates the limits of existing mesh streams, which then drop what is over them', async () => {
    const first = await nats.connectBus();
    await first.ensureStreams();
    const s = first.subjects;
    for (let i = 0; i < 12; i++) {
      await first.jsPublish(s.sliceRequest('default', `u${i}`), SliceRequest, request(`u${i}`), {
        msgId: `u${i}`,
      });
    }
    const jsm = await jetstreamManager(first.connection);
    expect((await jsm.streams.info(s.intakeStream)).state.messages).toBe(12);

    // The same mesh restarted with tighter limits (as after a change of SLICEMESH_STREAM_*).
    const tighter = limits({
      intake: { maxAgeMs: 3_600_000, maxBytes: 2 * 1024 * 1024, maxMessages: 5 },
      events: { maxAgeMs: 0, maxBytes: 0, maxMessages: 0 },
    });
    const second = await nats.connectBus({ namespace: first.namespace, jetstream: tighter });
    await second.ensureStreams();
    const intake = await jsm.streams.info(s.intakeStream);
    expect(intake.config).toMatchObject({
      max_age: 3_600_000 * 1e6,
      max_bytes: 2 * 1024 * 1024,
      max_msgs: 5,
    });
    expect(intake.state.messages).toBe(5);
    expect(intake.state.last_seq).toBe(12);
    const events = (await jsm.streams.info(s.eventStream)).config;
    expect(events).toMatchObject({ max_age: 0, max_bytes: -1, max_msgs: -1 });

    // Nothing to change: a further call leaves the stream as it is.
    await second.ensureStreams();
    const again = await jsm.streams.info(s.intakeStream);
    expect(again.created).toBe(intake.created);
    expect(again.state.messages).toBe(5);
  });
});
