/**
 * Evaluation of the interpreter on a labelled set: accuracy of the service
 * type, the dominant dimension and each SLA class (the classes decide whether
 * a slice is served), per-measure confusion and latency percentiles.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import {
  COST_CLASSES,
  CostClass,
  LatencyClass,
  PREFERENCE_DIMENSIONS,
  PRIORITY_CLASSES,
  ReliabilityClass,
  SERVICE_TYPES,
  ServiceType,
  type PreferenceDimension,
  type SliceProfile,
} from '../../shared/contracts/common.js';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import type { Interpreter } from './interpreter.js';
import { parseJsonLines } from './jsonl.js';
import { dominantDimension } from './simplex.js';

/**
 * One labelled request. The classes are optional so that a set labelled only
 * with service type and dominant dimension still evaluates; a line counts
 * only for the measures it has labels for.
 */
export const EvalLine = z.object({
  text: z.string().min(1),
  serviceType: ServiceType,
  dominant: z.enum(PREFERENCE_DIMENSIONS),
  latency: LatencyClass.optional(),
  reliability: ReliabilityClass.optional(),
  cost: CostClass.optional(),
});
export type EvalLine = z.infer<typeof EvalLine>;

/**
 * What scoring reads: an evaluation line whose dominant label may be missing
 * (generated requests carry a profile but no dominant dimension), in which
 * case the line does not count for `dominant`.
 */
export type EvalItem = Omit<EvalLine, 'dominant'> & { readonly dominant?: PreferenceDimension };

/** Everything an evaluation measures; `profile` = service type and all three classes right. */
export const EVAL_MEASURES = [
  'serviceType',
  'dominant',
  'latency',
  'reliability',
  'cost',
  'profile',
] as const;
export type EvalMeasure = (typeof EVAL_MEASURES)[number];

/** confusion[actual][predicted] = count */
export type Confusion<K extends string> = Record<K, Record<K, number>>;

/** What the evaluation looks at in one answer of the interpreter. */
export interface EvalPrediction {
  readonly profile: SliceProfile;
  readonly dominant: PreferenceDimension;
  readonly degraded: boolean;
  /** Time the interpreter took for this line. */
  readonly ms: number;
}

/** The report; `intents eval --json` prints it with the `source` it was measured on. */
export interface EvaluationReport {
  readonly n: number;
  /** Share of covered lines answered right; null when no line covers the measure. */
  readonly serviceTypeAccuracy: number | null;
  readonly dominantAccuracy: number | null;
  readonly latencyAccuracy: number | null;
  readonly reliabilityAccuracy: number | null;
  readonly costAccuracy: number | null;
  readonly profileAccuracy: number | null;
  /** Lines labelled for each measure (`profile`: lines with all three classes; `dominant`: lines with a dominant label). */
  readonly coverage: Readonly<Record<EvalMeasure, number>>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Over the covered lines of each measure. */
  readonly confusion: {
    readonly serviceType: Confusion<ServiceType>;
    readonly dominant: Confusion<PreferenceDimension>;
    readonly latency: Confusion<LatencyClass>;
    readonly reliability: Confusion<ReliabilityClass>;
    readonly cost: Confusion<CostClass>;
  };
  readonly degraded: number;
}

