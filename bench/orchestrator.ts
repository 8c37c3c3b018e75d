/**
 * Orchestrator benchmark (prints JSON):
 * - training throughput (environment steps per second, whole PPO loop) with the tfjs backend in use,
 *   split into rollout and update time;
 * - inference latency per decision (p50/p99): the policy alone, and the agent's whole
 *   request path in process (view → state → features → network → plan);
 * - the wall time of the shipped checkpoints' training runs (from their metadata).
 *
 * Goals: p50 per decision ≤ 2 ms; training to the evaluation goals in ≤ 20 min on 2 cores.
 */
import path from 'node:path';
import { trace } from '@opentelemetry/api';
import {
  DEFAULT_HYPERPARAMETERS,
  INTENT_CACHE_FILE,
  IntentCache,
  LEARNED_METHODS,
  LearnedPolicy,
  PlacementTrainingEnv,
  createOrchestratorAgent,
  fixedStateSource,
  initBackend,
  readCheckpointMetadata,
  train,
  trainingPool,
  type Intent,
  type LearnedMethod,
} from '../agents/orchestrator/index.js';
import type { Bus } from '../shared/bus/index.js';
import { createSubjects, type PlacementRequest } from '../shared/contracts/index.js';
import {
  ACTION_NAMES,
  Candidates,
  SliceEnv,
  compileRequest,
  computeCandidates,
  evaluationSeeds,
  fillActionMask,
  generateInstance,
  DEFAULT_MODEL_CONFIG,
  type ModelRequest,
  type NetworkState,
} from '../shared/model/index.js';
import { loadConfig } from '../shared/runtime/config.js';
import { percentile } from './stats.js';

const modelDir = loadConfig().model.dir;

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The interpreter's cached outputs when present, else a stand-in that follows the true classes. */
async function intents(requests: ModelRequest[]): Promise<{ cache: IntentCache; source: string }> {
  try {
    const cache = await IntentCache.load(path.join(modelDir, INTENT_CACHE_FILE));
    if (requests.every((r) => cache.has(r.description, r.profile))) {
      return { cache, source: cache.source };
    }
  } catch {
    // fall through to the stand-in
  }
  const cache = new IntentCache('stand-in', 'bench');
  const level = { high: 0.6, medium: 0.3, 'best-effort': 0.1 } as const;
  for (const r of requests) {
    const v = [
      level[r.profile.latency],
      level[r.profile.reliability],
      r.profile.cost === 'cost-sensitive' ? 0.6 : 0.2,
      0.1,
    ];
    const t = v.reduce((a, b) => a + b, 0);
    const intent: Intent = {
      preference: {
        latency: v[0]! / t,
        reliability: v[1]! / t,
        economics: v[2]! / t,
        throughput: v[3]! / t,
      },
      profile: r.profile,
    };
    cache.set(r.description, intent);
    cache.set(r.description, intent, r.profile);
  }
  return { cache, source: 'stand-in (true classes)' };
}

async function benchTraining(backend: string) {
  const pool = trainingPool(100);
  const { cache, source } = await intents(pool);
  const env = new PlacementTrainingEnv({ method: 'qappo', seed: 1, pool, intents: cache });
  const updates: { steps: number; ms: number }[] = [];
  let last = performance.now();
  await train({
    hp: DEFAULT_HYPERPARAMETERS,
    seed: 1,
    totalSteps: 6 * DEFAULT_HYPERPARAMETERS.batchSize,
    env,
    onProgress: (p) => {
      const now = performance.now();
      updates.push({ steps: p.point.episodes > 0 ? p.steps : 0, ms: now - last });
      last = now;
    },
  });
  // Skip the first update (tfjs kernel set-up).
  const measured = updates.slice(1);
  const steps = (updates.at(-1)?.steps ?? 0) - (updates[0]?.steps ?? 0);
  const ms = measured.reduce((a, u) => a + u.ms, 0);

  // Rollout alone: the same environment stepping with uniformly random feasible actions.
  const rolloutEnv = new PlacementTrainingEnv({ method: 'qappo', seed: 2, pool, intents: cache });
  const input = new Float32Array(rolloutEnv.inputSize);
  let n = 0;
  const t0 = performance.now();
  for (let e = 0; n < 5_000; e++) {
    rolloutEnv.reset(e);
    for (;;) {
      rolloutEnv.observe(input);
      const mask = rolloutEnv.actionMask();
      let a = 0;
      for (let i = mask.length - 1; i > 0; i--) if (mask[i] === 1 && (i + e) % 3 === 0) a = i;
      n += 1;
      if (rolloutEnv.step(a).done) break;
    }
  }
  const envStepsPerSecond = (n * 1000) / (performance.now() - t0);
  return {
    backend,
    intents: source,
    envStepsPerSecond: round((steps * 1000) / ms, 1),
    updateMs: round(ms / measured.length, 1),
    stepsPerUpdate: round(steps / measured.length, 0),
    environmentOnlyStepsPerSecond: round(envStepsPerSecond, 0),
  };
}

