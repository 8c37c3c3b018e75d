/**
 * How good a slice outcome was, as one number in [0, 1]: the weight its
 * preference vector gets when it is merged into the memory bank.
 *
 * - Unserved (the placement did not meet the slice's QoE constraints): 0.
 * - Served without observed figures: 0.5 — a pass with unknown margin.
 * - Served with figures: 0.5 + 0.5 × the preference-weighted headroom over the
 *   three dimensions the case-study model measures:
 *     latency      1 − latencyMs / latency limit of the latency class   (clamped to [0, 1])
 *     economics    1 − cost / cost limit of the cost class               (clamped to [0, 1])
 *     reliability  1 / (1 + shared nodes on the path)
 *   weighted by the slice's own preference renormalised over those three
 *   (throughput is not measured), equal weights when they are all zero.
 *
 * So every served outcome outweighs every unserved one, and among served
 * outcomes the ones that met their constraints with room to spare — on the
 * dimensions the requester cared about — count most.
 */
import type { PreferenceVector, QoeFigures, SliceProfile } from '../../shared/contracts/common.js';
import { DEFAULT_MODEL_CONFIG, type ModelConfig } from '../../shared/model/config.js';

export interface QualityInput {
  readonly served: boolean;
  readonly observed?: QoeFigures | undefined;
  readonly preference: PreferenceVector;
  readonly profile: SliceProfile;
}

/** Quality of a served outcome whose figures were not reported. */
export const SERVED_WITHOUT_FIGURES = 0.5;

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/** Outcome quality in [0, 1] (see the module comment for the rule). */
export function outcomeQuality(
  outcome: QualityInput,
  config: Pick<ModelConfig, 'latencyLimitMs' | 'costLimit'> = DEFAULT_MODEL_CONFIG,
): number {
  if (!outcome.served) return 0;
  const observed = outcome.observed;
  if (observed === undefined) return SERVED_WITHOUT_FIGURES;
  const latencyLimit = config.latencyLimitMs[outcome.profile.latency];
  const costLimit = config.costLimit[outcome.profile.cost];
  const headroom = {
    latency: clamp01(1 - observed.latencyMs / latencyLimit),
    reliability: 1 / (1 + Math.max(0, observed.reliabilityCost)),
    economics: clamp01(1 - observed.cost / costLimit),
  };
  const { latency, reliability, economics } = outcome.preference;
  const total = latency + reliability + economics;
  const w =
    total > 0
      ? { latency: latency / total, reliability: reliability / total, economics: economics / total }
      : { latency: 1 / 3, reliability: 1 / 3, economics: 1 / 3 };
  const margin =
    w.latency * headroom.latency +
    w.reliability * headroom.reliability +
    w.economics * headroom.economics;
  return 0.5 + 0.5 * clamp01(margin);
}
