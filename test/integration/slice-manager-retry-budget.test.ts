/**
 * A role restarting under a slice: the orchestrator takes a placement
 * request and goes away without answering (killed mid-request), stays away
 * for about 3 s, and comes back. The slice-manager, with its settings from
 * the environment defaults (only the call timeout shortened), keeps retrying
 * within its retry budget — the retries in between find no responders — and
 * the slice becomes active.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENDPOINTS,
  SliceEvent,
  SliceRequest,
  type PlacementRequest,
} from '../../shared/contracts/index.js';
import type { Bus, Subscription } from '../../shared/bus/index.js';
import { newInstanceId } from '../../shared/runtime/agent.js';
import { systemClock } from '../../shared/runtime/clock.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import {
  createSliceManagerAgent,
  sliceManagerConfigFrom,
  type SliceManagerAgent,
} from '../../agents/slice-manager/index.js';
import { uniqueNamespace, useNatsServer } from '../helpers/nats.js';
import {
  inferenceReply,
  plannedReply,
  sliceRequest,
  appliedReply,
  releaseReply,
} from '../helpers/slice-doubles.js';
import { waitFor } from '../helpers/wait.js';

const nats = useNatsServer();
/** How long the orchestrator is away: the restart the fault injection measured (2-3 s). */
const OUTAGE_MS = 3_000;

describe('a role restarted while a slice needs it', () => {
  let client: Bus;
  let roles: Bus;
  let orchestratorBus: Bus;
  let manager: SliceManagerAgent;
  const served: Subscription[] = [];
  const events: SliceEvent[] = [];
  /** Placement requests each orchestrator "process" received. */
  const received: { killed: PlacementRequest[]; restarted: PlacementRequest[] } = {
    killed: [],
    restarted: [],
  };
  let unblockKilled: () => void = () => undefined;

  beforeAll(async () => {
    const namespace = uniqueNamespace('retry');
    [client, roles, orchestratorBus] = await Promise.all([
      nats.connectBus({ namespace, name: 'client' }),
      nats.connectBus({ namespace, name: 'roles' }),
      nats.connectBus({ namespace, name: 'orchestrator' }),
    ]);
    const queue = (role: 'interpreter' | 'infrastructure') => ({ queue: role });
    served.push(
      roles.serve(
        ENDPOINTS.interpreterInfer,
        (r) => inferenceReply(r.sliceId),
        queue('interpreter'),
      ),
      roles.serve(ENDPOINTS.infraApply, (r) => appliedReply(r.sliceId), queue('infrastructure')),
      roles.serve(ENDPOINTS.infraRelease, (r) => releaseReply(r.sliceId), queue('infrastructure')),
    );
    client.subscribe(client.subjects.sliceEventsAll(), SliceEvent, (e) => void events.push(e));
    await client.flush();
    const config = loadConfig({ SLICEMESH_CALL_TIMEOUT_MS: '1000' });
    const managerBus = await nats.connectBus({ namespace, name: 'slice-manager' });
    manager = createSliceManagerAgent(
      {
        role: 'slice-manager',
        instanceId: newInstanceId('slice-manager'),
        bus: managerBus,
        tracer: managerBus.tracer,
        clock: systemClock,
        logger: silentLogger,
        seed: 1,
        config,
      },
      sliceManagerConfigFrom(config),
    );
    await manager.start();
  });

  afterAll(async () => {
    unblockKilled();
    await manager.stop();
    await Promise.allSettled(served.map((s) => s.stop()));
  });

  it('the slice still becomes active after the orchestrator was away for about 3 s', async () => {
    // The first orchestrator takes the request and never answers: it is killed holding it.
    let killed!: Subscription;
    const hold = new Promise<void>((resolve) => (unblockKilled = resolve));
    const tookRequest = new Promise<void>((resolve) => {
      killed = orchestratorBus.serve(
        ENDPOINTS.orchestratorPlace,
        async (request) => {
          received.killed.push(request);
          resolve();
          await hold;
          return plannedReply(request.sliceId, request.minViewVersion);
        },
        { queue: 'orchestrator' },
      );
    });
    await orchestratorBus.flush();

    await client.jsPublish(
      client.subjects.sliceRequest('default', 'r1'),
      SliceRequest,
      sliceRequest('r1'),
      {
        msgId: 'r1',
      },
    );
    await tookRequest;
    // Gone from the subject at once (its held request stays unanswered).
    void killed.stop();
    const downAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));

    // The restarted orchestrator answers.
    served.push(
      orchestratorBus.serve(
        ENDPOINTS.orchestratorPlace,
        (request) => {
          received.restarted.push(request);
          return plannedReply(request.sliceId, request.minViewVersion);
        },
        { queue: 'orchestrator' },
      ),
    );
    const upAt = Date.now();
    const settled = await waitFor(
      () => events.find((e) => e.sliceId === 'r1' && ['active', 'failed'].includes(e.to)),
      { timeoutMs: 30_000, what: 'r1 settled' },
    );
    expect(settled.to, settled.record.error).toBe('active');
    expect(upAt - downAt).toBeGreaterThanOrEqual(OUTAGE_MS);
    expect(received.killed).toHaveLength(1);
    expect(received.restarted).toHaveLength(1);
    expect(manager.records('failed')).toEqual([]);
    // Planned once (no failure and re-request): the outage cost retries, not the slice.
    const states = events.filter((e) => e.sliceId === 'r1').map((e) => e.to);
    expect(states).toEqual(['requested', 'interpreting', 'planning', 'deploying', 'active']);
  });
});
