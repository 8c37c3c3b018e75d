/**
 * The slice-manager's reconciler against a real infrastructure agent over a
 * real nats-server (orchestrator first-fit, interpreter a double):
 *
 * 1. a release that fails — the infrastructure is down while the slice
 *    terminates, so the slice ends `failed`, "resources may still be held" —
 *    and an infrastructure that comes back with its saved state still
 *    holding them: the reconciler releases the orphan within its period;
 * 2. an infrastructure that comes back without its state: an active slice it
 *    no longer holds is reported and ends `failed` (cause `resources-lost`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENDPOINTS,
  SliceEvent,
  SliceRequest,
  SliceTermination,
} from '../../shared/contracts/index.js';
import type { Bus } from '../../shared/bus/index.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { createLogger } from '../../shared/runtime/logger.js';
import {
  StateStore,
  createInfrastructureAgent,
  type InfrastructureAgent,
} from '../../agents/infrastructure/index.js';
import { createOrchestratorAgent } from '../../agents/orchestrator/index.js';
import {
  createSliceManagerAgent,
  sliceManagerConfigFrom,
  type SliceManagerAgent,
} from '../../agents/slice-manager/index.js';
import type { AgentHandle } from '../../shared/runtime/agent.js';
import { uniqueNamespace, useNatsServer } from '../helpers/nats.js';
import { inferenceReply, sliceRequest } from '../helpers/slice-doubles.js';
import { waitFor } from '../helpers/wait.js';
import { agentDeps } from '../unit/infrastructure-fixtures.js';

const nats = useNatsServer();
const SEED = 3;
/** The reconciler's period in this test. */
const RECONCILE_MS = 1_000;
/** Its requests' deadline (the call timeout below). */
const REQUEST_MS = 500;

