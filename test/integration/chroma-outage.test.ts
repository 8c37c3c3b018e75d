/**
 * Chroma goes down for a few seconds while the mesh works, over a real
 * nats-server and a real Chroma that is stopped and started again on the same
 * port with the same data: the interpreter keeps answering (degraded, from its
 * in-process index of the knowledge base, saying the memory bank was
 * unavailable), is not degraded once Chroma is back, and the memory-curator
 * writes every outcome published during the outage once it can.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createInterpreterAgent,
  createOfflineReasoner,
  DEFAULT_KNOWLEDGE_PATH,
  type InterpreterAgent,
} from '../../agents/interpreter/index.js';
import {
  createMemoryCuratorAgent,
  DEFAULT_MEMORY_OPTIONS,
  decodeMemoryEntry,
  type MemoryCuratorAgent,
} from '../../agents/memory-curator/index.js';
import type { Bus } from '../../shared/bus/index.js';
import {
  InferenceReply,
  InferenceRequest,
  SliceOutcome,
  type SliceProfile,
} from '../../shared/contracts/index.js';
import { createWinkEmbeddingProvider } from '../../shared/embeddings/index.js';
import { newInstanceId } from '../../shared/runtime/agent.js';
import { systemClock } from '../../shared/runtime/clock.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import { connectChromaStore } from '../../shared/vectorstore/chroma-store.js';
import { collectionNames, type VectorStore } from '../../shared/vectorstore/types.js';
import { useChromaServer } from '../helpers/chroma.js';
import { uniqueNamespace, useNatsServer } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

const nats = useNatsServer();
const chroma = useChromaServer();
const provider = createWinkEmbeddingProvider({
  cacheDir: fileURLToPath(new URL('../../.data/embeddings', import.meta.url)),
});

let store: VectorStore;
beforeAll(async () => {
  store = await connectChromaStore({ url: chroma.url });
});

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await chroma.start(); // a failed test must not leave the next one without Chroma
  await Promise.all(running.splice(0).map((a) => a.stop()));
});
afterAll(async () => {
  await store.close();
});

/** The outage lasts this long: well beyond what the curator used to retry (5 attempts, ≈ 0.75 s here). */
const OUTAGE_MS = 4_000;
/** One request interpreted and one outcome published this often during the outage. */
const PACE_MS = 250;

interface Mesh {
  readonly client: Bus;
  readonly interpreter: InterpreterAgent;
  readonly curator: MemoryCuratorAgent;
  readonly namespace: string;
}

async function startMesh(): Promise<Mesh> {
  const namespace = uniqueNamespace('outage');
  const [client, interpreterBus, curatorBus] = await Promise.all(
    ['client', 'interpreter', 'curator'].map((name) => nats.connectBus({ namespace, name })),
  );
  if (!client || !interpreterBus || !curatorBus) throw new Error('bus not connected');
  const interpreter = createInterpreterAgent(
    {
      bus: interpreterBus,
      provider,
      store,
      reasoner: createOfflineReasoner(),
      logger: silentLogger,
    },
    { knowledge: DEFAULT_KNOWLEDGE_PATH, guard: { timeoutMs: 2_000, retryAfterMs: 200 } },
  );
  running.push(interpreter);
  await interpreter.start();
  const curator = createMemoryCuratorAgent(
    {
      role: 'memory-curator',
      instanceId: newInstanceId('memory-curator'),
      bus: curatorBus,
      tracer: curatorBus.tracer,
      clock: systemClock,
      logger: silentLogger,
      seed: 1,
      config: loadConfig({}),
      provider,
      store,
    },
    {
      ...DEFAULT_MEMORY_OPTIONS,
      maxEntries: 1_000,
      minBatchIntervalMs: 0,
      retryDelayMs: 50,
      maxRetryDelayMs: 400,
    },
  );
  running.push(curator);
  await curator.start();
  return { client, interpreter, curator, namespace };
}

function interpret(mesh: Mesh, sliceId: string, text: string): Promise<InferenceReply> {
  return mesh.client.request(
    mesh.client.subjects.interpreterInfer(),
    InferenceRequest,
    { type: 'interpreter.infer.request.v1', sliceId, text },
    InferenceReply,
    { timeoutMs: 30_000 },
  );
}

const REQUESTS: readonly { text: string; profile: SliceProfile }[] = [
  {
    text: 'Closed-loop control of the palletising robots, 5 ms cycle, no lost commands',
    profile: { serviceType: 'URLLC', latency: 'high', reliability: 'high', cost: 'general' },
  },
  {
    text: 'Twenty 4K inspection cameras streaming to the quality lab',
    profile: { serviceType: 'eMBB', latency: 'medium', reliability: 'medium', cost: 'general' },
  },
  {
    text: '8,000 battery-powered soil moisture sensors reporting hourly, lowest possible cost',
    profile: {
      serviceType: 'mMTC',
      latency: 'best-effort',
      reliability: 'best-effort',
      cost: 'cost-sensitive',
    },
  },
  {
    text: 'Protection signalling between the two substations, trip in under 8 ms',
    profile: { serviceType: 'URLLC', latency: 'high', reliability: 'high', cost: 'general' },
  },
];

