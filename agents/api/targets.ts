/**
 * Explicit targets of an intent's JSON-LD expression, read in the style of 3GPP TS 28.312
 * expectation targets (`targetName`, `targetCondition`, `targetValueRange`), turned into
 * the SLA classes of a slice request. A target is met by the loosest class whose limit
 * still satisfies it (the cheapest slice that keeps the promise); a target no class can
 * meet, an unknown target or a condition that states no bound is an intent the mesh cannot
 * understand (`invalid-message`, answered 422). Limits come from the case-study model.
 */
import {
  COST_CLASSES,
  PRIORITY_CLASSES,
  type CostClass,
  type LatencyClass,
  type ReliabilityClass,
  type SlaClasses,
} from '../../shared/contracts/common.js';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import { DEFAULT_MODEL_CONFIG, type ModelConfig } from '../../shared/model/config.js';

export const TARGET_NAMES = ['latency', 'availability', 'reliability', 'cost'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** TS 28.312 conditions of an expectation target. */
export const TARGET_CONDITIONS = [
  'IS_EQUAL_TO',
  'IS_LESS_THAN',
  'IS_GREATER_THAN',
  'IS_WITHIN_RANGE',
  'IS_OUTSIDE_RANGE',
  'IS_ONE_OF',
  'IS_NOT_ONE_OF',
  'IS_EQUAL_TO_OR_LESS_THAN',
  'IS_EQUAL_TO_OR_GREATER_THAN',
  'IS_ALL_OF',
] as const;
export type TargetCondition = (typeof TARGET_CONDITIONS)[number];

export interface ExpectationTarget {
  readonly targetName: string;
  readonly targetCondition: string;
  readonly targetValueRange: unknown;
  readonly targetUnit?: string;
}

/**
 * Availability (or reliability) in percent that each reliability class stands for: a slice
 * alone on its nodes (high) is the one promised five nines, one sharing with one other
 * three nines, best-effort anything less. A calibration of this project (docs/api.md).
 */
export const RELIABILITY_PERCENT: Readonly<Record<ReliabilityClass, number>> = Object.freeze({
  high: 99.999,
  medium: 99.9,
  'best-effort': 0,
});

/** Where a target's number bounds the figure: `max` for latency and cost, `min` for the others. */
interface Bound {
  readonly value: number;
  /** true: the figure must differ from `value` (IS_LESS_THAN / IS_GREATER_THAN). */
  readonly strict: boolean;
}

function invalid(message: string): SliceMeshError {
  return new SliceMeshError('invalid-message', message);
}

function numberOf(value: unknown, what: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw invalid(`${what} is not a number`);
  return n;
}

/** The upper (latency, cost) or lower (availability) bound a target states. */
function boundOf(target: ExpectationTarget, side: 'max' | 'min'): Bound {
  const what = `target ${target.targetName}: targetValueRange`;
  const range = target.targetValueRange;
  switch (target.targetCondition) {
    case 'IS_LESS_THAN':
    case 'IS_EQUAL_TO_OR_LESS_THAN':
      if (side !== 'max') break;
      return {
        value: numberOf(range, what),
        strict: target.targetCondition === 'IS_LESS_THAN',
      };
    case 'IS_GREATER_THAN':
    case 'IS_EQUAL_TO_OR_GREATER_THAN':
      if (side !== 'min') break;
      return {
        value: numberOf(range, what),
        strict: target.targetCondition === 'IS_GREATER_THAN',
      };
    case 'IS_EQUAL_TO':
      // Promising exactly a figure means promising at least (or at most) it.
      return { value: numberOf(range, what), strict: false };
    case 'IS_WITHIN_RANGE': {
      if (!Array.isArray(range) || range.length !== 2)
        throw invalid(`${what} of IS_WITHIN_RANGE must be [low, high]`);
      const [low, high] = [numberOf(range[0], what), numberOf(range[1], what)];
      if (low > high) throw invalid(`${what}: low ${low} is above high ${high}`);
      return { value: side === 'max' ? high : low, strict: false };
    }
    default:
      break;
  }
  throw invalid(
    `target ${target.targetName}: condition ${target.targetCondition} states no ${side === 'max' ? 'upper' : 'lower'} bound`,
  );
}

function meets(limit: number, bound: Bound, side: 'max' | 'min'): boolean {
  if (side === 'max') return bound.strict ? limit < bound.value : limit <= bound.value;
  return bound.strict ? limit > bound.value : limit >= bound.value;
}

/** Latency in ms: `targetUnit` ms (default) or s. */
function latencyMs(bound: Bound, unit: string | undefined): Bound {
  if (unit === undefined || unit === 'ms') return bound;
  if (unit === 's') return { ...bound, value: bound.value * 1_000 };
  throw invalid(`target latency: unit ${unit} is not ms or s`);
}

function latencyClass(target: ExpectationTarget, model: ModelConfig): LatencyClass {
  const bound = latencyMs(boundOf(target, 'max'), target.targetUnit);
  // Loosest first: the cheapest class that still keeps the promise.
  const loosestFirst = [...PRIORITY_CLASSES].reverse();
  const found = loosestFirst.find((c) => meets(model.latencyLimitMs[c], bound, 'max'));
  if (!found)
    throw invalid(
      `target latency ${bound.strict ? '<' : '≤'} ${bound.value} ms cannot be met: the strictest class promises ${model.latencyLimitMs.high} ms`,
    );
  return found;
}

function reliabilityClass(target: ExpectationTarget): ReliabilityClass {
  if (target.targetUnit !== undefined && target.targetUnit !== '%')
    throw invalid(`target ${target.targetName}: unit ${target.targetUnit} is not %`);
  const bound = boundOf(target, 'min');
  if (bound.value < 0 || bound.value > 100)
    throw invalid(`target ${target.targetName}: ${bound.value} is not a percentage`);
  const loosestFirst = [...PRIORITY_CLASSES].reverse();
  const found = loosestFirst.find((c) => meets(RELIABILITY_PERCENT[c], bound, 'min'));
  if (!found)
    throw invalid(
      `target ${target.targetName} ${bound.strict ? '>' : '≥'} ${bound.value}% cannot be met: the strictest class promises ${RELIABILITY_PERCENT.high}%`,
    );
  return found;
}

function costClass(target: ExpectationTarget, model: ModelConfig): CostClass {
  const bound = boundOf(target, 'max');
  // `general` allows more than `cost-sensitive`: loosest first.
  const loosestFirst = [...COST_CLASSES].sort((a, b) => model.costLimit[b] - model.costLimit[a]);
  const found = loosestFirst.find((c) => meets(model.costLimit[c], bound, 'max'));
  if (!found)
    throw invalid(
      `target cost ${bound.strict ? '<' : '≤'} ${bound.value} cannot be met: the cheapest class allows ${model.costLimit['cost-sensitive']}`,
    );
  return found;
}

/**
 * The SLA classes the targets state; undefined when there are none (the description is
 * then interpreted). Two targets on one figure must agree on a class.
 */
export function slaFromTargets(
  targets: readonly ExpectationTarget[],
  model: ModelConfig = DEFAULT_MODEL_CONFIG,
): SlaClasses | undefined {
  if (targets.length === 0) return undefined;
  const sla: { latency?: LatencyClass; reliability?: ReliabilityClass; cost?: CostClass } = {};
  const set = <K extends keyof typeof sla>(key: K, value: NonNullable<(typeof sla)[K]>) => {
    if (sla[key] !== undefined && sla[key] !== value)
      throw invalid(`targets on ${key} disagree: ${sla[key]} and ${value}`);
    sla[key] = value;
  };
  for (const target of targets) {
    if (!(TARGET_CONDITIONS as readonly string[]).includes(target.targetCondition))
      throw invalid(`target ${target.targetName}: unknown condition ${target.targetCondition}`);
    switch (target.targetName) {
      case 'latency':
        set('latency', latencyClass(target, model));
        break;
      case 'availability':
      case 'reliability':
        set('reliability', reliabilityClass(target));
        break;
      case 'cost':
        set('cost', costClass(target, model));
        break;
      default:
        throw invalid(
          `unknown target ${JSON.stringify(target.targetName)}: use ${TARGET_NAMES.join(', ')}`,
        );
    }
  }
  return sla;
}

/**
 * The expectation targets of an expression value: `expectationTargets` at its top, or
 * inside its `intentExpectations` (TS 28.312's Intent: expectations, each with targets).
 */
export function targetsOf(expressionValue: Record<string, unknown>): ExpectationTarget[] {
  const out: ExpectationTarget[] = [];
  const take = (list: unknown) => {
    if (Array.isArray(list)) out.push(...(list as ExpectationTarget[]));
  };
  take(expressionValue.expectationTargets);
  const expectations = expressionValue.intentExpectations;
  if (Array.isArray(expectations))
    for (const e of expectations)
      if (typeof e === 'object' && e !== null)
        take((e as { expectationTargets?: unknown }).expectationTargets);
  return out;
}
