/**
 * A real cluster of nats-servers on loopback, each with JetStream, for tests of
 * replication and fail-over:
 *
 *   const cluster = await startTestNatsCluster({ size: 3 });
 *   cluster.urls                 // "nats://127.0.0.1:a,nats://127.0.0.1:b,…" (NATS_URL)
 *   await cluster.kill(1);       // SIGKILL one node
 *   await cluster.start(1);      // back on the same ports with its data
 *   await cluster.dispose();
 *
 * Each node gets a free client port, a free cluster port, its own store and log in a
 * temp dir, a `server_name`, and routes to every node. Given a `securityConfig` (the
 * nats-auth.conf of `prepareSecurity`), every node has the same users and permissions.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { type NatsServer, startNatsServer } from '../../shared/runtime/embedded/index.js';
import { waitFor } from './wait.js';

export interface ClusterNode {
  readonly name: string;
  /** `nats://127.0.0.1:<port>`; the same across kill() and start(). */
  readonly url: string;
  readonly clusterPort: number;
  readonly dataDir: string;
  /** The running server; undefined while the node is down. */
  readonly server: NatsServer | undefined;
}

export interface TestNatsCluster {
  readonly name: string;
  readonly nodes: readonly ClusterNode[];
  /** Every node's client URL, comma-separated (as NATS_URL takes them). */
  readonly urls: string;
  /** SIGKILLs node `index` (no clean shutdown) and waits until it has exited. */
  kill(index: number): Promise<void>;
  /** Starts node `index` again on its ports, with its data. */
  start(index: number): Promise<void>;
  /** Stops every node and deletes the data. */
  dispose(): Promise<void>;
}

export interface TestNatsClusterOptions {
  /** Number of nodes (default 3). */
  readonly size?: number;
  /** A server configuration to give every node (users and permissions). */
  readonly securityConfig?: string;
}

/** A port nobody listens on right now (loopback). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Starts `size` nodes routed to each other; resolves once every node accepts clients. */
export async function startTestNatsCluster(
  options: TestNatsClusterOptions = {},
): Promise<TestNatsCluster> {
  const size = options.size ?? 3;
  const root = mkdtempSync(join(tmpdir(), 'slicemesh-test-cluster-'));
  const name = `c${process.pid}`;
  const clientPorts: number[] = [];
  const clusterPorts: number[] = [];
  // Ports are drawn one after the other and all kept until the servers bind them, so two
  // draws never return the same port.
  while (clientPorts.length < size) {
    const port = await freePort();
    if (![...clientPorts, ...clusterPorts].includes(port)) clientPorts.push(port);
  }
  while (clusterPorts.length < size) {
    const port = await freePort();
    if (![...clientPorts, ...clusterPorts].includes(port)) clusterPorts.push(port);
  }
  const security =
    options.securityConfig === undefined ? '' : readFileSync(options.securityConfig, 'utf8');
  const routes = clusterPorts.map((p) => `nats-route://127.0.0.1:${p}`);

  const nodes = clientPorts.map((port, i) => {
    const nodeName = `n${i + 1}`;
    const dataDir = join(root, nodeName);
    mkdirSync(dataDir, { recursive: true });
    const configFile = join(dataDir, 'node.conf');
    writeFileSync(
      configFile,
      [
        `server_name: ${nodeName}`,
        'cluster {',
        `  name: ${name}`,
        `  listen: 127.0.0.1:${clusterPorts[i]}`,
        `  routes: [${routes.join(', ')}]`,
        '}',
        security,
      ].join('\n'),
      { mode: 0o600 },
    );
    return {
      name: nodeName,
      url: `nats://127.0.0.1:${port}`,
      port,
      clusterPort: clusterPorts[i]!,
      dataDir,
      configFile,
      server: undefined as NatsServer | undefined,
    };
  });

  const start = async (index: number) => {
    const node = nodes[index];
    if (!node) throw new Error(`no node ${index}`);
    if (node.server) return;
    node.server = await startNatsServer({
      dataDir: node.dataDir,
      port: node.port,
      configFile: node.configFile,
      graceMs: 3_000,
    });
  };
  const stop = async (index: number) => {
    const node = nodes[index];
    const server = node?.server;
    if (!node || !server) return;
    node.server = undefined;
    await server.stop();
  };

  try {
    await Promise.all(nodes.map((_, i) => start(i)));
  } catch (error) {
    await Promise.allSettled(nodes.map((_, i) => stop(i)));
    rmSync(root, { recursive: true, force: true });
    throw error;
  }

  return {
    name,
    nodes,
    urls: nodes.map((n) => n.url).join(','),
    async kill(index) {
      const node = nodes[index];
      const server = node?.server;
      if (!node || !server) return;
      process.kill(server.process.pid, 'SIGKILL');
      await server.process.exited;
      node.server = undefined;
      // The watchdog has nothing left to stop; this only removes the ports file.
      await server.stop();
    },
    start,
    async dispose() {
      await Promise.allSettled(nodes.map((_, i) => stop(i)));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until JetStream of the cluster can place a stream with `replicas` copies: the
 * nodes have elected a meta leader and it knows enough peers. Until then nats-server
 * 2.9 answers stream creation with "JetStream system temporarily unavailable" or
 * "insufficient resources". Probes with a small memory stream it deletes again.
 */
export async function waitForJetStreamCluster(
  nc: NatsConnection,
  replicas: number,
  timeoutMs = 30_000,
): Promise<void> {
  const probe = `CLUSTER_PROBE_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  await waitFor(
    async () => {
      try {
        const jsm = await jetstreamManager(nc, { timeout: 2_000 });
        await jsm.streams.add({
          name: probe,
          subjects: [`probe.${probe}`],
          storage: StorageType.Memory,
          num_replicas: replicas,
        });
        await jsm.streams.delete(probe);
        return true;
      } catch {
        return false;
      }
    },
    { timeoutMs, intervalMs: 250, what: `JetStream with ${replicas} replicas on the cluster` },
  );
}
