/**
 * The incremental-memory loop over real NATS and a real Chroma: a slice
 * outcome published on the bus becomes a memory-bank entry, and the next
 * interpretation of a similar request retrieves it and moves toward it.
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
  type PreferenceVector,
} from '../../shared/contracts/index.js';
import { createWinkEmbeddingProvider } from '../../shared/embeddings/index.js';
import { newInstanceId } from '../../shared/runtime/agent.js';
import { systemClock } from '../../shared/runtime/clock.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import { ATTR, SPAN, instrument } from '../../shared/telemetry/index.js';
import { connectChromaStore } from '../../shared/vectorstore/chroma-store.js';
import { collectionNames, type VectorStore } from '../../shared/vectorstore/types.js';
import { useChromaServer } from '../helpers/chroma.js';
import { uniqueNamespace, useNatsServer } from '../helpers/nats.js';
import { testTracing } from '../helpers/tracing.js';
import { waitFor } from '../helpers/wait.js';

const nats = useNatsServer();
const chroma = useChromaServer();
const tracing = testTracing('memory-integration');
const tracer = tracing.tracerProvider.getTracer('test');
afterAll(() => tracing.shutdown());

// The shipped default provider, so the merge threshold is exercised in its real vector space.
const provider = createWinkEmbeddingProvider({
  cacheDir: fileURLToPath(new URL('../../.data/embeddings', import.meta.url)),
});

let store: VectorStore;
beforeAll(async () => {
  store = await connectChromaStore({ url: chroma.url });
});

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop()));
});

interface Mesh {
  readonly namespace: string;
  readonly client: Bus;
  readonly curator: MemoryCuratorAgent;
  readonly interpreter: InterpreterAgent;
}

/** Interpreter and memory-curator on their own connections, plus a client bus, in a fresh namespace. */
async function startMesh(): Promise<Mesh> {
  const namespace = uniqueNamespace('mem');
  const [client, interpreterBus, curatorBus] = await Promise.all(
    ['client', 'interpreter', 'curator'].map((name) =>
      nats.connectBus({ namespace, name, tracer }),
    ),
  );
  if (!client || !interpreterBus || !curatorBus) throw new Error('bus not connected');
  const interpreter = createInterpreterAgent(
    { bus: interpreterBus, provider, store, reasoner: createOfflineReasoner(), tracer },
    { knowledge: DEFAULT_KNOWLEDGE_PATH },
  );
  running.push(interpreter);
  await interpreter.start();
  const curator = createMemoryCuratorAgent(
    {
      role: 'memory-curator',
      instanceId: newInstanceId('memory-curator'),
      bus: curatorBus,
      tracer,
      clock: systemClock,
      logger: silentLogger,
      seed: 1,
      config: loadConfig({}),
      provider,
      store,
    },
    { ...DEFAULT_MEMORY_OPTIONS, mergeSimilarity: 0.93, maxEntries: 100 },
  );
  running.push(curator);
  await curator.start();
  return { namespace, client, curator, interpreter };
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

/** Publishes an outcome inside its own span, as the slice-manager does in a slice's trace. */
function publishOutcome(mesh: Mesh, outcome: SliceOutcome): Promise<string> {
  return instrument(tracer, 'test.slice', { [ATTR.sliceId]: outcome.sliceId }, (span) => {
    mesh.client.publish(mesh.client.subjects.sliceOutcome(outcome.sliceId), SliceOutcome, outcome);
    return span.spanContext().traceId;
  });
}

const distance = (a: PreferenceVector, b: PreferenceVector) =>
  Math.hypot(
    a.latency - b.latency,
    a.reliability - b.reliability,
    a.economics - b.economics,
    a.throughput - b.throughput,
  );

const REQUEST =
  'Set up a slice for the wireless control loop of the robotic welding arms on line 3.';
const SIMILAR =
  'A slice for the wireless control loop of the robotic welding arms on line 4, please.';
// Deliberately unlike what the knowledge base says about robot control (latency first).
const LEARNED: PreferenceVector = {
  latency: 0.15,
  reliability: 0.65,
  economics: 0.1,
  throughput: 0.1,
};
const PROFILE = {
  serviceType: 'URLLC',
  latency: 'high',
  reliability: 'high',
  cost: 'general',
} as const;

function outcome(sliceId: string, overrides: Partial<SliceOutcome> = {}): SliceOutcome {
  return {
    type: 'slice.outcome.v1',
    sliceId,
    at: Date.now(),
    text: SIMILAR,
    preference: LEARNED,
    profile: PROFILE,
    served: true,
    observed: { latencyMs: 14, cost: 24, reliabilityCost: 0 },
    ...overrides,
  };
}

describe('memory-curator with the interpreter (NATS + Chroma)', () => {
  it('turns an outcome into a memory entry that changes the next interpretation', async () => {
    const mesh = await startMesh();
    const before = await interpret(mesh, 'probe-1', REQUEST);
    expect(before.neighbours.every((n) => n.source === 'knowledge')).toBe(true);

    const traceId = await publishOutcome(mesh, outcome('welding-7'));
    await waitFor(() => mesh.curator.stats().inserted === 1, { what: 'the outcome to be stored' });

    const after = await interpret(mesh, 'probe-2', REQUEST);
    const remembered = after.neighbours.find((n) => n.source === 'memory');
    expect(remembered?.id).toMatch(/^mem-welding-7-/);
    expect(remembered?.similarity).toBeGreaterThan(0.9);
    expect(distance(after.preference, LEARNED)).toBeLessThan(distance(before.preference, LEARNED));
    expect(after.preference.reliability).toBeGreaterThan(before.preference.reliability);

    // The update is part of the slice's trace.
    const curate = tracing
      .spansNamed(SPAN.memoryCurate)
      .find((s) => s.attributes[ATTR.sliceId] === 'welding-7');
    expect(curate?.spanContext().traceId).toBe(traceId);
    expect(curate?.attributes[ATTR.memoryAction]).toBe('inserted');
  });

  it('merges a near-duplicate, ignores a redelivery and never stores an unserved outcome', async () => {
    const mesh = await startMesh();
    const memory = await store.collection(collectionNames(mesh.namespace).memory, { provider });
    const first = outcome('line-a');
    await publishOutcome(mesh, first);
    await waitFor(() => mesh.curator.stats().inserted === 1, { what: 'the first outcome' });

    await publishOutcome(mesh, first); // redelivered
    await publishOutcome(
      mesh,
      outcome('line-b', {
        text: 'A slice for the wireless control loop of the robotic welding arms on line 5, please.',
        preference: { latency: 0.35, reliability: 0.45, economics: 0.1, throughput: 0.1 },
      }),
    );
    await publishOutcome(mesh, outcome('line-c', { served: false }));
    await waitFor(() => mesh.curator.stats().outcomes === 4, { what: 'all four outcomes' });

    expect(mesh.curator.stats()).toMatchObject({
      inserted: 1,
      duplicates: 1,
      merged: 1,
      skippedUnserved: 1,
      failed: 0,
    });
    const stored = (await memory.get()).flatMap((r) => decodeMemoryEntry(r) ?? []);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.observations).toBe(2);
    expect(stored[0]?.contributions.map((c) => c.sliceId).sort()).toEqual(['line-a', 'line-b']);
    // Between the two served preferences, nearer neither end than the mean allows.
    expect(stored[0]?.preference.latency).toBeGreaterThan(LEARNED.latency);
    expect(stored[0]?.preference.latency).toBeLessThan(0.35);
  });
});
