/**
 * Bus overhead benchmark: request/reply round trips through the bare NATS
 * client versus through Bus.request/serve (schema validation both ways,
 * typed errors, trace context propagation and spans on a real tracer provider
 * whose exporter drops the spans). One process, one embedded nats-server.
 *
 *   npm run bench:bus            (BENCH_BUS_N=10000 BENCH_BUS_WARMUP=1000 by default)
 *
 * Prints JSON: raw_p50_us, bus_p50_us, ratio (bus_p50 / raw_p50), raw_p99_us, bus_p99_us, and
 * the CPU time per round trip of each path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { ExportResultCode } from '@opentelemetry/core';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { connectBus } from '../shared/bus/index.js';
import { ENDPOINTS } from '../shared/contracts/endpoints.js';
import type { SliceGetReply, SliceGetRequest } from '../shared/contracts/messages.js';
import { startNatsServer } from '../shared/runtime/embedded/index.js';
import { noopTracer, setupTracing } from '../shared/telemetry/index.js';
import { timeRuns } from './probe.js';
import { percentile } from './stats.js';

const N = Number(process.env.BENCH_BUS_N ?? 10_000);
const WARMUP = Number(process.env.BENCH_BUS_WARMUP ?? 1_000);

const request: SliceGetRequest = { type: 'slice.get.request.v1', sliceId: 'slice-0042' };
const reply: SliceGetReply = {
  type: 'slice.get.reply.v1',
  slice: {
    sliceId: 'slice-0042',
    state: 'active',
    text: 'low-latency control loop for the robot cell on line 3',
    history: [
      { state: 'requested', at: 1_700_000_000_000 },
      { state: 'active', at: 1_700_000_000_900 },
    ],
  },
};

/** Spans are produced and batched as in production, then dropped. */
const dropExporter: SpanExporter = {
  export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }),
  shutdown: () => Promise.resolve(),
};

/** CPU time (user + system, µs) spent per path: steadier than wall time on a busy machine. */
const cpuUs = { raw: 0, bus: 0, untraced: 0 };

async function measure(
  n: number,
  once: () => Promise<unknown>,
  path?: keyof typeof cpuUs,
): Promise<number[]> {
  const timed = await timeRuns(n, once);
  if (path) cpuUs[path] += timed.cpuUs;
  return timed.samples;
}

const dataDir = mkdtempSync(join(tmpdir(), 'slicemesh-bench-bus-'));
const server = await startNatsServer({ dataDir });
try {
  // Bare client: the same JSON bytes, no parsing, no tracing.
  const rawServer = await connect({ servers: server.url });
  const rawClient = await connect({ servers: server.url });
  const requestBytes = new TextEncoder().encode(JSON.stringify(request));
  const replyBytes = new TextEncoder().encode(JSON.stringify(reply));
  rawServer.subscribe('bench.raw', { callback: (_error, m) => void m.respond(replyBytes) });
  await rawServer.flush();
  const raw = () => rawClient.request('bench.raw', requestBytes, { timeout: 5_000 });

  // The bus, as agents use it.
  const tracing = setupTracing({ serviceName: 'bench-bus', exporters: [dropExporter] });
  const serverBus = await connectBus({
    url: server.url,
    namespace: 'bench',
    name: 'bench-server',
    tracer: tracing.tracer(),
  });
  const clientBus = await connectBus({
    url: server.url,
    namespace: 'bench',
    name: 'bench-client',
    tracer: tracing.tracer(),
  });
  serverBus.serve(ENDPOINTS.sliceGet, () => reply, { queue: 'slice-manager' });
  await serverBus.flush();
  // The same bus without tracing, to show what validation alone costs.
  const plainServer = await connectBus({
    url: server.url,
    namespace: 'bench-plain',
    name: 'plain-server',
    tracer: noopTracer(),
  });
  const plainClient = await connectBus({
    url: server.url,
    namespace: 'bench-plain',
    name: 'plain-client',
    tracer: noopTracer(),
  });
  plainServer.serve(ENDPOINTS.sliceGet, () => reply);
  await plainServer.flush();
  const untraced = () => plainClient.request(ENDPOINTS.sliceGet, request, { timeoutMs: 5_000 });
  const viaBus = () => clientBus.request(ENDPOINTS.sliceGet, request, { timeoutMs: 5_000 });

  // Warm up both paths (JIT, connection buffers), then alternate blocks of the two so that
  // load from other processes on the machine affects both alike.
  await measure(WARMUP, raw);
  await measure(WARMUP, viaBus);
  await measure(WARMUP, untraced);
  const BLOCK = 1_000;
  const rawSamples: number[] = [];
  const busSamples: number[] = [];
  const untracedSamples: number[] = [];
  for (let done = 0; done < N; done += BLOCK) {
    const size = Math.min(BLOCK, N - done);
    rawSamples.push(...(await measure(size, raw, 'raw')));
    busSamples.push(...(await measure(size, viaBus, 'bus')));
    untracedSamples.push(...(await measure(size, untraced, 'untraced')));
  }
  rawSamples.sort((a, b) => a - b);
  busSamples.sort((a, b) => a - b);
  untracedSamples.sort((a, b) => a - b);

  const round = (x: number) => Math.round(x * 10) / 10;
  const result = {
    n: N,
    raw_p50_us: round(percentile(rawSamples, 50)),
    bus_p50_us: round(percentile(busSamples, 50)),
    ratio: Math.round((percentile(busSamples, 50) / percentile(rawSamples, 50)) * 100) / 100,
    raw_p99_us: round(percentile(rawSamples, 99)),
    bus_p99_us: round(percentile(busSamples, 99)),
    goal_ratio_max: 1.5,
    bus_untraced_p50_us: round(percentile(untracedSamples, 50)),
    // Both ends of the round trip run in this process, so this is client + server CPU.
    raw_cpu_us_per_round_trip: round(cpuUs.raw / N),
    bus_cpu_us_per_round_trip: round(cpuUs.bus / N),
    bus_untraced_cpu_us_per_round_trip: round(cpuUs.untraced / N),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);

  await plainClient.drain();
  await plainServer.drain();
  await clientBus.drain();
  await serverBus.drain();
  await tracing.shutdown();
  await rawClient.close();
  await rawServer.close();
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
