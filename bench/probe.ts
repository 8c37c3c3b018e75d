/**
 * A yardstick for the machine a bench runs on: bare NATS request/reply round
 * trips (no parsing, no tracing) against a running server. The mesh benches
 * report it next to their figures, because what a slice request costs
 * depends mostly on how expensive system calls and loopback I/O are, and
 * that differs several-fold between machines of the same size.
 */
import { connect } from '@nats-io/transport-node';
import { percentile } from './stats.js';

/** Runs `once` `n` times in a row: each run's wall time (µs) and the process CPU (µs) they took. */
export async function timeRuns(
  n: number,
  once: () => Promise<unknown>,
): Promise<{ samples: number[]; cpuUs: number }> {
  const samples: number[] = new Array<number>(n);
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await once();
    samples[i] = Number(process.hrtime.bigint() - start) / 1_000;
  }
  const cpu = process.cpuUsage(cpuStart);
  return { samples, cpuUs: cpu.user + cpu.system };
}

export interface RoundTripProbe {
  readonly roundTrips: number;
  readonly p50Us: number;
  /** CPU of both ends (they run in this process) per round trip. */
  readonly cpuUsPerRoundTrip: number;
}

export async function probeNatsRoundTrip(url: string, roundTrips = 2_000): Promise<RoundTripProbe> {
  const server = await connect({ servers: url });
  const client = await connect({ servers: url });
  try {
    const payload = new TextEncoder().encode('{"type":"probe"}');
    server.subscribe('bench.probe', { callback: (_error, m) => void m.respond(payload) });
    await server.flush();
    const roundTrip = () => client.request('bench.probe', payload, { timeout: 5_000 });
    await timeRuns(200, roundTrip);
    const { samples, cpuUs } = await timeRuns(roundTrips, roundTrip);
    return {
      roundTrips,
      p50Us: Math.round(percentile(samples, 50)),
      cpuUsPerRoundTrip: Math.round(cpuUs / roundTrips),
    };
  } finally {
    await client.close();
    await server.close();
  }
}
