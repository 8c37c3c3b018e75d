/**
 * The evaluation harness behind `slicemesh eval` and Fig. 5: every method on
 * the same held-out instances, per request count, with per-seed episode
 * figures averaged and a 95% confidence interval across seeds.
 */
import { SliceMeshError } from '../../contracts/errors.js';
import { DEFAULT_MODEL_CONFIG, isTrainingSeed, type ModelConfig } from '../config.js';
import { SliceEnv } from '../env.js';
import { generateInstance, type GenerateOptions } from '../generator.js';
import { runEpisode, type EpisodeResult } from '../policies/episode.js';
import { createPolicy } from '../policies/registry.js';
import { meanCi95 } from './stats.js';

export const METRICS = ['avgLatencyMs', 'avgCost', 'avgReliabilityCost', 'availability'] as const;
export type Metric = (typeof METRICS)[number];

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
  /** 95% confidence interval of each figure across seeds, as [low, high]. */
  ci95: Record<Metric, [number, number] | null>;
}

export interface EvaluationReport {
  results: EvaluationRow[];
}

export interface EvaluateOptions {
  methods: readonly string[];
  requestCounts: readonly number[];
  seeds: readonly number[];
  config?: ModelConfig;
  generate?: GenerateOptions;
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
  const total = methods.length * requestCounts.length * seeds.length;
  const env = new SliceEnv({ config });
  const results: EvaluationRow[] = [];
  let done = 0;
  for (const method of methods) {
    const policy = await createPolicy(method, { config, seed: seeds[0] as number });
    for (const requests of requestCounts) {
      const perSeed: Record<Metric, number[]> = {
        avgLatencyMs: [],
        avgCost: [],
        avgReliabilityCost: [],
        availability: [],
      };
      for (const seed of seeds) {
        const instance = generateInstance(seed, requests, options.generate);
        const episode = await runEpisode(policy, instance, { config, env });
        for (const metric of METRICS) perSeed[metric].push(episode[metric]);
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
        ci95: { avgLatencyMs: null, avgCost: null, avgReliabilityCost: null, availability: null },
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
  return { results };
}
