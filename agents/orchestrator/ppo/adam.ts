/**
 * Adam, written out so its whole state (moments and step count) can be saved
 * and restored exactly: tfjs's built-in optimiser recomputes its bias
 * corrections differently after a restore, so a resumed run would drift from
 * an uninterrupted one in the last bits.
 */
import * as tf from '@tensorflow/tfjs';
import type { SavedTensor } from './learner-types.js';

export class Adam {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private step = 0;

  constructor(
    private readonly vars: tf.Variable[],
    private readonly learningRate: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-5,
  ) {
    this.m = vars.map((x) => tf.variable(tf.zerosLike(x), false));
    this.v = vars.map((x) => tf.variable(tf.zerosLike(x), false));
  }

  /** Applies one update with gradients given in the order of `vars`. */
  apply(grads: tf.Tensor[]): void {
    this.step += 1;
    // Bias corrections in float64 on the host: identical however the state was reached.
    const c1 = 1 - Math.pow(this.beta1, this.step);
    const c2 = 1 - Math.pow(this.beta2, this.step);
    tf.tidy(() => {
      this.vars.forEach((x, i) => {
        const g = grads[i] as tf.Tensor;
        const m = this.m[i] as tf.Variable;
        const v = this.v[i] as tf.Variable;
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), this.epsilon));
        x.assign(tf.sub(x, tf.mul(update, this.learningRate)));
      });
    });
  }

  /** Moments and step count as plain arrays. */
  save(): SavedTensor[] {
    const out: SavedTensor[] = [{ name: 'step', shape: [], values: Float32Array.of(this.step) }];
    this.m.forEach((t, i) =>
      out.push({ name: `m${i}`, shape: [...t.shape], values: new Float32Array(t.dataSync()) }),
    );
    this.v.forEach((t, i) =>
      out.push({ name: `v${i}`, shape: [...t.shape], values: new Float32Array(t.dataSync()) }),
    );
    return out;
  }

  restore(saved: SavedTensor[]): void {
    const byName = new Map(saved.map((s) => [s.name, s]));
    this.step = byName.get('step')?.values[0] ?? 0;
    const load = (list: tf.Variable[], prefix: string) =>
      list.forEach((t, i) => {
        const s = byName.get(`${prefix}${i}`);
        if (s && s.values.length === t.size) t.assign(tf.tensor(s.values, t.shape));
      });
    load(this.m, 'm');
    load(this.v, 'v');
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}
