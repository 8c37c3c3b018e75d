import { describe, expect, it } from 'vitest';
import { PreferenceVector } from '../../shared/contracts/common.js';
import { createRng } from '../../shared/random.js';
import {
  dominantDimension,
  fromArray,
  projectOntoSimplex,
} from '../../agents/interpreter/simplex.js';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('projection onto the simplex', () => {
  it('leaves points on the simplex unchanged', () => {
    expect(projectOntoSimplex([0.1, 0.2, 0.3, 0.4])?.map((x) => +x.toFixed(12))).toEqual([
      0.1, 0.2, 0.3, 0.4,
    ]);
  });

  it('matches hand-computed projections', () => {
    expect(projectOntoSimplex([0.5, 0.5, 0.5, 0.5])).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(projectOntoSimplex([2, 0, 0, 0])).toEqual([1, 0, 0, 0]);
    // Shifting by a constant does not change the projection.
    expect(projectOntoSimplex([1.1, 0.1, 0.1, 0.1])?.map((x) => +x.toFixed(12))).toEqual([
      1, 0, 0, 0,
    ]);
    expect(projectOntoSimplex([0.6, 0.6, -1, 0])?.map((x) => +x.toFixed(12))).toEqual([
      0.5, 0.5, 0, 0,
    ]);
  });

  it('treats non-finite entries as zero and rejects empty input', () => {
    expect(projectOntoSimplex([Number.NaN, Infinity, 1, 0])).toEqual([0, 0, 1, 0]);
    expect(projectOntoSimplex([])).toBeUndefined();
  });

  it('always returns a valid preference vector for random inputs', () => {
    const rng = createRng(7);
    for (let i = 0; i < 500; i++) {
      const raw = Array.from({ length: 4 }, () => rng.uniform(-3, 3));
      const p = projectOntoSimplex(raw) ?? [];
      expect(p.every((x) => x >= 0)).toBe(true);
      expect(sum(p)).toBeCloseTo(1, 9);
      expect(PreferenceVector.safeParse(fromArray(p)).success).toBe(true);
    }
  });

  it('names the dominant dimension', () => {
    expect(dominantDimension(fromArray([0.1, 0.2, 0.6, 0.1]))).toBe('economics');
  });
});
