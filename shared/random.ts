/**
 * Seeded pseudo-random numbers for every stochastic part of SliceMesh.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counter, 32-bit
 * variant) seeded through splitmix32, so nearby seeds (1, 2, 3…) still give
 * unrelated streams. It is fast, has a period of at least 2^32 and passes
 * PractRand far beyond what simulations here need. Not for cryptography.
 *
 * `fork(label)` derives an independent stream from the *seed* and a label,
 * never from the current position, so adding a draw in one component does
 * not shift the numbers another component sees.
 */
import { SliceMeshError } from './contracts/errors.js';

export interface Rng {
  /** The 32-bit seed this stream was created from. */
  readonly seed: number;
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** Uniform integer in [lo, hi], both ends inclusive. */
  int(lo: number, hi: number): number;
  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element chosen uniformly; throws on an empty array. */
  pick<T>(items: readonly T[]): T;
  /** One element chosen with probability proportional to its weight. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T;
  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[];
  /** An independent stream derived from this stream's seed and `label`. */
  fork(label: string | number): Rng;
}

/** splitmix32 finaliser: a bijective 32-bit mix with good avalanche. */
function mix32(value: number): number {
  let z = (value + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** FNV-1a over the UTF-16 code units of a string, then mixed. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h >>> 0);
}

/**
 * Reduces a seed (a non-negative integer or any string) to 32 bits.
 * Integers below 2^32 map to themselves so seeds stay readable in logs.
 */
export function normaliseSeed(seed: number | string): number {
  if (typeof seed === 'string') return hashString(seed);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new SliceMeshError(
      'config',
      `seed must be a non-negative safe integer or a string, got ${String(seed)}`,
    );
  }
  if (seed <= 0xffffffff) return seed >>> 0;
  // Fold the high bits in so seeds above 2^32 do not collide with their low half.
  return mix32((seed >>> 0) ^ mix32(Math.floor(seed / 0x100000000)));
}

/**
 * Allocation-free hash of two 32-bit integers into one well-mixed 32-bit value:
 * for per-item draws in hot loops where creating a generator would be too slow.
 */
export function hashPair(a: number, b: number): number {
  return mix32(mix32(a >>> 0) ^ Math.imul((b >>> 0) ^ 0x85ebca6b, 0xc2b2ae35));
}

/** Combines a seed with labels into a new 32-bit seed (order-sensitive). */
export function deriveSeed(seed: number | string, ...labels: (string | number)[]): number {
  let h = normaliseSeed(seed);
  for (const label of labels) {
    const part =
      typeof label === 'number' ? mix32(normaliseSeed(label) ^ 0x5bd1e995) : hashString(label);
    h = mix32(h ^ Math.imul(part, 0x27d4eb2d) ^ 0x165667b1);
  }
  return h;
}

class Sfc32 implements Rng {
  readonly seed: number;
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.seed = seed;
    this.a = mix32(seed);
    this.b = mix32(this.a ^ 0x6a09e667);
    this.c = mix32(this.b ^ 0xbb67ae85);
    this.d = 1;
    // Discard the first outputs: sfc32 needs a few rounds to decorrelate from its seed.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.nextUint32() / 4294967296;
  }

  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) {
      throw new SliceMeshError(
        'internal',
        `int(lo, hi) needs integers with lo <= hi, got ${lo}, ${hi}`,
      );
    }
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  uniform(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new SliceMeshError('internal', 'pick() from an empty array');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    if (items.length === 0 || items.length !== weights.length) {
      throw new SliceMeshError('internal', 'weighted() needs as many positive weights as items');
    }
    let total = 0;
    for (const w of weights) {
      if (!(w >= 0))
        throw new SliceMeshError('internal', `weighted() got a negative or NaN weight ${w}`);
      total += w;
    }
    if (total <= 0)
      throw new SliceMeshError('internal', 'weighted() needs a positive total weight');
    let r = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return items[i] as T;
    }
    // Floating-point residue: fall back to the last item with positive weight.
    for (let i = items.length - 1; i >= 0; i--)
      if ((weights[i] as number) > 0) return items[i] as T;
    return items[items.length - 1] as T;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  fork(label: string | number): Rng {
    return new Sfc32(deriveSeed(this.seed, label));
  }
}

/** Creates a seeded generator; the same seed always yields the same stream. */
export function createRng(seed: number | string): Rng {
  return new Sfc32(normaliseSeed(seed));
}
