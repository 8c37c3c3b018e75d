/**
 * One training run of a learned method on the case-study model, end to end:
 * environment, PPO, checkpoints (resumable), and the reward curve (CSV + SVG
 * with the heuristics' flat lines).
 */
import { createHash } from 'node:crypto';
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SliceMeshError } from '../../../shared/contracts/errors.js';
import {
  ACTION_NAMES,
  DEFAULT_MODEL_CONFIG,
  OBSERVATION_LAYOUT,
} from '../../../shared/model/index.js';
import { METHOD_INTENT, type LearnedMethod } from '../features.js';
import { initBackend } from '../ppo/backend.js';
import {
  CHECKPOINT_FILE,
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointInfo,
} from '../ppo/checkpoint.js';
import { DEFAULT_HYPERPARAMETERS, type PpoHyperparameters } from '../ppo/hyperparameters.js';
import { train, type ProgressReport, type TrainerState } from '../ppo/trainer.js';
import { EQUAL_WEIGHTS, REWARD_CONSTANTS } from '../reward.js';
import { scoreBaseline, type BaselineLine } from './baselines.js';
import { curveToCsv, readCurveCsv, renderCurveSvg, type CurveRow } from './curve.js';
import { generatorFingerprint, type IntentCache } from './intent-cache.js';
import {
  DEFAULT_EPISODE_SHAPE,
  DEFAULT_SLA_SHARE,
  PlacementTrainingEnv,
  trainingPool,
  type EpisodeShape,
} from './placement-env.js';

/** Training request pool size (seeds × 20 requests) that the shipped checkpoints use. */
export const DEFAULT_POOL_SEEDS = 600;
/** Held-out seeds whose requests the preference cache covers, so `slicemesh eval` needs no interpreter. */
export const DEFAULT_CACHE_EVAL_SEEDS = 100;

export { DEFAULT_SLA_SHARE };

export const CURVE_CSV = 'curve.csv';
export const CURVE_SVG = 'curve.svg';
/** Heuristics drawn as flat lines in the reward curve (the paper's Fig. 4 shows the first two). */
export const CURVE_BASELINES = ['local-first', 'cloud-only', 'first-fit'] as const;

/** Identifies the model version a policy was trained on: observation layout, actions, parameters, generator. */
export function modelFingerprint(): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(OBSERVATION_LAYOUT));
  h.update(JSON.stringify(ACTION_NAMES));
  h.update(JSON.stringify(DEFAULT_MODEL_CONFIG));
  h.update(generatorFingerprint());
  return `case-study/${h.digest('hex').slice(0, 12)}`;
}

/** What a checkpoint records its input to be (the profile is stated or inferred, per --sla-share). */
const FEATURES: Readonly<Record<LearnedMethod, string>> = {
  qappo: 'observation(profile)+preference',
  'ppo-sla': 'observation(profile), no preference',
  ppo: 'observation without intent',
};

export interface RunOptions {
  method: LearnedMethod;
  steps: number;
  seed: number;
  outDir: string;
  intents: IntentCache;
  /** Training request pool: the 20-request instances of this many training seeds. */
  poolSeeds: number;
  resume?: boolean;
  /** Overwrite an existing checkpoint in `outDir` instead of refusing. */
  force?: boolean;
  hyperparameters?: Partial<PpoHyperparameters>;
  shape?: EpisodeShape;
  /** Share of training requests that state their SLA classes (default DEFAULT_SLA_SHARE). */
  slaShare?: number;
  /** Other runs' directories whose curves are drawn into this run's figure. */
  compare?: string[];
  baselineEpisodes?: number;
  checkpointEvery?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  onProgress?: (report: ProgressReport) => void;
}

