/**
 * Seeded request generator: service types, QoE classes and demands drawn
 * from documented class mixes (calibration, see docs/case-study-model.md).
 * Request i of an instance depends only on the seed and i, so the instance
 * with 8 requests is a prefix of the one with 20 for the same seed.
 */
import {
  COST_CLASSES,
  PRIORITY_CLASSES,
  SERVICE_TYPES,
  type CostClass,
  type LatencyClass,
  type ReliabilityClass,
  type ServiceType,
} from '../contracts/common.js';
import { SliceMeshError } from '../contracts/errors.js';
import { createRng, normaliseSeed } from '../random.js';
import type { IntRange } from './config.js';
import { describeRequest } from './descriptions.js';
import type { Instance, ModelRequest } from './types.js';

type Weights<K extends string> = Readonly<Record<K, number>>;

export interface ClassMix {
  /** Share of each service type among requests. */
  readonly serviceTypes: Weights<ServiceType>;
  /** Latency class weights per service type. */
  readonly latency: Readonly<Record<ServiceType, Weights<LatencyClass>>>;
  /** Reliability class weights per service type. */
  readonly reliability: Readonly<Record<ServiceType, Weights<ReliabilityClass>>>;
  /**
   * Probability of the cost-sensitive class per service type, for requests
   * whose latency class is not high. High-latency-priority requests are
   * always general: a cost-sensitive one could only be served by joining a
   * running cloud container (see the model document), so it is never drawn.
   */
  readonly costSensitive: Readonly<Record<ServiceType, number>>;
  /** CPU and memory demand ranges per service type (units of the local server). */
  readonly demand: Readonly<Record<ServiceType, { cpu: IntRange; mem: IntRange }>>;
}

const SMALL = { cpu: { min: 2, max: 5 }, mem: { min: 2, max: 4 } };
const LARGE = { cpu: { min: 3, max: 6 }, mem: { min: 3, max: 6 } };

/** The calibrated default mix (an IIoT plant dominated by control traffic). */
export const DEFAULT_CLASS_MIX: ClassMix = {
  serviceTypes: { URLLC: 0.45, eMBB: 0.25, mMTC: 0.3 },
  latency: {
    URLLC: { high: 0.85, medium: 0.15, 'best-effort': 0 },
    eMBB: { high: 0.3, medium: 0.5, 'best-effort': 0.2 },
    mMTC: { high: 0.15, medium: 0.25, 'best-effort': 0.6 },
  },
  reliability: {
    URLLC: { high: 0.6, medium: 0.3, 'best-effort': 0.1 },
    eMBB: { high: 0.2, medium: 0.5, 'best-effort': 0.3 },
    mMTC: { high: 0.1, medium: 0.3, 'best-effort': 0.6 },
  },
  costSensitive: { URLLC: 0.2, eMBB: 0.4, mMTC: 0.8 },
  demand: { URLLC: LARGE, eMBB: LARGE, mMTC: SMALL },
};

export interface GenerateOptions {
  mix?: ClassMix;
  /** Prefix of the slice ids (default `s<seed>`); ids are `<prefix>-<n>` from 1. */
  idPrefix?: string;
}

export const MAX_INSTANCE_REQUESTS = 1000;

function pickWeighted<K extends string>(
  rng: ReturnType<typeof createRng>,
  keys: readonly K[],
  weights: Weights<K>,
): K {
  return rng.weighted(
    keys,
    keys.map((k) => weights[k]),
  );
}

/** Draws request `index` of the instance with `seed`. */
export function generateRequest(
  seed: number,
  index: number,
  options: GenerateOptions = {},
): ModelRequest {
  const mix = options.mix ?? DEFAULT_CLASS_MIX;
  const rng = createRng(seed).fork('requests').fork(index);
  const serviceType = pickWeighted(rng, SERVICE_TYPES, mix.serviceTypes);
  const latency = pickWeighted(rng, PRIORITY_CLASSES, mix.latency[serviceType]);
  const reliability = pickWeighted(rng, PRIORITY_CLASSES, mix.reliability[serviceType]);
  const costDraw = rng.next();
  const cost: CostClass =
    latency !== 'high' && costDraw < mix.costSensitive[serviceType]
      ? COST_CLASSES[0]
      : COST_CLASSES[1];
  const range = mix.demand[serviceType];
  const demand = {
    cpu: rng.int(range.cpu.min, range.cpu.max),
    mem: rng.int(range.mem.min, range.mem.max),
  };
  const description = describeRequest(rng.fork('text'), serviceType, latency, reliability, cost);
  return {
    id: `${options.idPrefix ?? `s${seed}`}-${index + 1}`,
    profile: { serviceType, latency, reliability, cost },
    demand,
    description,
  };
}

/** A seeded instance of `count` requests arriving one after another. */
export function generateInstance(
  seed: number,
  count: number,
  options: GenerateOptions = {},
): Instance {
  normaliseSeed(seed);
  if (!Number.isInteger(count) || count < 1 || count > MAX_INSTANCE_REQUESTS) {
    throw new SliceMeshError(
      'config',
      `request count must be an integer in 1..${MAX_INSTANCE_REQUESTS}, got ${count}`,
    );
  }
  if (options.idPrefix !== undefined && !/^[A-Za-z0-9_-]{1,100}$/.test(options.idPrefix)) {
    throw new SliceMeshError('config', 'idPrefix may hold only letters, digits, "_" and "-"');
  }
  const requests = Array.from({ length: count }, (_, i) => generateRequest(seed, i, options));
  return { seed, requests };
}