/** Reads an evaluation JSONL file; `scenario` error naming the first bad line. Extra keys are ignored. */
export async function loadEvalFile(path: string): Promise<EvalLine[]> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (cause) {
    throw new SliceMeshError('scenario', `cannot read ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const out = parseJsonLines(raw, EvalLine, path);
  if (out.length === 0) throw new SliceMeshError('scenario', `${path} has no evaluation lines`);
  return out;
}

function emptyConfusion<K extends string>(keys: readonly K[]): Confusion<K> {
  return Object.fromEntries(
    keys.map((a) => [a, Object.fromEntries(keys.map((p) => [p, 0]))]),
  ) as Confusion<K>;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Hits and covered lines of one measure. */
class Tally {
  hits = 0;
  covered = 0;
  add(hit: boolean): void {
    this.covered++;
    if (hit) this.hits++;
  }
  /** Null, not 0, without a covered line: "not measured" is not "all wrong". */
  accuracy(): number | null {
    return this.covered === 0 ? null : round(this.hits / this.covered, 4);
  }
}

/**
 * Scores answers against labels (`predictions[i]` answers `lines[i]`). Each
 * class and the dominant dimension count only on the lines labelled with it;
 * `profile` only on the lines labelled with all three classes.
 */
export function scoreEvaluation(
  lines: readonly EvalItem[],
  predictions: readonly EvalPrediction[],
): EvaluationReport {
  if (predictions.length !== lines.length) {
    throw new RangeError(`${predictions.length} predictions for ${lines.length} lines`);
  }
  const confusion = {
    serviceType: emptyConfusion(SERVICE_TYPES),
    dominant: emptyConfusion(PREFERENCE_DIMENSIONS),
    latency: emptyConfusion(PRIORITY_CLASSES),
    reliability: emptyConfusion(PRIORITY_CLASSES),
    cost: emptyConfusion(COST_CLASSES),
  };
  const tally = Object.fromEntries(EVAL_MEASURES.map((m) => [m, new Tally()])) as Record<
    EvalMeasure,
    Tally
  >;
  let degraded = 0;
  lines.forEach((line, i) => {
    const predicted = predictions[i];
    if (predicted === undefined) return;
    const { profile } = predicted;
    confusion.serviceType[line.serviceType][profile.serviceType] += 1;
    tally.serviceType.add(profile.serviceType === line.serviceType);
    if (line.dominant !== undefined) {
      confusion.dominant[line.dominant][predicted.dominant] += 1;
      tally.dominant.add(predicted.dominant === line.dominant);
    }
    if (line.latency !== undefined) {
      confusion.latency[line.latency][profile.latency] += 1;
      tally.latency.add(profile.latency === line.latency);
    }
    if (line.reliability !== undefined) {
      confusion.reliability[line.reliability][profile.reliability] += 1;
      tally.reliability.add(profile.reliability === line.reliability);
    }
    if (line.cost !== undefined) {
      confusion.cost[line.cost][profile.cost] += 1;
      tally.cost.add(profile.cost === line.cost);
    }
    if (line.latency !== undefined && line.reliability !== undefined && line.cost !== undefined) {
      tally.profile.add(
        profile.serviceType === line.serviceType &&
          profile.latency === line.latency &&
          profile.reliability === line.reliability &&
          profile.cost === line.cost,
      );
    }
    if (predicted.degraded) degraded++;
  });
  const latencies = predictions.map((p) => p.ms).sort((a, b) => a - b);
  return {
    n: lines.length,
    serviceTypeAccuracy: tally.serviceType.accuracy(),
    dominantAccuracy: tally.dominant.accuracy(),
    latencyAccuracy: tally.latency.accuracy(),
    reliabilityAccuracy: tally.reliability.accuracy(),
    costAccuracy: tally.cost.accuracy(),
    profileAccuracy: tally.profile.accuracy(),
    coverage: Object.fromEntries(EVAL_MEASURES.map((m) => [m, tally[m].covered])) as Record<
      EvalMeasure,
      number
    >,
    p50Ms: round(percentile(latencies, 50), 2),
    p99Ms: round(percentile(latencies, 99), 2),
    confusion,
    degraded,
  };
}

/** Runs every line through the interpreter, one at a time (latency is per request), and scores it. */
export async function evaluateInterpreter(
  interpreter: Pick<Interpreter, 'interpret'>,
  lines: readonly EvalItem[],
  onProgress?: (done: number, total: number) => void,
): Promise<EvaluationReport> {
  const predictions: EvalPrediction[] = [];
  for (const [i, line] of lines.entries()) {
    const started = performance.now();
    const result = await interpreter.interpret({ text: line.text });
    predictions.push({
      profile: result.profile,
      dominant: dominantDimension(result.preference),
      degraded: result.degraded,
      ms: performance.now() - started,
    });
    onProgress?.(i + 1, lines.length);
  }
  return scoreEvaluation(lines, predictions);
}
