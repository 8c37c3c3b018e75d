/**
 * Admission: a slice-manager takes at most `preparingLimit` slices on their way
 * to active at once; further requests wait unacknowledged in the durable
 * intake and start, in order, as places free up — none fails for having had
 * to wait. Real slice-manager, infrastructure and orchestrator; the
 * interpreter is a double that answers only when the test lets it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InferenceReply,
  InferenceRequest,
  SliceEvent,
  SliceRequest,
} from '../../shared/contracts/index.js';
import type { Bus } from '../../shared/bus/index.js';
import { createInfrastructureAgent } from '../../agents/infrastructure/index.js';
import { createOrchestratorAgent } from '../../agents/orchestrator/index.js';
import { createSliceManagerAgent } from '../../agents/slice-manager/index.js';
import type { AgentHandle } from '../../shared/runtime/agent.js';
import { uniqueNamespace, useNatsServer } from '../helpers/nats.js';
import { inferenceReply, sliceRequest } from '../helpers/slice-doubles.js';
import { waitFor } from '../helpers/wait.js';
import { agentDeps } from '../unit/infrastructure-fixtures.js';

const nats = useNatsServer();
const SEED = 5;
const LIMIT = 2;

describe('slice-manager admission', () => {
  const agents: AgentHandle[] = [];
  const buses: Bus[] = [];
  let client: Bus;
  const events: SliceEvent[] = [];
  /** Interpretations asked for and not answered yet. */
  const held: (() => void)[] = [];

  beforeAll(async () => {
    const namespace = uniqueNamespace('admission');
    const connect = async (name: string) => {
      const bus = await nats.connectBus({ name, namespace });
      buses.push(bus);
      return bus;
    };
    const [infraBus, orchestratorBus, managerBus, interpreterBus] = await Promise.all([
      connect('infrastructure'),
      connect('orchestrator'),
      connect('slice-manager'),
      connect('interpreter'),
    ]);
    client = await connect('client');
    interpreterBus.serve(
      interpreterBus.subjects.interpreterInfer(),
      InferenceRequest,
      InferenceReply,
      (request) =>
        new Promise<InferenceReply>((resolve) =>
          held.push(() => resolve(inferenceReply(request.sliceId))),
        ),
      { queue: 'interpreter' },
    );
    client.subscribe(client.subjects.sliceEventsAll(), SliceEvent, (e) => void events.push(e));
    await client.flush();
    const infrastructure = createInfrastructureAgent(agentDeps(infraBus, 'infrastructure', SEED), {
      seed: SEED,
      kpiIntervalMs: 0,
      ownerProbeMs: 200,
    });
    const orchestrator = createOrchestratorAgent(
      { bus: orchestratorBus },
      { method: 'first-fit', modelDir: '/nonexistent', reloadIntervalMs: 0 },
    );
    const manager = createSliceManagerAgent(agentDeps(managerBus, 'slice-manager', SEED), {
      preparingLimit: LIMIT,
      reconcileIntervalMs: 0,
    });
    for (const agent of [infrastructure, orchestrator, manager]) {
      agents.push(agent);
      await agent.start();
    }
  });

  afterAll(async () => {
    for (const agent of agents.reverse()) await agent.stop();
    await Promise.allSettled(buses.map((bus) => bus.drain()));
  });

  it('starts at most the limit at once and the rest as places free up, none failed', async () => {
    const ids = ['a-0', 'a-1', 'a-2', 'a-3', 'a-4'];
    for (const id of ids)
      await client.jsPublish(
        client.subjects.sliceRequest('default', id),
        SliceRequest,
        sliceRequest(id, { demand: { cpu: 1, mem: 1 } }),
        { msgId: id },
      );
    const started = () => new Set(events.filter((e) => e.to === 'requested').map((e) => e.sliceId));
    const active = () => new Set(events.filter((e) => e.to === 'active').map((e) => e.sliceId));

    // Two are taken on and wait for their interpretation; the other three are not started.
    await waitFor(() => held.length === LIMIT, { what: 'two interpretations asked for' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.flush();
    expect(started().size).toBe(LIMIT);
    expect(held).toHaveLength(LIMIT);

    // Each answer lets one slice through to active and the next one in.
    let answered = 0;
    while (active().size < ids.length) {
      await waitFor(() => held.length > answered, { what: 'the next interpretation' });
      held[answered++]!();
      await waitFor(() => active().size >= Math.min(answered, ids.length), {
        what: `slice ${answered} active`,
      });
      expect(started().size).toBeLessThanOrEqual(Math.min(ids.length, answered + LIMIT));
    }
    expect([...active()].sort()).toEqual(ids);
    expect(events.filter((e) => e.to === 'failed')).toEqual([]);
  });
});
