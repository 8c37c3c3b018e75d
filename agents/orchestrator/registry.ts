/**
 * Registers the learned methods (`qappo`, `ppo`, `ppo-sla`) in the model's policy registry, so
 * `slicemesh eval` (and anything else that creates policies by name) can run
 * the shipped checkpoints next to the baselines.
 */
import path from 'node:path';
import type { SliceProfile } from '../../shared/contracts/common.js';
import { SliceMeshError, toSliceMeshError } from '../../shared/contracts/errors.js';
import { hasPolicy, registerPolicy, type Policy } from '../../shared/model/index.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { LEARNED_METHODS, METHOD_INTENT, type Intent, type LearnedMethod } from './features.js';
import { LearnedPolicy } from './learned-policy.js';
import { INTENT_CACHE_FILE, IntentCache, preferenceCacheCommand } from './training/intent-cache.js';

export interface LearnedPolicyOptions {
  /** Directory holding `<method>/checkpoint.json` and the preference cache (default: SLICEMESH_MODEL_DIR). */
  modelDir?: string;
  /** The preference cache to take qappo's preference vectors from (default: the one in `modelDir`). */
  intents?: IntentCache;
  /**
   * Interprets a request text the preference cache does not hold (e.g. the
   * interpreter's in-process API), with the classes the request states, if
   * any. Without it, such a request is a `config` error.
   */
  interpret?: (text: string, sla?: SliceProfile) => Promise<Intent>;
  /** Replace registrations made earlier (e.g. with other options). */
  replace?: boolean;
}

const DESCRIPTIONS: Record<LearnedMethod, string> = {
  qappo:
    'QoE-aware PPO: preference vector and slice profile in the state, preference-weighted reward',
  'ppo-sla':
    'PPO with the slice profile (SLA classes) in the state but no preference vector: equal reward weights',
  ppo: 'PPO without preference information: equal reward weights, no intent in the state',
};

/**
 * Registers the learned methods (no-op for names already registered unless
 * `replace`). Each acts on the profile its decision context gives (stated,
 * or inferred from the text); qappo also needs the preference vector the
 * interpreter returned for the request's text (with its SLA, when stated).
 */
export function registerLearnedPolicies(options: LearnedPolicyOptions = {}): void {
  let cache: Promise<IntentCache> | undefined;
  const modelDir = () => options.modelDir ?? loadConfig().model.dir;
  const intents = () =>
    (cache ??= options.intents
      ? Promise.resolve(options.intents)
      : IntentCache.load(path.join(modelDir(), INTENT_CACHE_FILE)));
  for (const method of LEARNED_METHODS) {
    if (hasPolicy(method) && options.replace !== true) continue;
    registerPolicy(
      method,
      async (policyOptions): Promise<Policy> => {
        const learned = await LearnedPolicy.load(
          path.join(modelDir(), method),
          policyOptions.config,
        ).catch((error: unknown) => {
          const err = toSliceMeshError(error, 'config');
          throw new SliceMeshError(
            err.code,
            `${err.message} (train it with slicemesh train --method ${method})`,
            { cause: error },
          );
        });
        if (!METHOD_INTENT[method].preference) {
          // Neither ppo nor ppo-sla reads a preference; ppo-sla reads the profile.
          return learned.asPolicy((ctx) => ({
            preference: UNIFORM_PREFERENCE,
            profile: ctx.request.profile,
          }));
        }
        const cached = await intents();
        return learned.asPolicy(async (ctx) => {
          const { description, profile, id } = ctx.request;
          let intent = description === undefined ? undefined : cached.get(description, ctx.sla);
          if (intent === undefined) {
            if (options.interpret === undefined || description === undefined) {
              throw new SliceMeshError(
                'config',
                `${method} needs the interpreter's output for request ${id}${ctx.sla ? ' with its SLA' : ' from its text alone'}: it is not in the preference cache (build it with ${preferenceCacheCommand()})`,
              );
            }
            intent = await options.interpret(description, ctx.sla);
            cached.set(description, intent, ctx.sla);
          }
          // The profile is the context's: the same every other method acts on.
          return { preference: intent.preference, profile };
        });
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
