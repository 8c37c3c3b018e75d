import { z } from 'zod';

/**
 * PPO hyperparameters. The paper fixes four of them (§IV-B: learning rate
 * 1e-4 for actor and critic, discount 0.99, clip 0.1, batch 1024); the rest
 * are the common PPO defaults. docs/orchestrator.md explains every value.
 */
export const PpoHyperparameters = z
  .object({
    actorLearningRate: z.number().positive().max(1),
    criticLearningRate: z.number().positive().max(1),
    gamma: z.number().min(0).max(1),
    gaeLambda: z.number().min(0).max(1),
    clip: z.number().positive().max(1),
    /** Environment steps collected per update (rounded up to whole episodes). */
    batchSize: z.number().int().positive(),
    minibatchSize: z.number().int().positive(),
    epochs: z.number().int().positive(),
    entropyCoefficient: z.number().nonnegative(),
    valueCoefficient: z.number().positive(),
    maxGradNorm: z.number().positive(),
    /** Stop an update's epochs early once the mean approximate KL exceeds this; null = never. */
    targetKl: z.number().positive().nullable(),
    hidden: z.array(z.number().int().positive()).min(1).max(4),
  })
  .strict();
export type PpoHyperparameters = z.infer<typeof PpoHyperparameters>;

export const DEFAULT_HYPERPARAMETERS: PpoHyperparameters = Object.freeze({
  actorLearningRate: 1e-4,
  criticLearningRate: 1e-4,
  gamma: 0.99,
  gaeLambda: 0.95,
  clip: 0.1,
  batchSize: 1024,
  minibatchSize: 256,
  epochs: 10,
  entropyCoefficient: 0.01,
  valueCoefficient: 0.5,
  maxGradNorm: 0.5,
  targetKl: 0.03,
  hidden: [64, 64],
}) as PpoHyperparameters;
