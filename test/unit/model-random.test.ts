import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed, normaliseSeed } from '../../shared/random.js';

describe('seeded PRNG', () => {
  it('gives the same stream for the same seed and different streams for different seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 16 }, () => a.nextUint32());
    const sb = Array.from({ length: 16 }, () => b.nextUint32());
    const sc = Array.from({ length: 16 }, () => c.nextUint32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it('keeps int() inside its inclusive bounds and reaches both ends', () => {
    const rng = createRng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = rng.int(10, 15);
      expect(v).toBeGreaterThanOrEqual(10);
      expect(v).toBeLessThanOrEqual(15);
      seen.add(v);
    }
    expect([...seen].sort()).toEqual([10, 11, 12, 13, 14, 15]);
  });

  it('keeps uniform() and next() in their half-open ranges with a plausible mean', () => {
    const rng = createRng('mean');
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const v = rng.uniform(2, 4);
      expect(v).toBeGreaterThanOrEqual(2);
      expect(v).toBeLessThan(4);
      sum += v;
    }
    expect(sum / 20000).toBeCloseTo(3, 1);
  });

  it('forks independently of how far the parent has been consumed', () => {
    const a = createRng(5);
    const b = createRng(5);
    for (let i = 0; i < 10; i++) b.next();
    expect(a.fork('x').next()).toBe(b.fork('x').next());
    expect(a.fork('x').next()).not.toBe(a.fork('y').next());
  });

  it('shuffles into a permutation and picks only members', () => {
    const rng = createRng(9);
    const items = [1, 2, 3, 4, 5, 6, 7, 8];
    const shuffled = rng.shuffle([...items]);
    expect([...shuffled].sort()).toEqual(items);
    for (let i = 0; i < 50; i++) expect(items).toContain(rng.pick(items));
    expect(() => rng.pick([])).toThrow();
  });

  it('weighted() never picks a zero-weight item and follows the weights', () => {
    const rng = createRng(11);
    let heavy = 0;
    for (let i = 0; i < 4000; i++) {
      const v = rng.weighted(['a', 'b', 'c'], [3, 1, 0]);
      expect(v).not.toBe('c');
      if (v === 'a') heavy++;
    }
    expect(heavy / 4000).toBeGreaterThan(0.7);
    expect(heavy / 4000).toBeLessThan(0.8);
  });

  it('normalises seeds and rejects invalid ones', () => {
    expect(normaliseSeed(123)).toBe(123);
    expect(normaliseSeed(2 ** 40)).not.toBe(normaliseSeed(0));
    expect(() => normaliseSeed(-1)).toThrow(/seed/);
    expect(() => normaliseSeed(1.5)).toThrow(/seed/);
    expect(deriveSeed(1, 'a', 2)).toBe(deriveSeed(1, 'a', 2));
    expect(deriveSeed(1, 'a', 2)).not.toBe(deriveSeed(1, 2, 'a'));
  });
});
