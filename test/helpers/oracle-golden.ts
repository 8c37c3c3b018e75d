/**
 * The instances whose oracle program text is pinned by
 * test/fixtures/oracle/: seeds × request counts × pruning × model configs,
 * chosen so every constraint family appears (joins, shares, capacity,
 * sharing limits 1, 2 and more, latency and cost limits, pruning on, off and
 * inexact).
 */
import { createHash } from 'node:crypto';
import {
  DEFAULT_MODEL_CONFIG,
  buildOracleProgram,
  evaluationSeeds,
  generateInstance,
  type ModelConfig,
} from '../../shared/model/index.js';

export const GOLDEN_CONFIGS: Readonly<Record<string, ModelConfig>> = {
  default: DEFAULT_MODEL_CONFIG,
  // A boot delay worth more than a unit of reliability cost: pruning is not exact, so it is off.
  'slow-boot': { ...DEFAULT_MODEL_CONFIG, bootDelayMs: 50 },
  // A small local server, looser sharing, other chain lengths and cost limits.
  tight: {
    ...DEFAULT_MODEL_CONFIG,
    localCpu: 8,
    localMem: 6,
    sharingLimit: { high: 1, medium: 3, 'best-effort': 5 },
    costLimit: { 'cost-sensitive': 20, general: 45 },
    chainLength: { URLLC: 2, eMBB: 3, mMTC: 1 },
  },
};

const SEEDS = [...evaluationSeeds(3), 42];
const COUNTS = [1, 8, 20, 60];

/** The instance the full-text fixture holds, as `<config>/<seed>/<count>/<pruned|full>`. */
export const TEXT_FIXTURES = ['default/1000000/20/pruned', 'default/1000000/20/full'] as const;

/** Builds the program of a key `<config>/<seed>/<count>/<pruned|full>`. */
export function goldenProgram(key: string): string {
  const [configName, seed, count, mode] = key.split('/');
  const config = GOLDEN_CONFIGS[configName ?? ''];
  if (!config) throw new Error(`unknown config in ${key}`);
  return buildOracleProgram(generateInstance(Number(seed), Number(count)), config, {
    prune: mode === 'pruned',
  });
}

export function goldenKeys(): string[] {
  const keys: string[] = [];
  for (const name of Object.keys(GOLDEN_CONFIGS))
    for (const seed of SEEDS)
      for (const count of COUNTS)
        for (const mode of ['pruned', 'full']) keys.push(`${name}/${seed}/${count}/${mode}`);
  return keys;
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The file a text fixture is stored in. */
export const textFixtureName = (key: string): string => `program-${key.replaceAll('/', '-')}.lp`;
