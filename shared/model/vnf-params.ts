import { hashPair } from '../random.js';
import type { ModelConfig } from './config.js';

/**
 * Delay and deployment cost of the VNF node with sequence number `seq` in the
 * network seeded with `seed`. Pure and allocation-free, so any policy holding
 * a NetworkView can compute what a newly deployed node will be like.
 */
export function vnfNodeDelayMs(config: ModelConfig, seed: number, seq: number): number {
  const span = config.vnfDelayMs.max - config.vnfDelayMs.min + 1;
  return config.vnfDelayMs.min + (hashPair(seed, seq * 2) % span);
}

export function vnfNodeDeployCost(config: ModelConfig, seed: number, seq: number): number {
  const span = config.vnfDeployCost.max - config.vnfDeployCost.min + 1;
  return config.vnfDeployCost.min + (hashPair(seed, seq * 2 + 1) % span);
}
