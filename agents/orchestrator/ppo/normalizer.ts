/**
 * Running mean/variance of observations (Welford, merged per batch), used to
 * feed the networks inputs of similar scale. The statistics are part of a
 * checkpoint: a policy is only correct with the normaliser it was trained with.
 */
import { z } from 'zod';
import { SliceMeshError } from '../../../shared/contracts/errors.js';

/** Normalised inputs are clipped to ±CLIP so a rare outlier cannot saturate the network. */
const CLIP = 5;
const EPSILON = 1e-8;

export const NormalizerState = z
  .object({
    size: z.number().int().positive(),
    count: z.number().nonnegative(),
    mean: z.array(z.number()),
    m2: z.array(z.number()),
  })
  .strict();
export type NormalizerState = z.infer<typeof NormalizerState>;

export class RunningNormalizer {
  readonly size: number;
  private count = 0;
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;
  private frozen = false;

  constructor(size: number) {
    if (!Number.isInteger(size) || size <= 0) {
      throw new SliceMeshError(
        'internal',
        `normaliser size must be a positive integer, got ${size}`,
      );
    }
    this.size = size;
    this.mean = new Float64Array(size);
    this.m2 = new Float64Array(size);
  }

  /** Stops updates (evaluation and serving must not drift the statistics). */
  freeze(): this {
    this.frozen = true;
    return this;
  }

  get samples(): number {
    return this.count;
  }

  /** Adds one observation to the statistics (no-op when frozen). */
  update(x: ArrayLike<number>): void {
    if (this.frozen) return;
    this.checkSize(x);
    this.count += 1;
    for (let i = 0; i < this.size; i++) {
      const v = x[i] as number;
      const delta = v - (this.mean[i] as number);
      this.mean[i] = (this.mean[i] as number) + delta / this.count;
      this.m2[i] = (this.m2[i] as number) + delta * (v - (this.mean[i] as number));
    }
  }

  /** Writes (x − mean) / std, clipped, into `out`. Constant features map to 0. */
  normalise(x: ArrayLike<number>, out: Float32Array = new Float32Array(this.size)): Float32Array {
    this.checkSize(x);
    for (let i = 0; i < this.size; i++) {
      const variance = this.count > 1 ? (this.m2[i] as number) / this.count : 1;
      const z = ((x[i] as number) - (this.mean[i] as number)) / Math.sqrt(variance + EPSILON);
      out[i] = z > CLIP ? CLIP : z < -CLIP ? -CLIP : z;
    }
    return out;
  }

  toJSON(): NormalizerState {
    return { size: this.size, count: this.count, mean: [...this.mean], m2: [...this.m2] };
  }

  static fromJSON(state: unknown): RunningNormalizer {
    const parsed = NormalizerState.safeParse(state);
    if (
      !parsed.success ||
      parsed.data.mean.length !== parsed.data.size ||
      parsed.data.m2.length !== parsed.data.size
    ) {
      throw new SliceMeshError('invalid-message', 'normaliser statistics are malformed');
    }
    const n = new RunningNormalizer(parsed.data.size);
    n.count = parsed.data.count;
    n.mean.set(parsed.data.mean);
    n.m2.set(parsed.data.m2);
    return n;
  }

  private checkSize(x: ArrayLike<number>): void {
    if (x.length !== this.size) {
      throw new SliceMeshError(
        'internal',
        `observation has ${x.length} features, the normaliser expects ${this.size}`,
      );
    }
  }
}
