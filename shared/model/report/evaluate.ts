/**
 * The evaluation harness behind `slicemesh eval` and Fig. 5: every method on
 * the same held-out instances, per request count, with per-seed episode
 * figures averaged and a 95% confidence interval across seeds.
 */
import type { SliceProfile } from '../../contracts/common.js';
import { SliceMeshError } from '../../contracts/errors.js';
import { DEFAULT_MODEL_CONFIG, isTrainingSeed, type ModelConfig } from '../config.js';
import { SliceEnv, type EpisodeSummary } from '../env.js';
import { generateInstance, type GenerateOptions } from '../generator.js';
import { runEpisode, type EpisodeResult } from '../policies/episode.js';
import { createPolicy, onlinePolicies } from '../policies/registry.js';
import type { Belief } from '../policies/types.js';
import type { ModelRequest } from '../types.js';
import { meanCi95 } from './stats.js';

export const METRICS = [
  'avgLatencyMs',
  'avgCost',
  'avgReliabilityCost',
  'availability',
  'qoeScore',
] as const;
export type Metric = (typeof METRICS)[number];

type EpisodeFigure = {
  [K in keyof EpisodeSummary]: EpisodeSummary[K] extends number ? K : never;
}[keyof EpisodeSummary];

/** The episode figure each metric averages across seeds. */
const EPISODE_FIGURE: Readonly<Record<Metric, EpisodeFigure>> = {
  avgLatencyMs: 'avgLatencyMs',
  avgCost: 'avgCost',
  avgReliabilityCost: 'avgReliabilityCost',
  availability: 'availability',
  qoeScore: 'avgQoeScore',
};

/**
 * What the methods are told about each request's classes:
 * - `stated`: every request states its SLA classes (the paper's case study);
 * - `text`: only the text, so each method acts on the profile inferred from
 *   it — what it would get live from the text alone.
 * Either way the judge uses the true classes, and the methods that plan the
 * whole instance in advance (the oracle) keep them: they are the ceiling.
 */
export const INTENT_MODES = ['stated', 'text'] as const;
export type IntentMode = (typeof INTENT_MODES)[number];

export interface EvaluationRow {
  method: string;
  requests: number;
  /** Seeds (instances) the row is averaged over. */
  seeds: number;
  /** Mean over seeds of the per-episode average latency per placed slice. */
  avgLatencyMs: number | null;
  avgCost: number | null;
  avgReliabilityCost: number | null;
  /** Mean over seeds of served / requested. */
  availability: number | null;
  /** Mean over seeds of the mean QoE score of the served slices (judged with the true classes). */
  qoeScore: number | null;
  /** 95% confidence interval of each figure across seeds, as [low, high]. */
  ci95: Record<Metric, [number, number] | null>;
}

export interface EvaluationReport {
  intent: IntentMode;
  results: EvaluationRow[];
}

export interface EvaluateOptions {
  methods: readonly string[];
  requestCounts: readonly number[];
  seeds: readonly number[];
  config?: ModelConfig;
  generate?: GenerateOptions;
  /** Default `stated`. */
  intent?: IntentMode;
  /** For `text`: the profile the interpreter infers from a request's text alone. */
  inferProfile?: (request: ModelRequest) => SliceProfile;
  /** Allow seeds from the training range (off: evaluation must be held out). */
  allowTrainingSeeds?: boolean;
  /** Called after each episode with the number done and the total. */
  onProgress?: (done: number, total: number, method: string, requests: number) => void;
  /** Called with every episode's full result (for callers that want per-slice data). */
  onEpisode?: (result: EpisodeResult, requests: number) => void;
}

/** Rounded to 6 decimals so reports are byte-stable; null for "no value". */
function stable(x: number): number | null {
  return Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : null;
}

/** Runs every method on every (request count, seed) instance and aggregates the figures. */
export async function evaluate(options: EvaluateOptions): Promise<EvaluationReport> {
  const { methods, requestCounts, seeds } = options;
  if (methods.length === 0 || requestCounts.length === 0 || seeds.length === 0) {
    throw new SliceMeshError(
      'config',
      'evaluation needs at least one method, one request count and one seed',
    );
  }
  if (!options.allowTrainingSeeds) {
    const leaked = seeds.find((s) => isTrainingSeed(s));
    if (leaked !== undefined) {
      throw new SliceMeshError(
        'config',
        `seed ${leaked} is a training seed; evaluation uses held-out seeds only`,
      );
    }
  }
  const config = options.config ?? DEFAULT_MODEL_CONFIG;
  const intent = options.intent ?? 'stated';
  const inferProfile = intent === 'text' ? options.inferProfile : undefined;
  if (intent === 'text' && inferProfile === undefined) {
    throw new SliceMeshError('config', 'a text-only evaluation needs the inferred profiles');
  }
  // Every instance and, for text-only requests, every belief up front: a
  // request the interpreter's output does not cover fails before any episode.
  const episodes = requestCounts.map((requests) =>
    seeds.map((seed) => {
      const instance = generateInstance(seed, requests, options.generate);
      const beliefs = inferProfile
        ? instance.requests.map((r): Belief => ({ profile: inferProfile(r), stated: false }))
        : undefined;
      return { instance, beliefs };
    }),
  );
  const total = methods.length * requestCounts.length * seeds.length;
  const env = new SliceEnv({ config });
  const beliefEnv = new SliceEnv({ config });
  const online = new Set(onlinePolicies());
  const results: EvaluationRow[] = [];
  let done = 0;
  for (const method of methods) {
    const policy = await createPolicy(method, { config, seed: seeds[0] as number });
    for (const [c, requests] of requestCounts.entries()) {
      const perSeed: Record<Metric, number[]> = {
        avgLatencyMs: [],
        avgCost: [],
        avgReliabilityCost: [],
        availability: [],
        qoeScore: [],
      };
      for (const { instance, beliefs } of episodes[c] ?? []) {
        const episode = await runEpisode(policy, instance, {
          config,
          env,
          ...(beliefs !== undefined && online.has(method) ? { beliefs, beliefEnv } : {}),
        });
        for (const metric of METRICS) perSeed[metric].push(episode[EPISODE_FIGURE[metric]]);
        options.onEpisode?.(episode, requests);
        options.onProgress?.(++done, total, method, requests);
      }
      const row: EvaluationRow = {
        method,
        requests,
        seeds: seeds.length,
        avgLatencyMs: null,
        avgCost: null,
        avgReliabilityCost: null,
        availability: null,
        qoeScore: null,
        ci95: {
          avgLatencyMs: null,
          avgCost: null,
          avgReliabilityCost: null,
          availability: null,
          qoeScore: null,
        },
      };
      for (const metric of METRICS) {
        const stats = meanCi95(perSeed[metric]);
        row[metric] = stable(stats.mean);
        const low = stable(stats.low);
        const high = stable(stats.high);
        row.ci95[metric] = low === null || high === null ? null : [low, high];
      }
      results.push(row);
    }
  }
  return { intent, results };
}
