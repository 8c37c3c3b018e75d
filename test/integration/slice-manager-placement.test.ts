/**
 * Concurrent placements through the real slice-manager, infrastructure and
 * orchestrator (first-fit), each on its own NATS connection; the interpreter
 * is a double. No view crosses the bus: the placement lock hands over once a
 * slice's apply (or decline) reply is back, the next slice asks for the
 * version that reply reported, and the orchestrator plans on its replica at
 * that version — so no plan goes stale, and the outcome is the model's own
 * for the same arrival order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApplyRequest,
  DeclineRequest,
  InferenceReply,
  InferenceRequest,
  SliceEvent,
  SliceRequest,
  type SliceProfile,
} from '../../shared/contracts/index.js';
import type { Bus } from '../../shared/bus/index.js';
import { createInfrastructureAgent } from '../../agents/infrastructure/index.js';
import { createOrchestratorAgent } from '../../agents/orchestrator/index.js';
import { createSliceManagerAgent } from '../../agents/slice-manager/index.js';
import { NetworkState, applyPlan, createPolicy, decideOnState } from '../../shared/model/index.js';
import type { AgentHandle } from '../../shared/runtime/agent.js';
import { uniqueNamespace, useNatsServer } from '../helpers/nats.js';
import { inferenceReply, sliceRequest } from '../helpers/slice-doubles.js';
import { waitFor } from '../helpers/wait.js';
import { agentDeps } from '../unit/infrastructure-fixtures.js';

const nats = useNatsServer();
const SEED = 5;
const SLICES = 12;

/** Alternating profiles, so some slices share and some cannot be placed at all. */
const PROFILES: SliceProfile[] = [
  { serviceType: 'URLLC', latency: 'high', reliability: 'high', cost: 'general' },
  { serviceType: 'mMTC', latency: 'medium', reliability: 'best-effort', cost: 'cost-sensitive' },
  { serviceType: 'eMBB', latency: 'high', reliability: 'medium', cost: 'general' },
];
const profileOf = (i: number) => PROFILES[i % PROFILES.length] as SliceProfile;
const demandOf = (i: number) => ({ cpu: 5 + (i % 3) * 2, mem: 4 + (i % 3) });

describe('placements in flight together', () => {
  const agents: AgentHandle[] = [];
  const buses: Bus[] = [];
  let client: Bus;
  const events = new Map<string, SliceEvent[]>();
  /** infra requests in the order the infrastructure's connection could see them. */
  const seen: string[] = [];

  beforeAll(async () => {
    const namespace = uniqueNamespace('placement');
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
      (request) => inferenceReply(request.sliceId),
      { queue: 'interpreter' },
    );
    client.subscribe(client.subjects.infraApply(), ApplyRequest, (r) => {
      seen.push(`apply:${r.sliceId}`);
    });
    client.subscribe(client.subjects.infraDecline(), DeclineRequest, (r) => {
      seen.push(`decline:${r.sliceId}`);
    });
    client.subscribe(client.subjects.sliceEventsAll(), SliceEvent, (event) => {
      const list = events.get(event.sliceId) ?? [];
      list.push(event);
      events.set(event.sliceId, list);
    });
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
    const manager = createSliceManagerAgent(agentDeps(managerBus, 'slice-manager', SEED));
    for (const agent of [infrastructure, orchestrator, manager]) {
      agents.push(agent);
      await agent.start();
    }
  });

  afterAll(async () => {
    for (const agent of agents.reverse()) await agent.stop();
    await Promise.allSettled(buses.map((bus) => bus.drain()));
  });

  it('plans every slice on the latest version and decides each as the model does in the same order', async () => {
    const ids = Array.from({ length: SLICES }, (_, i) => `p-${String(i).padStart(2, '0')}`);
    // Published together: all twelve are interpreted, then queue for the lock.
    await Promise.all(
      ids.map((id, i) =>
        client.jsPublish(
          client.subjects.sliceRequest('default', id),
          SliceRequest,
          sliceRequest(id, { sla: profileOf(i), demand: demandOf(i) }),
          { msgId: id },
        ),
      ),
    );
    const settled = (id: string) =>
      events.get(id)?.some((e) => e.to === 'active' || e.to === 'rejected' || e.to === 'failed');
    await waitFor(() => ids.every(settled), { timeoutMs: 20_000 });

    // Every slice planned exactly once: no plan went stale, none was re-planned.
    for (const id of ids) {
      const states = (events.get(id) ?? []).map((e) => e.to);
      expect(
        states.filter((s) => s === 'planning'),
        id,
      ).toHaveLength(1);
      expect(states, id).not.toContain('failed');
    }

    // The model, deciding the slices one by one in the order the infrastructure heard of them.
    const decisions = seen.map((s) => s.split(':'));
    expect(decisions).toHaveLength(SLICES);
    const state = new NetworkState(SEED);
    const policy = await createPolicy('first-fit');
    const expected = new Map<string, string>();
    for (const [kind, id = ''] of decisions) {
      const i = ids.indexOf(id);
      const spec = { id, profile: profileOf(i), demand: demandOf(i) };
      const plan = await decideOnState(policy, state, spec);
      expect(plan === null ? 'decline' : 'apply', id).toBe(kind);
      if (plan === null) {
        state.skipPlacement();
        expected.set(id, 'rejected');
        continue;
      }
      expect(applyPlan(state, { sliceId: id, ...spec }, plan).outcome, id).toBe('applied');
      expected.set(id, 'active');
    }
    expect([...expected.values()]).toContain('rejected');
    const final = (id: string) => events.get(id)?.at(-1)?.to;
    expect(new Map(ids.map((id) => [id, final(id)]))).toEqual(expected);
  });
});