async function loadPolicy(
  method: LearnedMethod,
): Promise<{ policy: LearnedPolicy | undefined; note: string }> {
  try {
    return {
      policy: await LearnedPolicy.load(path.join(modelDir, method)),
      note: `${modelDir}/${method}`,
    };
  } catch (error) {
    return { policy: undefined, note: `no checkpoint: ${(error as Error).message}` };
  }
}

async function benchInference() {
  const { policy, note } = await loadPolicy('qappo');
  if (!policy) return { checkpoint: note };
  const requests = evaluationSeeds(20).flatMap((s) => generateInstance(s, 20).requests);
  const { cache } = await intents(requests);
  const env = new SliceEnv();
  const policyMs: number[] = [];
  const requestsOnStates: { request: PlacementRequest; state: NetworkState }[] = [];
  for (const seed of evaluationSeeds(20)) {
    const instance = generateInstance(seed, 20);
    env.reset(instance);
    while (!env.done) {
      const request = env.currentRequest();
      const intent = cache.require(request, true);
      const t = performance.now();
      const compiled = compileRequest(DEFAULT_MODEL_CONFIG, request);
      const candidates = computeCandidates(env.state, compiled, new Candidates());
      const mask = fillActionMask(candidates, new Uint8Array(ACTION_NAMES.length));
      const decision = policy.decide(env.state, request, intent, candidates, mask);
      policyMs.push(performance.now() - t);
      requestsOnStates.push({
        request: {
          type: 'orchestrator.place.request.v2',
          sliceId: request.id,
          profile: intent.profile,
          preference: intent.preference,
          demand: request.demand,
          minViewVersion: env.state.version,
        },
        state: env.state.clone(),
      });
      env.step(decision.action);
    }
  }
  // The agent's whole in-process path (no NATS): parse-free, planning on its
  // replica of the state (here the state of each request) and building the plan.
  let current: NetworkState | undefined;
  const agent = createOrchestratorAgent(
    { bus: fakeBus() },
    { method: 'qappo', modelDir, reloadIntervalMs: 0 },
    fixedStateSource(() => current as NetworkState),
  );
  await agent.reload();
  const agentMs: number[] = [];
  for (const { request, state } of requestsOnStates) {
    current = state;
    const t = performance.now();
    await agent.place(request);
    agentMs.push(performance.now() - t);
  }
  const stats = (xs: number[]) => {
    const warm = xs.slice(20).sort((a, b) => a - b);
    return {
      decisions: warm.length,
      p50Ms: round(percentile(warm, 50), 4),
      p99Ms: round(percentile(warm, 99), 4),
    };
  };
  return { checkpoint: note, policy: stats(policyMs), agentPath: stats(agentMs) };
}

/** Enough of a bus for `place()` in process: tracing goes to the no-op tracer. */
function fakeBus(): Bus {
  const noop = () => undefined;
  const logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => logger };
  return {
    tracer: trace.getTracer('bench'),
    logger,
    subjects: createSubjects('bench'),
  } as unknown as Bus;
}

async function shippedRuns() {
  const out: Record<string, unknown> = {};
  for (const method of LEARNED_METHODS) {
    try {
      const m = await readCheckpointMetadata(path.join(modelDir, method));
      out[method] = {
        steps: m.steps,
        wallTimeMinutes: round(m.wallTimeMs / 60_000, 2),
        backend: m.backend,
        seed: m.seed,
        preferenceSource: m.preferenceSource,
      };
    } catch (error) {
      out[method] = { missing: (error as Error).message };
    }
  }
  return out;
}

const backend = await initBackend();
const result = {
  benchmark: 'orchestrator',
  cpus: (await import('node:os')).cpus().length,
  training: await benchTraining(backend),
  inference: await benchInference(),
  shippedTraining: await shippedRuns(),
  goals: { inferenceP50Ms: 2, trainingMinutes: 20 },
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