describe('reconciling the slice-manager with the infrastructure', () => {
  let namespace: string;
  let client: Bus;
  let manager: SliceManagerAgent;
  let infrastructure: InfrastructureAgent;
  const agents: AgentHandle[] = [];
  const events: SliceEvent[] = [];

  const startInfrastructure = async (persist: boolean) => {
    const bus = await nats.connectBus({ namespace, name: 'infrastructure' });
    infrastructure = createInfrastructureAgent(agentDeps(bus, 'infrastructure', SEED), {
      seed: SEED,
      kpiIntervalMs: 0,
      ownerProbeMs: 200,
      persist,
    });
    await infrastructure.start();
    return infrastructure;
  };
  const settled = (sliceId: string, states: string[]) =>
    waitFor(() => events.find((e) => e.sliceId === sliceId && states.includes(e.to)), {
      timeoutMs: 15_000,
      what: `${sliceId} in ${states.join('/')}`,
    });

  beforeAll(async () => {
    namespace = uniqueNamespace('reconcile');
    client = await nats.connectBus({ namespace, name: 'client' });
    const interpreter = await nats.connectBus({ namespace, name: 'interpreter' });
    interpreter.serve(ENDPOINTS.interpreterInfer, (r) => inferenceReply(r.sliceId), {
      queue: 'interpreter',
    });
    client.subscribe(client.subjects.sliceEventsAll(), SliceEvent, (e) => void events.push(e));
    await client.flush();
    await startInfrastructure(true);
    const orchestrator = createOrchestratorAgent(
      { bus: await nats.connectBus({ namespace, name: 'orchestrator' }) },
      { method: 'first-fit', modelDir: '/nonexistent', reloadIntervalMs: 0 },
    );
    await orchestrator.start();
    agents.push(orchestrator);
    // Short calls and a short retry budget, so that a release to an absent
    // infrastructure fails within the test; the reconciler every second.
    const config = loadConfig({
      SLICEMESH_CALL_TIMEOUT_MS: String(REQUEST_MS),
      SLICEMESH_CALL_RETRY_BUDGET_MS: '1000',
      SLICEMESH_RECONCILE_INTERVAL_MS: String(RECONCILE_MS),
    });
    const managerBus = await nats.connectBus({ namespace, name: 'slice-manager' });
    manager = createSliceManagerAgent(
      { ...agentDeps(managerBus, 'slice-manager', SEED), config },
      sliceManagerConfigFrom(config),
    );
    await manager.start();
  });

  afterAll(async () => {
    await manager.stop();
    await infrastructure.stop();
    for (const agent of agents) await agent.stop();
  });

  it('releases what a failed release left held once the infrastructure is back', async () => {
    await client.jsPublish(
      client.subjects.sliceRequest('default', 'o1'),
      SliceRequest,
      sliceRequest('o1'),
      {
        msgId: 'o1',
      },
    );
    expect((await settled('o1', ['active', 'failed', 'rejected'])).to).toBe('active');
    expect(infrastructure.heldSliceIds()).toEqual(['o1']);

    // The infrastructure goes away (its state saved); the termination's release finds no one.
    await infrastructure.stop();
    await client.jsPublish(
      client.subjects.sliceTerminate('default', 'o1'),
      SliceTermination,
      { type: 'slice.terminate.v2', tenant: 'default', sliceId: 'o1', submittedAt: 2_000 },
      { msgId: 'o1-terminate' },
    );
    const failed = await settled('o1', ['failed', 'released']);
    expect(failed.to).toBe('failed');
    expect(failed.record.error).toMatch(/release failed after .*resources may still be held/);

    // Its saved state, which it comes back with, still holds the slice the manager has as failed.
    const saved = await StateStore.open(client, createLogger({ level: 'error' }));
    const state = await saved.load();
    expect(state?.network.slices.map((slice) => slice.id)).toEqual(['o1']);
    const back = await startInfrastructure(true);
    // Released by the next pass: within a period, plus a pass that may still have been
    // waiting on the absent agent (one request deadline) and some slack for a loaded machine.
    await waitFor(() => back.heldSliceIds().length === 0, {
      timeoutMs: 2 * RECONCILE_MS + REQUEST_MS,
      what: 'the orphaned reservation released',
    });
    // By the reconciler, which found it held (a release that freed something).
    expect(manager.reconcilerCounters().orphansReleased).toBe(1);
    expect(manager.records('failed').map((r) => r.sliceId)).toEqual(['o1']);
    // Idempotent: later passes find nothing more to release.
    const passes = manager.reconcilerCounters().passes;
    await waitFor(() => manager.reconcilerCounters().passes >= passes + 2, {
      timeoutMs: 4 * RECONCILE_MS,
    });
    expect(manager.reconcilerCounters().orphansReleased).toBe(1);
  });

  it('fails an active slice whose resources the infrastructure lost, saying so', async () => {
    await client.jsPublish(
      client.subjects.sliceRequest('default', 'l1'),
      SliceRequest,
      sliceRequest('l1'),
      {
        msgId: 'l1',
      },
    );
    expect((await settled('l1', ['active', 'failed', 'rejected'])).to).toBe('active');
    expect(infrastructure.heldSliceIds()).toEqual(['l1']);

    // Restarted without its saved state: it holds nothing any more.
    await infrastructure.stop();
    const fresh = await startInfrastructure(false);
    expect(fresh.heldSliceIds()).toEqual([]);

    const failed = await settled('l1', ['failed']);
    const causes = events.filter((e) => e.sliceId === 'l1').map((e) => `${e.to}:${e.cause}`);
    expect(causes.slice(-2)).toEqual(['terminating:resources-lost', 'failed:failed']);
    expect(failed.record.error).toBe(
      'the infrastructure holds no resources for the slice: not among the reservations of the infrastructure (found by reconciliation)',
    );
    expect(manager.reconcilerCounters().lost).toBe(1);
    expect(fresh.heldSliceIds()).toEqual([]);
  });
});
