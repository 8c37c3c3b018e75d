import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type Bus,
  type BusOptions,
  DEFAULT_JETSTREAM_SETTINGS,
  connectBus,
} from '../../shared/bus/index.js';
import { SliceRequest } from '../../shared/contracts/messages.js';
import {
  type TestNatsCluster,
  startTestNatsCluster,
  waitForJetStreamCluster,
} from '../helpers/nats-cluster.js';
import { uniqueNamespace } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

let cluster: TestNatsCluster;
const buses: Bus[] = [];

beforeAll(async () => {
  cluster = await startTestNatsCluster({ size: 3 });
  const probe = await connect({ name: 'probe' });
  await waitForJetStreamCluster(probe.connection, 3);
});

afterAll(async () => {
  await Promise.allSettled(buses.map((bus) => bus.connection.close()));
  await cluster?.dispose();
});

async function connect(options: Partial<BusOptions> = {}): Promise<Bus> {
  const bus = await connectBus({
    url: cluster.urls,
    namespace: options.namespace ?? uniqueNamespace('rep'),
    name: 'test',
    ...options,
  });
  buses.push(bus);
  return bus;
}

const replicated = (replicas: number) => ({ ...DEFAULT_JETSTREAM_SETTINGS, replicas });

const request = (sliceId: string): SliceRequest => ({
  type: 'slice.request.v2',
  tenant: 'default',
  sliceId,
  text: `slice ${sliceId} for a robot cell`,
  submittedAt: 1_700_000_000_000,
});

const Ping = z.object({ type: z.literal('ping.v1'), n: z.number() });

describe('JetStream replicas on a 3-node cluster', () => {
  it('creates the mesh streams and KV buckets with the configured replica count', async () => {
    const bus = await connect({ jetstream: replicated(3) });
    await bus.ensureStreams();
    await bus.kv(`${bus.subjects.snapshotBucket}_EXTRA`, Ping);
    const jsm = await jetstreamManager(bus.connection);
    for (const stream of [
      bus.subjects.intakeStream,
      bus.subjects.eventStream,
      `KV_${bus.subjects.snapshotBucket}`,
      `KV_${bus.subjects.snapshotBucket}_EXTRA`,
    ]) {
      expect((await jsm.streams.info(stream)).config.num_replicas, stream).toBe(3);
      // A leader and two followers, on three different nodes (once its group has elected).
      const info = await waitFor(
        async () => {
          const current = await jsm.streams.info(stream);
          return current.cluster?.leader && current.cluster.replicas?.length === 2
            ? current
            : undefined;
        },
        { what: `a leader and two replicas of ${stream}` },
      );
      const servers = [info.cluster!.leader, ...info.cluster!.replicas!.map((r) => r.name)];
      expect(new Set(servers).size, stream).toBe(3);
    }
  });

  it('raises the replicas of a mesh that ran with one copy, keeping its messages', async () => {
    const single = await connect({ jetstream: replicated(1) });
    await single.ensureStreams();
    const s = single.subjects;
    for (let i = 0; i < 5; i++)
      await single.jsPublish(s.sliceRequest('default', `r${i}`), SliceRequest, request(`r${i}`), {
        msgId: `r${i}`,
      });
    const jsm = await jetstreamManager(single.connection);
    expect((await jsm.streams.info(s.intakeStream)).config.num_replicas).toBe(1);
    expect((await jsm.streams.info(`KV_${s.snapshotBucket}`)).config.num_replicas).toBe(1);

    const clustered = await connect({ namespace: single.namespace, jetstream: replicated(3) });
    await clustered.ensureStreams();
    for (const stream of [s.intakeStream, s.eventStream, `KV_${s.snapshotBucket}`])
      expect((await jsm.streams.info(stream)).config.num_replicas, stream).toBe(3);
    const intake = await jsm.streams.info(s.intakeStream);
    expect(intake.state.messages).toBe(5);
  });

  it('lists a bucket’s keys while a node is down, deleted keys left out', async () => {
    const bus = await connect({ jetstream: replicated(3) });
    const kv = await bus.kv(`${bus.subjects.snapshotBucket}_KEYS`, Ping);
    for (const key of ['k1', 'k2', 'k3', 'k4']) await kv.put(key, { type: 'ping.v1', n: 1 });
    await kv.delete('k2');
    expect(await kv.keys()).toEqual(['k1', 'k3', 'k4']);

    const connectedTo = bus.connection.info?.server_name;
    const index = cluster.nodes.findIndex((node) => node.name !== connectedTo);
    await cluster.kill(index);
    try {
      // nats-server up to 2.11 may place an ephemeral consumer (what kv.keys() of nats.js
      // runs) on the dead node: about one listing in three timed out that way. Every one of
      // these must answer, once the bucket has a leader again.
      await waitFor(
        async () => {
          try {
            await kv.put('k5', { type: 'ping.v1', n: 5 });
            return true;
          } catch {
            return false;
          }
        },
        { timeoutMs: 20_000, what: 'the bucket to elect a leader among the surviving nodes' },
      );
      for (let i = 0; i < 12; i++) expect(await kv.keys()).toEqual(['k1', 'k3', 'k4', 'k5']);
    } finally {
      await cluster.start(index);
    }
  });

  it('a client given every node fails over when its node is killed, and nothing it stored is lost', async () => {
    const server = await connect({ name: 'server', jetstream: replicated(3) });
    await server.ensureStreams();
    const client = await connect({ name: 'client', namespace: server.namespace });
    const subject = `${server.namespace}.ping`;
    server.serve(subject, Ping, Ping, (msg) => ({ type: 'ping.v1' as const, n: msg.n + 1 }));
    await server.flush();
    // Interest travels between the nodes asynchronously: the client's node may learn of the
    // server's subscription a moment after the server's node did.
    const pingAnswered = (n: number) =>
      waitFor(
        async () => {
          try {
            const reply = await client.request(subject, Ping, { type: 'ping.v1', n }, Ping, {
              timeoutMs: 1_000,
            });
            return reply.n === n + 1;
          } catch {
            return false;
          }
        },
        { timeoutMs: 15_000, what: 'request/reply across the cluster' },
      );
    await pingAnswered(1);
    const s = server.subjects;
    const publish = (id: string) =>
      client.jsPublish(s.sliceRequest('default', id), SliceRequest, request(id), {
        msgId: id,
        retryForMs: 30_000,
      });
    for (let i = 0; i < 10; i++) await publish(`before${i}`);
    // Made now: it asks JetStream's meta leader first, which may be the node about to die.
    const jsm = await jetstreamManager(client.connection);

    // Kill the node the client is connected to: it must reconnect to another one by itself.
    const connectedTo = client.connection.info?.server_name;
    const index = cluster.nodes.findIndex((node) => node.name === connectedTo);
    expect(index).toBeGreaterThanOrEqual(0);
    await cluster.kill(index);
    await waitFor(
      () =>
        !client.connection.isClosed() &&
        client.connection.info?.server_name !== undefined &&
        client.connection.info.server_name !== connectedTo,
      { timeoutMs: 15_000, what: 'the client to reconnect to another node' },
    );
    for (let i = 0; i < 10; i++) await publish(`after${i}`);
    await pingAnswered(41);
    const info = await waitFor(
      async () => {
        try {
          return await jsm.streams.info(s.intakeStream);
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 15_000, what: 'the intake stream on the surviving nodes' },
    );
    expect(info.state.messages).toBe(20);
    await cluster.start(index);
  });
});
