/**
 * The NATS cluster of docker-compose.yml, from its shipped configuration: three
 * nodes each run infra/nats-cluster.conf (which includes infra/nats.conf and the
 * users `security init` generates), with only the host names and ports moved to
 * loopback. They must form one JetStream cluster on which the slice-manager, as
 * itself, creates the mesh's streams and bucket with three copies.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, describe, expect, it } from 'vitest';
import { type Bus, DEFAULT_JETSTREAM_SETTINGS, connectBus } from '../../shared/bus/index.js';
import { OPERATOR_IDENTITY } from '../../shared/contracts/index.js';
import { type NatsServer, startNatsServer } from '../../shared/runtime/embedded/index.js';
import { prepareSecurity, seedFilePath } from '../../shared/runtime/security/index.js';
import { freePort, waitForJetStreamCluster } from '../helpers/nats-cluster.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'slicemesh-compose-cluster-'));
const servers: NatsServer[] = [];
const buses: Bus[] = [];
afterAll(async () => {
  await Promise.allSettled(buses.map((bus) => bus.drain()));
  await Promise.allSettled(servers.map((server) => server.stop()));
  rmSync(dir, { recursive: true, force: true });
});

const NAMESPACE = 'slicemesh';
const NODES = ['nats-1', 'nats-2', 'nats-3'];

describe('the docker-compose NATS cluster configuration', () => {
  it('forms one JetStream cluster on which the mesh keeps three copies of everything', async () => {
    const security = join(dir, 'security');
    prepareSecurity(security, { namespace: NAMESPACE, tenants: ['default'] });
    const clusterPorts = await Promise.all(NODES.map(() => freePort()));
    // nats.conf as shipped, less what startNatsServer passes itself or would collide on one host.
    const natsConf = readFileSync(join(root, 'infra/nats.conf'), 'utf8')
      .replace(/^http_port:.*$/m, '')
      .replace(/^\s*store_dir: .*$/m, '');
    let clusterConf = readFileSync(join(root, 'infra/nats-cluster.conf'), 'utf8');
    NODES.forEach((node, i) => {
      clusterConf = clusterConf.replace(
        `nats-route://${node}:6222`,
        `nats-route://127.0.0.1:${clusterPorts[i]}`,
      );
    });
    expect(clusterConf).not.toMatch(/nats-\d:6222/);

    const previousName = process.env['NATS_SERVER_NAME'];
    try {
      for (const [i, node] of NODES.entries()) {
        // Each node as in its container: nats.conf and the security volume beside its config.
        const etc = join(dir, node, 'etc');
        mkdirSync(etc, { recursive: true });
        writeFileSync(join(etc, 'nats.conf'), natsConf);
        cpSync(security, join(etc, 'security'), { recursive: true });
        writeFileSync(
          join(etc, 'nats-cluster.conf'),
          clusterConf.replace('listen: 0.0.0.0:6222', `listen: 127.0.0.1:${clusterPorts[i]}`),
        );
        // The server name comes from the environment, as compose sets it per service.
        process.env['NATS_SERVER_NAME'] = node;
        servers.push(
          await startNatsServer({
            dataDir: join(dir, node, 'data'),
            configFile: join(etc, 'nats-cluster.conf'),
            graceMs: 3_000,
          }),
        );
      }
    } finally {
      if (previousName === undefined) delete process.env['NATS_SERVER_NAME'];
      else process.env['NATS_SERVER_NAME'] = previousName;
    }
    const urls = servers.map((server) => server.url).join(',');

    const operator = await connectBus({
      url: urls,
      namespace: NAMESPACE,
      name: 'operator',
      identity: OPERATOR_IDENTITY,
      seedFile: seedFilePath(security, OPERATOR_IDENTITY),
    });
    buses.push(operator);
    await waitForJetStreamCluster(operator.connection, NODES.length);

    // The slice-manager, with its own seed and permissions, sets up the streams it owns.
    const manager = await connectBus({
      url: urls,
      namespace: NAMESPACE,
      name: 'slice-manager',
      identity: 'slice-manager',
      seedFile: seedFilePath(security, 'slice-manager'),
      jetstream: { ...DEFAULT_JETSTREAM_SETTINGS, replicas: NODES.length },
    });
    buses.push(manager);
    await manager.ensureStreams();
    const jsm = await jetstreamManager(operator.connection);
    const s = operator.subjects;
    for (const stream of [s.intakeStream, s.eventStream, `KV_${s.snapshotBucket}`]) {
      const info = await jsm.streams.info(stream);
      expect(info.config.num_replicas, stream).toBe(3);
      expect(info.cluster?.name, stream).toBe('slicemesh');
    }
    // Every node is its compose service's name.
    const names = new Set<string>();
    for (const server of servers) {
      const bus = await connectBus({
        url: server.url,
        namespace: NAMESPACE,
        name: 'probe',
        identity: OPERATOR_IDENTITY,
        seedFile: seedFilePath(security, OPERATOR_IDENTITY),
      });
      buses.push(bus);
      names.add(bus.connection.info?.server_name ?? '');
    }
    expect([...names].sort()).toEqual(NODES);
  });
});
