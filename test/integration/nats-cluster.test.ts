/**
 * The mesh on a three-node NATS cluster, one node killed mid-replay.
 *
 * Three nats-servers (2.9, JetStream, routes between them) with the users and
 * permissions `security init` generates; every role connects as itself, given
 * all three URLs, and the mesh keeps three copies of every stream and bucket.
 * The paper's 20-request case study is replayed; once half of the requests are
 * in, the node leading the intake stream is SIGKILLed. Judged against what was
 * submitted: every request ends where the case-study model says (placed →
 * active, refused → rejected), each request and each transition is stored once,
 * and the streams carry on, three copies wide, on the surviving nodes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busReplayMesh } from '../../cli/replay/bus-mesh.js';
import { roles } from '../../cli/roles.js';
import { type ReplayRun, runReplay } from '../../cli/replay/runner.js';
import { type Bus, connectBus } from '../../shared/bus/index.js';
import { OPERATOR_IDENTITY, SliceEvent, SliceMeshError } from '../../shared/contracts/index.js';
import { evaluate } from '../../shared/model/report/index.js';
import type { SliceResult } from '../../shared/model/index.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { jetstreamSettings } from '../../shared/runtime/jetstream.js';
import { launchRoles } from '../../shared/runtime/launch.js';
import { createLogger } from '../../shared/runtime/logger.js';
import { createShutdownRunner } from '../../shared/runtime/process.js';
import { busIdentity, prepareSecurity } from '../../shared/runtime/security/index.js';
import { loadScenarioFile } from '../../shared/scenario/index.js';
import { type TestChroma, startTestChroma } from '../helpers/chroma.js';
import {
  type TestNatsCluster,
  startTestNatsCluster,
  waitForJetStreamCluster,
} from '../helpers/nats-cluster.js';
import { uniqueNamespace } from '../helpers/nats.js';

/** Only the embedding cache is read from the project's data dir (shared with the other suites). */
const PROJECT_DATA_DIR = fileURLToPath(new URL('../../.data', import.meta.url));
const SCENARIO = 'scenarios/paper/case-study-20.yaml';
const REQUESTS = 20;
const PAPER_SEED = 1_000_000;
const METHOD = 'first-fit';
const KILL_AFTER = 10;

const namespace = uniqueNamespace('cluster');
const workDir = mkdtempSync(join(tmpdir(), 'slicemesh-cluster-mesh-'));
let cluster: TestNatsCluster;
let chroma: TestChroma;
const buses: Bus[] = [];

beforeAll(async () => {
  const security = prepareSecurity(join(workDir, 'security'), {
    namespace,
    tenants: ['default'],
  });
  [cluster, chroma] = await Promise.all([
    startTestNatsCluster({ size: 3, securityConfig: security.configFile }),
    startTestChroma(),
  ]);
});

afterAll(async () => {
  await Promise.allSettled(buses.map((bus) => bus.connection.close()));
  await Promise.allSettled([cluster?.dispose(), chroma?.dispose()]);
  rmSync(workDir, { recursive: true, force: true });
});

/**
 * Every transition stored in the event stream, by slice, in stream order. Read message by
 * message (served by the stream's leader) rather than through an ephemeral consumer, which
 * nats-server 2.9 may place on the dead node.
 */
async function storedEvents(
  jsm: JetStreamManager,
  stream: string,
): Promise<Map<string, SliceEvent[]>> {
  const { first_seq: first, last_seq: last } = (await jsm.streams.info(stream)).state;
  const bySlice = new Map<string, SliceEvent[]>();
  for (let seq = first; seq <= last && last > 0; seq++) {
    const msg = await jsm.streams.getMessage(stream, { seq });
    if (!msg) continue;
    const event = SliceEvent.parse(msg.json());
    bySlice.set(event.sliceId, [...(bySlice.get(event.sliceId) ?? []), event]);
  }
  return bySlice;
}

/** The case-study model's own episode for the same instance and method. */
async function modelSlices(): Promise<SliceResult[]> {
  let slices: SliceResult[] = [];
  await evaluate({
    methods: [METHOD],
    requestCounts: [REQUESTS],
    seeds: [PAPER_SEED],
    onEpisode: (episode) => (slices = episode.slices),
  });
  return slices;
}

