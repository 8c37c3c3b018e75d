/**
 * Evaluation of the interpreter on a labelled set: service-type accuracy,
 * dominant-dimension accuracy, per-class confusion and latency percentiles.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import {
  PREFERENCE_DIMENSIONS,
  SERVICE_TYPES,
  ServiceType,
  type PreferenceDimension,
} from '../../shared/contracts/common.js';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import type { Interpreter } from './interpreter.js';
import { parseJsonLines } from './jsonl.js';
import { dominantDimension } from './simplex.js';

export const EvalLine = z.object({
  text: z.string().min(1),
  serviceType: ServiceType,
  dominant: z.enum(PREFERENCE_DIMENSIONS),
});
export type EvalLine = z.infer<typeof EvalLine>;

/** confusion[actual][predicted] = count */
export type Confusion<K extends string> = Record<K, Record<K, number>>;

export interface EvaluationReport {
  readonly n: number;
  readonly serviceTypeAccuracy: number;
  readonly dominantAccuracy: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serviceTypeConfusion: Confusion<ServiceType>;
  readonly dominantConfusion: Confusion<PreferenceDimension>;
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

/** Runs every line through the interpreter, one at a time (latency is per request). */
export async function evaluateInterpreter(
  interpreter: Pick<Interpreter, 'interpret'>,
  lines: readonly EvalLine[],
  onProgress?: (done: number, total: number) => void,
): Promise<EvaluationReport> {
  const serviceTypeConfusion = emptyConfusion(SERVICE_TYPES);
  const dominantConfusion = emptyConfusion(PREFERENCE_DIMENSIONS);
  const latencies: number[] = [];
  let typeHits = 0;
  let dominantHits = 0;
  let degraded = 0;
  for (const [i, line] of lines.entries()) {
    const started = performance.now();
    const result = await interpreter.interpret({ text: line.text });
    latencies.push(performance.now() - started);
    const dominant = dominantDimension(result.preference);
    serviceTypeConfusion[line.serviceType][result.profile.serviceType] += 1;
    dominantConfusion[line.dominant][dominant] += 1;
    if (result.profile.serviceType === line.serviceType) typeHits++;
    if (dominant === line.dominant) dominantHits++;
    if (result.degraded) degraded++;
    onProgress?.(i + 1, lines.length);
  }
  latencies.sort((a, b) => a - b);
  const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
  return {
    n: lines.length,
    serviceTypeAccuracy: round(typeHits / lines.length, 4),
    dominantAccuracy: round(dominantHits / lines.length, 4),
    p50Ms: round(percentile(latencies, 50), 2),
    p99Ms: round(percentile(latencies, 99), 2),
    serviceTypeConfusion,
    dominantConfusion,
    degraded,
  };
}
