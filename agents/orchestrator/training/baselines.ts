/**
 * Flat reference lines for the reward curve: the heuristics' mean episode
 * score and availability on training-distribution episodes, scored with the
 * same preference-weighted formula as the learned methods.
 */
import {
  ACTION_COUNT,
  OBSERVATION_SIZE,
  SliceEnv,
  createPolicy,
  normaliseOutcome,
  type DecisionContext,
  type NormalisedOutcome,
  type PolicyDecision,
} from '../../../shared/model/index.js';
import { preferenceWeights, stepReward } from '../reward.js';
import type { IntentCache } from './intent-cache.js';
import type { PlacementTrainingEnv } from './placement-env.js';

export interface BaselineLine {
  method: string;
  meanScore: number;
  availability: number;
  episodes: number;
}

/** Episodes used for the flat lines: far from the numbers training uses. */
const FIRST_EPISODE = 1_000_000_000;

/** Runs `method` on `episodes` episodes of the training distribution. */
export async function scoreBaseline(
  method: string,
  trainingEnv: PlacementTrainingEnv,
  intents: IntentCache,
  episodes: number,
): Promise<BaselineLine> {
  const policy = await createPolicy(method, { seed: 1 });
  const env = new SliceEnv();
  const mask = new Uint8Array(ACTION_COUNT);
  const observation = new Float32Array(OBSERVATION_SIZE);
  const normalised: Partial<NormalisedOutcome> = {};
  let score = 0;
  let served = 0;
  let requests = 0;
  for (let e = 0; e < episodes; e++) {
    const instance = trainingEnv.instanceFor(FIRST_EPISODE + e);
    await policy.startEpisode?.(instance);
    env.reset(instance);
    while (!env.done) {
      const request = env.currentRequest();
      const weights = preferenceWeights(intents.require(request, true).preference);
      const ctx: DecisionContext = {
        state: env.state,
        request,
        // Like the score's weights, the flat lines take every request as stating its SLA.
        sla: request.profile,
        compiled: env.currentCompiled(),
        candidates: env.currentCandidates(),
        mask: env.actionMask(mask),
        observe: () => env.observe(observation),
        stepIndex: env.stepIndex,
      };
      const decision: PolicyDecision = await policy.decide(ctx);
      const result = typeof decision === 'number' ? env.step(decision) : env.stepPlan(decision);
      score += stepReward(normaliseOutcome(result, normalised), weights);
    }
    const summary = env.summary();
    served += summary.served;
    requests += summary.requests;
  }
  return { method, meanScore: score / episodes, availability: served / requests, episodes };
}