export interface RunResult {
  state: TrainerState;
  aborted: boolean;
  backend: string;
  checkpointDir: string;
  curveCsv: string;
  curveSvg: string;
  baselines: BaselineLine[];
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Trains (or resumes) `method`, checkpointing into `outDir`, and writes the reward curve. */
export async function runTraining(options: RunOptions): Promise<RunResult> {
  const log = options.log ?? (() => undefined);
  const backend = await initBackend(log);
  const hp: PpoHyperparameters = { ...DEFAULT_HYPERPARAMETERS, ...options.hyperparameters };
  const shape = options.shape ?? DEFAULT_EPISODE_SHAPE;
  const pool = trainingPool(options.poolSeeds);
  const env = new PlacementTrainingEnv({
    method: options.method,
    seed: options.seed,
    pool,
    intents: options.intents,
    shape,
    slaShare: options.slaShare ?? DEFAULT_SLA_SHARE,
  });
  const fingerprint = modelFingerprint();

  let resume: TrainerState | undefined;
  const hasCheckpoint = await exists(path.join(options.outDir, CHECKPOINT_FILE));
  if (options.resume) {
    const loaded = await loadCheckpoint(options.outDir);
    const m = loaded.metadata;
    if (m.method !== options.method || m.seed !== options.seed) {
      throw new SliceMeshError(
        'config',
        `cannot resume: ${options.outDir} holds ${m.method} seed ${m.seed}, asked for ${options.method} seed ${options.seed}`,
      );
    }
    if (m.modelVersion !== fingerprint) {
      throw new SliceMeshError(
        'config',
        `cannot resume: ${options.outDir} was trained on model ${m.modelVersion}, this is ${fingerprint}`,
      );
    }
    if (JSON.stringify(m.hyperparameters) !== JSON.stringify(hp)) {
      throw new SliceMeshError('config', 'cannot resume with different hyperparameters');
    }
    if (m.optimizer === null)
      throw new SliceMeshError('config', `${options.outDir} has no optimiser state to resume from`);
    resume = loaded.state;
    log(`resuming ${options.method} from ${m.steps} steps (${m.updates} updates)`);
  } else if (hasCheckpoint && !options.force) {
    throw new SliceMeshError(
      'config',
      `${options.outDir} already holds a checkpoint: pass --resume to continue it or --force to start over`,
    );
  }

  const info: CheckpointInfo = {
    method: options.method,
    modelVersion: fingerprint,
    seed: options.seed,
    backend,
    hyperparameters: hp,
    actionNames: [...ACTION_NAMES],
    preferenceSource: options.intents.source,
    extra: {
      inputSize: env.inputSize,
      features: FEATURES[options.method],
      reward: {
        ...REWARD_CONSTANTS,
        ...(METHOD_INTENT[options.method].preference
          ? { weights: 'preference' }
          : { weights: 'equal', equalWeights: { ...EQUAL_WEIGHTS } }),
      },
      episodes: {
        ...shape,
        poolSeeds: options.poolSeeds,
        seedRange: 'training',
        slaShare: options.slaShare ?? DEFAULT_SLA_SHARE,
      },
      intentCache: {
        source: options.intents.source,
        generator: options.intents.generator,
        entries: options.intents.size,
      },
    },
  };

  const result = await train({
    hp,
    seed: options.seed,
    totalSteps: options.steps,
    env,
    ...(resume ? { resume } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    checkpointEvery: options.checkpointEvery ?? 10,
    onCheckpoint: async (state) => {
      await saveCheckpoint(options.outDir, state, info);
    },
  });

  log('scoring the heuristics for the reward curve');
  const baselines: BaselineLine[] = [];
  for (const name of CURVE_BASELINES) {
    baselines.push(
      await scoreBaseline(name, env, options.intents, options.baselineEpisodes ?? 200),
    );
  }
  const rows = await curveRows(options.method, result.state, baselines, options.compare ?? []);
  const curveCsv = path.join(options.outDir, CURVE_CSV);
  const curveSvg = path.join(options.outDir, CURVE_SVG);
  await writeFile(curveCsv, curveToCsv(rows.own));
  await writeFile(curveSvg, await renderCurveSvg(rows.all, 'Reward curves (case-study model)'));
  return {
    state: result.state,
    aborted: result.aborted,
    backend,
    checkpointDir: options.outDir,
    curveCsv,
    curveSvg,
    baselines,
  };
}

async function curveRows(
  method: string,
  state: TrainerState,
  baselines: BaselineLine[],
  compare: string[],
): Promise<{ own: CurveRow[]; all: CurveRow[] }> {
  const last = state.curve.at(-1)?.steps ?? 0;
  const own: CurveRow[] = state.curve.map((p) => ({
    method,
    kind: 'training',
    steps: p.steps,
    meanReward: p.meanReward,
    meanScore: p.meanScore,
    availability: p.availability,
  }));
  for (const b of baselines) {
    for (const steps of [0, last]) {
      own.push({
        method: b.method,
        kind: 'baseline',
        steps,
        meanReward: b.meanScore,
        meanScore: b.meanScore,
        availability: b.availability,
      });
    }
  }
  const all = own.map((r) => ({ ...r }));
  for (const dir of compare) {
    const other = await readCurveCsv(path.join(dir, CURVE_CSV));
    all.push(...other.filter((r) => r.kind === 'training' && r.method !== method));
  }
  // A comparison run's curve may be longer than this one: stretch the flat lines to cover both.
  const longest = Math.max(last, ...all.map((r) => r.steps));
  for (const row of all) if (row.kind === 'baseline' && row.steps === last) row.steps = longest;
  return { own, all };
}

/** Re-renders `<dir>/curve.svg` from `<dir>/curve.csv` plus the training curves of `compare` runs. */
export async function renderRunCurve(dir: string, compare: string[]): Promise<string> {
  const own = await readCurveCsv(path.join(dir, CURVE_CSV));
  const methods = new Set(own.filter((r) => r.kind === 'training').map((r) => r.method));
  const all = [...own];
  for (const other of compare) {
    const rows = await readCurveCsv(path.join(other, CURVE_CSV));
    all.push(...rows.filter((r) => r.kind === 'training' && !methods.has(r.method)));
  }
  const file = path.join(dir, CURVE_SVG);
  await writeFile(file, await renderCurveSvg(all, 'Reward curves (case-study model)'));
  return file;
}