describe('the mesh on a 3-node NATS cluster', () => {
  it('loses, duplicates and misplaces nothing when the intake leader is SIGKILLed mid-replay', async () => {
    const config = loadConfig({
      NATS_URL: cluster.urls,
      SLICEMESH_NATS_CREDENTIALS_DIR: join(workDir, 'security'),
      SLICEMESH_JETSTREAM_REPLICAS: '3',
      SLICEMESH_NAMESPACE: namespace,
      SLICEMESH_SEED: String(PAPER_SEED),
      SLICEMESH_ORCHESTRATOR_METHOD: METHOD,
      CHROMA_URL: chroma.url,
      SLICEMESH_DATA_DIR: PROJECT_DATA_DIR,
      SLICEMESH_TRACE_DIR: join(workDir, 'traces'),
      SLICEMESH_AUDIT_DIR: join(workDir, 'audit'),
      SLICEMESH_MODEL_DIR: join(workDir, 'models'),
      SLICEMESH_PROMETHEUS_PORT: '-1',
      SLICEMESH_HTTP_PORT: '0',
      SLICEMESH_KPI_INTERVAL_MS: '250',
      // A call whose request or reply was on the killed node is retried after its timeout:
      // shorter than the defaults keeps the test quick, still far above a loaded answer.
      SLICEMESH_INTERPRET_TIMEOUT_MS: '8000',
      SLICEMESH_CALL_TIMEOUT_MS: '4000',
      SLICEMESH_LOG_LEVEL: 'warn',
    });
    const logger = createLogger({ level: 'warn', fields: { test: 'nats-cluster' } });

    // The replay plays the requester and reads the results, as the operator.
    const operator = await connectBus({
      url: cluster.urls,
      namespace,
      name: 'replay',
      logger,
      jetstream: jetstreamSettings(config),
      ...busIdentity(config, OPERATOR_IDENTITY),
    });
    buses.push(operator);
    // nats-server 2.9 places no stream before the nodes have elected a meta leader.
    await waitForJetStreamCluster(operator.connection, 3);
    await operator.ensureStreams();
    const jsm = await jetstreamManager(operator.connection);
    const s = operator.subjects;
    const leader = (await jsm.streams.info(s.intakeStream)).cluster?.leader;
    const victim = cluster.nodes.findIndex((node) => node.name === leader);
    expect(victim, `intake leader ${leader}`).toBeGreaterThanOrEqual(0);

    // Every role in this process, each as its own identity (its seed from the credentials).
    const shutdown = createShutdownRunner({ logger, graceMs: 5_000 });
    let failure: ((error: SliceMeshError) => void) | undefined;
    const failed = new Promise<SliceMeshError>((resolve) => (failure = resolve));
    let killedAt: number | undefined;
    let killed: Promise<void> | undefined;
    let run: ReplayRun;
    const progress: string[] = [];
    try {
      await launchRoles({
        config,
        registry: roles,
        process: {
          logger,
          signal: shutdown.signal,
          onShutdown: shutdown.add,
          shutdown: (reason) =>
            failure?.(new SliceMeshError('unavailable', `the mesh stopped: ${reason}`)),
        },
      });
      const mesh = busReplayMesh(operator, {
        kpiIntervalMs: config.infrastructure.kpiIntervalMs,
        close: () => Promise.resolve(),
        failed,
      });
      let requests = 0;
      run = await runReplay({
        progress: (line) => progress.push(`${new Date().toISOString()} ${line}`),
        scenario: await loadScenarioFile(SCENARIO),
        namespace,
        method: METHOD,
        settleTimeoutMs: 60_000,
        startMesh: () =>
          Promise.resolve({
            ...mesh,
            publish: async (out) => {
              await mesh.publish(out);
              if (out.kind === 'request' && ++requests === KILL_AFTER) {
                // Not awaited: the next requests go out while the node dies.
                killedAt = Date.now();
                killed = cluster.kill(victim);
              }
            },
          }),
      });
    } catch (error) {
      // What the replay saw up to the failure, to tell a lost slice from a slow failover.
      console.error(progress.join('\n'));
      throw error;
    } finally {
      await shutdown.run();
    }
    await killed;
    expect(killedAt, 'the node was killed during the replay').toBeDefined();
    expect(cluster.nodes[victim]?.server).toBeUndefined();

    // Every request ended where the model says, and later than the kill for some of them.
    const expected = await modelSlices();
    const { slices } = run.result;
    expect(slices.map((slice) => slice.id)).toEqual(expected.map((slice) => slice.id));
    expect(slices.map((slice) => slice.finalState)).toEqual(
      expected.map((slice) => (slice.placed ? 'active' : 'rejected')),
    );
    expect(run.result.summary.requests).toBe(REQUESTS);
    const settledAfterKill = slices.filter((slice) =>
      slice.history.some((entry) => entry.at > killedAt!),
    );
    expect(settledAfterKill.length).toBeGreaterThan(0);

    // Each request is stored once in the intake (its publish retried across the failover
    // is deduplicated), and each transition once in the event stream, as the records say.
    const intake = await jsm.streams.info(s.intakeStream);
    expect(intake.state.messages).toBe(REQUESTS);
    const events = await storedEvents(jsm, s.eventStream);
    for (const slice of slices) {
      const stored = events.get(slice.id) ?? [];
      const keys = stored.map((e) => `${e.from ?? '-'}>${e.to}@${e.at}`);
      expect(new Set(keys).size, `${slice.id}: ${keys.join(', ')}`).toBe(keys.length);
      expect(
        stored.map((e) => e.to),
        slice.id,
      ).toEqual(slice.history.map((entry) => entry.state));
    }

    // The streams and buckets still have three copies, led from the surviving nodes.
    for (const stream of [s.intakeStream, s.eventStream, `KV_${s.snapshotBucket}`]) {
      const info = await jsm.streams.info(stream);
      expect(info.config.num_replicas, stream).toBe(3);
      expect(info.cluster?.leader, stream).not.toBe(leader);
    }
  });
});
