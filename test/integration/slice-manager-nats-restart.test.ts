/**
 * NATS goes down and comes back (same port, JetStream file storage kept)
 * while slice requests are in flight: every request JetStream accepted still
 * completes, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SliceEvent, SliceRequest, type InferenceReply } from '../../shared/contracts/index.js';
import type { Bus } from '../../shared/bus/index.js';
import { systemClock } from '../../shared/runtime/clock.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import { SliceManager } from '../../agents/slice-manager/manager.js';
import { useNatsServer, uniqueNamespace } from '../helpers/nats.js';
import {
  inferenceReply,
  serveAgentDoubles,
  sliceRequest,
  type AgentDoubles,
} from '../helpers/slice-doubles.js';
import { waitFor } from '../helpers/wait.js';

const nats = useNatsServer();
const SLICES = Array.from({ length: 12 }, (_, i) => `plant-${i}`);

describe('slice-manager across a NATS restart', () => {
  let managerBus: Bus;
  let client: Bus;
  let manager: SliceManager;
  let doubles: AgentDoubles;
  let gate: Promise<void> = Promise.resolve();
  let openGate: () => void = () => undefined;

  beforeAll(async () => {
    const namespace = uniqueNamespace('rs');
    managerBus = await nats.connectBus({ namespace, name: 'slice-manager' });
    client = await nats.connectBus({ namespace, name: 'client' });
    // The interpreter holds its answers until the test opens the gate, so the
    // restart surely finds every slice in flight.
    doubles = serveAgentDoubles(client, {
      infer: async (request): Promise<InferenceReply> => {
        await gate;
        return inferenceReply(request.sliceId);
      },
    });
    manager = new SliceManager(
      { bus: managerBus, logger: silentLogger, clock: systemClock },
      {
        limits: {
          interpretTimeoutMs: 1_500,
          viewTimeoutMs: 1_500,
          planTimeoutMs: 1_500,
          applyTimeoutMs: 1_500,
          releaseTimeoutMs: 1_500,
          retryBackoffMs: 200,
          maxAttempts: 20,
        },
      },
    );
    await manager.start();
  });

  afterAll(async () => {
    openGate();
    await manager.stop();
    await doubles.stop();
  });

  it('completes every accepted request', async () => {
    gate = new Promise<void>((resolve) => (openGate = resolve));
    for (const id of SLICES) {
      const ack = await client.jsPublish(
        client.subjects.sliceRequest('default', id),
        SliceRequest,
        sliceRequest(id),
        {
          msgId: id,
        },
      );
      expect(ack.duplicate).toBe(false);
    }
    await waitFor(() => doubles.calls.infer.size === SLICES.length, {
      what: 'every slice waiting for the interpreter',
    });

    await nats.restart();
    openGate();

    await waitFor(() => manager.records('active').length === SLICES.length, {
      timeoutMs: 60_000,
      what: `all ${SLICES.length} slices active (now ${manager.records('active').length})`,
    });

    // Each slice exists once and was deployed; the stored events show each activation once.
    expect(
      manager
        .records()
        .map((r) => r.sliceId)
        .sort(),
    ).toEqual([...SLICES].sort());
    for (const id of SLICES) expect(doubles.calls.apply.get(id)).toBeGreaterThanOrEqual(1);
    const activations = new Map<string, number>();
    const reader = await client.consume(
      client.subjects.eventStream,
      'restart-reader',
      client.subjects.sliceEventsAll(),
      SliceEvent,
      (event) => {
        if (event.to === 'active')
          activations.set(event.sliceId, (activations.get(event.sliceId) ?? 0) + 1);
      },
    );
    await waitFor(() => activations.size === SLICES.length, {
      what: 'every activation in the stream',
    });
    await reader.stop();
    expect([...activations.values()].every((n) => n === 1)).toBe(true);
  });
});
