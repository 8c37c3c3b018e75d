/**
 * The interpreter agent as a NATS queue-group service, against a real
 * nats-server and a real Chroma.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { errorFromReply } from '../../shared/bus/index.js';
import { isSliceMeshError } from '../../shared/contracts/errors.js';
import { InferenceReply, InferenceRequest } from '../../shared/contracts/messages.js';
import { createWinkEmbeddingProvider } from '../../shared/embeddings/index.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { connectChromaStore } from '../../shared/vectorstore/index.js';
import {
  createInterpreterAgent,
  interpreterConfigFrom,
  createOfflineReasoner,
  type InterpreterAgent,
  type Reasoner,
} from '../../agents/interpreter/index.js';
import { useChromaServer } from '../helpers/chroma.js';
import { uniqueNamespace, useNatsServer } from '../helpers/nats.js';

const nats = useNatsServer();
const chroma = useChromaServer();
const dataDir = fileURLToPath(new URL('../../.data', import.meta.url));
const cacheDir = `${dataDir}/embeddings`;
const knowledge = fileURLToPath(
  new URL('../../scenarios/knowledge/intents.jsonl', import.meta.url),
);
const agents: InterpreterAgent[] = [];
afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
});

/** The offline reasoner, counting the requests this instance served. */
function countingReasoner(): Reasoner & { calls: number } {
  const inner = createOfflineReasoner();
  const r = {
    name: inner.name,
    calls: 0,
    reason: (input: Parameters<Reasoner['reason']>[0]) => ((r.calls += 1), inner.reason(input)),
  };
  return r;
}

describe('interpreter agent', () => {
  it('serves inference requests from a queue group of instances and answers bad input with typed errors', async () => {
    const namespace = uniqueNamespace('interp');
    const provider = createWinkEmbeddingProvider({ cacheDir });
    const store = await connectChromaStore({ url: chroma.url });
    const reasoners = [countingReasoner(), countingReasoner()];
    for (const reasoner of reasoners) {
      const bus = await nats.connectBus({ namespace, name: `interpreter-${agents.length}` });
      const agent = createInterpreterAgent({ bus, provider, store, reasoner }, { knowledge });
      agents.push(agent);
      await agent.start();
      expect(agent.state).toBe('running');
    }

    const client = await nats.connectBus({ namespace, name: 'client' });
    const subject = client.subjects.interpreterInfer();
    const texts = [
      'Protection signalling between two substations, trip in under 8 ms',
      'Twenty 4K cameras streaming to the monitoring centre',
      '10,000 battery-powered soil sensors, lowest possible cost',
      'AR maintenance headsets for the turbine hall',
    ];
    const replies = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        client.request(
          subject,
          InferenceRequest,
          {
            type: 'interpreter.infer.request.v1',
            sliceId: `s-${i}`,
            text: texts[i % texts.length] ?? '',
          },
          InferenceReply,
          { timeoutMs: 30_000 },
        ),
      ),
    );
    replies.forEach((reply, i) => {
      expect(reply.sliceId).toBe(`s-${i}`);
      expect(reply.degraded).toBe(false);
      expect(reply.neighbours.length).toBeGreaterThan(0);
    });
    expect(replies.slice(0, 4).map((r) => r.profile.serviceType)).toEqual([
      'URLLC',
      'eMBB',
      'mMTC',
      'eMBB',
    ]);
    // Both members of the queue group took part.
    expect(reasoners.every((r) => r.calls > 0)).toBe(true);
    expect(reasoners.reduce((n, r) => n + r.calls, 0)).toBe(24);

    const sla = await client.request(
      subject,
      InferenceRequest,
      {
        type: 'interpreter.infer.request.v1',
        sliceId: 'sla',
        text: texts[1] ?? '',
        sla: { latency: 'high', serviceType: 'URLLC' },
      },
      InferenceReply,
    );
    expect(sla.profile).toMatchObject({ latency: 'high', serviceType: 'URLLC' });

    // Invalid requests never reach the graph: the bus answers with a typed error reply.
    for (const [bad, code] of [
      [{ type: 'interpreter.infer.request.v1', sliceId: 'bad-1', text: '   ' }, 'invalid-message'],
      // Too long a text: the code the interpreter gives it in process, and the CLI.
      [
        { type: 'interpreter.infer.request.v1', sliceId: 'bad-2', text: 'x'.repeat(30_000) },
        'payload-too-large',
      ],
      [
        { type: 'interpreter.infer.request.v1', sliceId: 'bad 3', text: 'robots' },
        'invalid-message',
      ],
    ] as const) {
      const msg = await client.connection.request(subject, JSON.stringify(bad), {
        timeout: 10_000,
      });
      const error = errorFromReply(msg.data, msg.headers, subject);
      expect(isSliceMeshError(error) && error.code).toBe(code);
    }
    expect(reasoners.reduce((n, r) => n + r.calls, 0)).toBe(25);

    for (const agent of agents.splice(0)) {
      await agent.stop();
      expect(agent.state).toBe('stopped');
      expect(await agent.stopped).toBeNull();
    }
  });

  it('opens its own provider, store and reasoner from the configuration, as the roles registry does', async () => {
    const namespace = uniqueNamespace('interp-cfg');
    const config = loadConfig({
      CHROMA_URL: chroma.url,
      SLICEMESH_DATA_DIR: dataDir,
      SLICEMESH_NAMESPACE: namespace,
    });
    const bus = await nats.connectBus({ namespace, name: 'interpreter-cfg' });
    const agent = createInterpreterAgent({ bus, config }, interpreterConfigFrom(config));
    agents.push(agent);
    await agent.start();
    expect(agent.interpreter?.reasoner).toBe('offline-knn');
    const client = await nats.connectBus({ namespace, name: 'client-cfg' });
    const reply = await client.request(
      client.subjects.interpreterInfer(),
      InferenceRequest,
      {
        type: 'interpreter.infer.request.v1',
        sliceId: 'cfg-1',
        text: 'Smart meters for 50,000 homes, cheapest tariff',
      },
      InferenceReply,
      { timeoutMs: 30_000 },
    );
    expect(reply.profile.serviceType).toBe('mMTC');
    await agent.stop();
    expect(agent.state).toBe('stopped');
  });
});
