/**
 * Registers `qappo` and `ppo` in the model's policy registry, so
 * `slicemesh eval` (and anything else that creates policies by name) can run
 * the shipped checkpoints next to the baselines.
 */
import path from 'node:path';
import type { SliceProfile } from '../../shared/contracts/common.js';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import { hasPolicy, registerPolicy, type Policy } from '../../shared/model/index.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { LEARNED_METHODS, type Intent, type LearnedMethod } from './features.js';
import { LearnedPolicy } from './learned-policy.js';
import { INTENT_CACHE_FILE, IntentCache } from './training/intent-cache.js';

export interface LearnedPolicyOptions {
  /** Directory holding `<method>/checkpoint.json` and the preference cache (default: SLICEMESH_MODEL_DIR). */
  modelDir?: string;
  /**
   * Interprets a request text the preference cache does not hold (e.g. the
   * interpreter's in-process API). Without it, such a request is a `config` error.
   */
  interpret?: (text: string, sla: SliceProfile) => Promise<Intent>;
  /** Replace registrations made earlier (e.g. with other options). */
  replace?: boolean;
}

const DESCRIPTIONS: Record<LearnedMethod, string> = {
  qappo:
    'QoE-aware PPO: preference vector and inferred profile in the state, preference-weighted reward',
  ppo: 'PPO without preference information: equal reward weights, no intent in the state',
};

/** Registers both learned methods (no-op for names already registered unless `replace`). */
export function registerLearnedPolicies(options: LearnedPolicyOptions = {}): void {
  let cache: Promise<IntentCache> | undefined;
  const modelDir = () => options.modelDir ?? loadConfig().model.dir;
  for (const method of LEARNED_METHODS) {
    if (hasPolicy(method) && options.replace !== true) continue;
    registerPolicy(
      method,
      async (policyOptions): Promise<Policy> => {
        const dir = modelDir();
        const learned = await LearnedPolicy.load(path.join(dir, method), policyOptions.config);
        if (method === 'ppo') {
          // ppo's input carries no intent: the profile only fixes which limits the
          // previews were divided by, and that is undone (features.ts).
          return learned.asPolicy((request) => ({
            preference: UNIFORM_PREFERENCE,
            profile: request.profile,
          }));
        }
        cache ??= IntentCache.load(path.join(dir, INTENT_CACHE_FILE));
        const intents = await cache;
        return {
          name: method,
          decide: async (ctx) => {
            // Evaluation requests state their SLA classes, as in the paper's scenarios.
            const description = ctx.request.description;
            const sla = ctx.request.profile;
            let intent = description === undefined ? undefined : intents.get(description, sla);
            if (intent === undefined) {
              if (options.interpret === undefined || description === undefined) {
                throw new SliceMeshError(
                  'config',
                  `qappo needs the interpreter's output for request ${ctx.request.id}: it is not in the preference cache (rebuild it with slicemesh train --method qappo --preferences-only --eval-seeds N)`,
                );
              }
              intent = await options.interpret(description, sla);
              intents.set(description, intent, sla);
            }
            return learned.decide(ctx.state, ctx.request, intent, ctx.candidates, ctx.mask).action;
          },
        };
      },
      { description: DESCRIPTIONS[method], replace: options.replace ?? false },
    );
  }
}

const UNIFORM_PREFERENCE = Object.freeze({
  latency: 0.25,
  reliability: 0.25,
  economics: 0.25,
  throughput: 0.25,
});