function outcomeFor(sliceId: string, i: number): SliceOutcome {
  const request = REQUESTS[i % REQUESTS.length] ?? REQUESTS[0];
  if (request === undefined) throw new Error('no requests');
  return {
    type: 'slice.outcome.v1',
    sliceId,
    at: Date.now(),
    text: `${request.text} (cell ${i})`,
    preference: { latency: 0.4, reliability: 0.3, economics: 0.2, throughput: 0.1 },
    profile: request.profile,
    served: true,
    observed: { latencyMs: 12, cost: 20, reliabilityCost: 0 },
  };
}

/** Runs `step(i)` every PACE_MS for OUTAGE_MS with Chroma stopped, then starts it again. */
async function duringOutage(step: (i: number) => Promise<void>): Promise<number> {
  await chroma.stop();
  const stoppedAt = Date.now();
  let i = 0;
  for (; Date.now() - stoppedAt < OUTAGE_MS; i++) {
    await step(i);
    await new Promise((resolve) => setTimeout(resolve, PACE_MS));
  }
  return i;
}

describe('Chroma outage', () => {
  it('interprets every request degraded from the in-process knowledge base, and normally once Chroma is back', async () => {
    const mesh = await startMesh();
    // Before: the memory bank is empty, so an answer rests on the knowledge base alone.
    const before = await Promise.all(REQUESTS.map((r, i) => interpret(mesh, `pre-${i}`, r.text)));
    expect(before.every((r) => !r.degraded)).toBe(true);

    const during: InferenceReply[] = [];
    await duringOutage(async (i) => {
      during.push(await interpret(mesh, `out-${i}`, REQUESTS[i % REQUESTS.length]?.text ?? ''));
    });
    await chroma.start();

    // Every request was answered, degraded, from the same knowledge as before.
    expect(during.length).toBeGreaterThanOrEqual(REQUESTS.length);
    during.forEach((reply, i) => {
      const normal = before[i % REQUESTS.length];
      expect(reply.degraded).toBe(true);
      expect(reply.rationale).toMatch(/memory bank unavailable/);
      expect(reply.neighbours.map((n) => n.id)).toEqual(normal?.neighbours.map((n) => n.id));
      expect(reply.profile).toEqual(normal?.profile);
      for (const d of ['latency', 'reliability', 'economics', 'throughput'] as const)
        expect(reply.preference[d]).toBeCloseTo(normal?.preference[d] ?? NaN, 5);
    });

    // Back: answers are not degraded again.
    await waitFor(async () => !(await interpret(mesh, 'probe', REQUESTS[0]?.text ?? '')).degraded, {
      what: 'an answer that is not degraded',
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    const after = await Promise.all(REQUESTS.map((r, i) => interpret(mesh, `post-${i}`, r.text)));
    expect(after.map((r) => r.degraded)).toEqual(REQUESTS.map(() => false));
    expect(after).toEqual(before.map((r, i) => ({ ...r, sliceId: `post-${i}` })));
  });

  it('remembers every outcome published while Chroma is down once it is back', async () => {
    const mesh = await startMesh();
    const memory = await store.collection(collectionNames(mesh.namespace).memory, { provider });
    const remembered = async () => {
      const entries = (await memory.get()).flatMap((r) => decodeMemoryEntry(r) ?? []);
      return {
        entries,
        ids: new Set(entries.flatMap((e) => e.contributions.map((c) => c.sliceId))),
      };
    };
    const published: string[] = [];
    let waitingAtTheEnd = -1;
    await duringOutage((i) => {
      const sliceId = `outage-${i}`;
      mesh.client.publish(
        mesh.client.subjects.sliceOutcome(sliceId),
        SliceOutcome,
        outcomeFor(sliceId, i),
      );
      published.push(sliceId);
      return Promise.resolve();
    });
    waitingAtTheEnd = mesh.curator.stats().pending;
    await chroma.start();

    await waitFor(
      async () => {
        const { ids } = await remembered();
        return published.every((id) => ids.has(id));
      },
      { what: 'every outcome of the outage in the memory bank', timeoutMs: 20_000 },
    );
    // The bank shows a batch's write a moment before the curator has settled it.
    await waitFor(() => mesh.curator.stats().pending === 0, { what: 'the queue to drain' });
    // None was given up, each counted once, nothing waits any more; while Chroma was down they
    // all waited (the last one was published a moment before the count).
    expect(mesh.curator.stats()).toMatchObject({
      outcomes: published.length,
      failed: 0,
      pending: 0,
    });
    expect(waitingAtTheEnd).toBeGreaterThanOrEqual(published.length - 1);
    const { entries } = await remembered();
    expect(entries.reduce((n, e) => n + e.observations, 0)).toBe(published.length);

    // And the interpreter finds them.
    const recalled = await interpret(mesh, 'recall', outcomeFor('x', 0).text);
    expect(recalled.degraded).toBe(false);
    expect(recalled.neighbours.some((n) => n.source === 'memory')).toBe(true);
  });
});
