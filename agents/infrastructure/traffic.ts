/**
 * Traffic load per slice: the factor last announced on the bus (a surge, or
 * its end) times an optional seeded fluctuation. The fluctuation of a slice's
 * k-th tick depends only on the seed, the slice id and k, so the same seed
 * gives the same load series whatever other slices do.
 */
import { SliceMeshError } from '../../shared/contracts/index.js';
import { deriveSeed, hashPair } from '../../shared/random.js';

/** Loads never fall below this, however deep the fluctuation (KPI samples need a positive load). */
const MIN_LOAD = 0.01;

interface SliceTraffic {
  /** Announced factor (1 = nominal). */
  factor: number;
  /** Current fluctuation in [-1, 1]. */
  noise: number;
  /** Ticks drawn so far. */
  ticks: number;
  /** Seed of this slice's fluctuation stream. */
  readonly stream: number;
}

export class TrafficTable {
  readonly seed: number;
  /** Relative fluctuation amplitude in [0, 1): the load varies within factor × (1 ± amplitude). */
  readonly amplitude: number;
  readonly #slices = new Map<string, SliceTraffic>();

  constructor(seed: number, amplitude = 0) {
    if (!Number.isFinite(amplitude) || amplitude < 0 || amplitude >= 1) {
      throw new SliceMeshError(
        'config',
        `traffic fluctuation amplitude must be in [0, 1), got ${amplitude}`,
      );
    }
    this.seed = seed;
    this.amplitude = amplitude;
  }

  #entry(sliceId: string): SliceTraffic {
    let entry = this.#slices.get(sliceId);
    if (entry === undefined) {
      entry = { factor: 1, noise: 0, ticks: 0, stream: deriveSeed(this.seed, 'traffic', sliceId) };
      this.#slices.set(sliceId, entry);
    }
    return entry;
  }

  /** Starts tracking a slice at nominal load (no-op when tracked). */
  track(sliceId: string): void {
    this.#entry(sliceId);
  }

  has(sliceId: string): boolean {
    return this.#slices.has(sliceId);
  }

  /** Sets the announced factor; true when it changed. */
  setFactor(sliceId: string, factor: number): boolean {
    if (!Number.isFinite(factor) || factor <= 0) {
      throw new SliceMeshError('invalid-message', `load factor must be positive, got ${factor}`);
    }
    const entry = this.#entry(sliceId);
    if (entry.factor === factor) return false;
    entry.factor = factor;
    return true;
  }

  factorOf(sliceId: string): number {
    return this.#slices.get(sliceId)?.factor ?? 1;
  }

  /** Effective load: the announced factor with the current fluctuation applied. */
  loadOf(sliceId: string): number {
    const entry = this.#slices.get(sliceId);
    if (entry === undefined) return 1;
    return Math.max(MIN_LOAD, entry.factor * (1 + this.amplitude * entry.noise));
  }

  /** Draws the next fluctuation of every tracked slice (one periodic KPI tick). */
  tick(): void {
    if (this.amplitude === 0) return;
    for (const entry of this.#slices.values()) {
      entry.noise = (hashPair(entry.stream, entry.ticks) / 0x100000000) * 2 - 1;
      entry.ticks++;
    }
  }

  forget(sliceId: string): void {
    this.#slices.delete(sliceId);
  }

  /** Announced factors of every tracked slice (for snapshots). */
  factors(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, entry] of this.#slices) out[id] = entry.factor;
    return out;
  }
}
