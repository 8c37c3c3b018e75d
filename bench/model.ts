/**
 * Benchmark of the case-study model: environment steps per second on one
 * core (what PPO training needs) and the exact oracle's solve time at 20
 * requests. Prints JSON.
 *
 *   npm run bench:model [-- --seconds 3 --oracle-instances 40]
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  ACTION_COUNT,
  SliceEnv,
  evaluationSeeds,
  generateInstance,
  solveOracle,
  type Instance,
} from '../shared/model/index.js';
import { createRng } from '../shared/random.js';
import { percentile } from './stats.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const seconds = flag('seconds', 3);
const oracleInstances = flag('oracle-instances', 40);

/**
 * Random feasible actions over a pool of training instances, for `ms`
 * milliseconds. Returns steps per wall-clock second and per second of this
 * process's CPU time (the single-core rate, unaffected by other load).
 */
function measureSteps(
  pool: readonly Instance[],
  ms: number,
  observe: boolean,
): { wall: number; cpu: number } {
  const env = new SliceEnv();
  const rng = createRng('bench');
  const mask = new Uint8Array(ACTION_COUNT);
  const observation = new Float32Array(env.observationSize);
  const allowed = new Int32Array(ACTION_COUNT);
  let steps = 0;
  let episode = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    env.reset(pool[episode++ % pool.length] as Instance);
    while (!env.done) {
      if (observe) env.observe(observation);
      env.actionMask(mask);
      let n = 0;
      for (let a = 0; a < ACTION_COUNT; a++) if (mask[a] === 1) allowed[n++] = a;
      env.step(allowed[Math.floor(rng.next() * n)] as number);
      steps++;
    }
    if ((episode & 63) === 0) now = performance.now();
  }
  const cpu = process.cpuUsage(cpuStart);
  return {
    wall: steps / ((performance.now() - start) / 1000),
    cpu: steps / ((cpu.user + cpu.system) / 1e6),
  };
}

const pool = Array.from({ length: 256 }, (_, i) => generateInstance(i, 4 + (i % 17)));
measureSteps(pool, 300, true); // warm-up (JIT)
const stepsPerSecond = measureSteps(pool, seconds * 1000, false);
const stepsPerSecondWithObservation = measureSteps(pool, seconds * 1000, true);

// The oracle: the first solve also pays HiGHS' wasm compilation and tier-up,
// so a few warm-up solves run before the measured ones.
const coldStart = performance.now();
await solveOracle(generateInstance(999_999, 20));
const coldSolveMs = performance.now() - coldStart;
for (const seed of [999_998, 999_997, 999_996, 999_995])
  await solveOracle(generateInstance(seed, 20));
const solveMs: number[] = [];
const solveCpuMs: number[] = [];
let served = 0;
for (const seed of evaluationSeeds(oracleInstances)) {
  const instance = generateInstance(seed, 20);
  const cpuStart = process.cpuUsage();
  const solution = await solveOracle(instance);
  const cpu = process.cpuUsage(cpuStart);
  solveMs.push(solution.solveMs);
  solveCpuMs.push((cpu.user + cpu.system) / 1000);
  served += solution.served;
}
solveMs.sort((a, b) => a - b);
solveCpuMs.sort((a, b) => a - b);

const round = (x: number) => Math.round(x * 10) / 10;
process.stdout.write(
  `${JSON.stringify(
    {
      env: {
        stepsPerSecond: Math.round(stepsPerSecond.wall),
        stepsPerCpuSecond: Math.round(stepsPerSecond.cpu),
        withObservation: {
          stepsPerSecond: Math.round(stepsPerSecondWithObservation.wall),
          stepsPerCpuSecond: Math.round(stepsPerSecondWithObservation.cpu),
        },
        goal: 200_000,
        note: 'one thread; a step = actionMask + step on a random feasible action (+ observe); per CPU second = unaffected by other load',
      },
      oracle: {
        requests: 20,
        instances: oracleInstances,
        medianMs: round(percentile(solveMs, 50)),
        p95Ms: round(percentile(solveMs, 95)),
        maxMs: round(solveMs[solveMs.length - 1] as number),
        cpuMedianMs: round(percentile(solveCpuMs, 50)),
        cpuP95Ms: round(percentile(solveCpuMs, 95)),
        coldFirstSolveMs: round(coldSolveMs),
        goalP95Ms: 1000,
        meanServed: round(served / oracleInstances),
      },
      loadAverage: os.loadavg().map((x) => round(x)),
      cpus: os.cpus().length,
      node: process.version,
    },
    null,
    2,
  )}\n`,
);
