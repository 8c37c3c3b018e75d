import { describe, expect, it } from 'vitest';
import { encodeIntentMetadata } from '../../shared/vectorstore/intent-entry.js';
import {
  DEFAULT_RETRIEVAL_OPTIONS,
  recencyFactor,
  rerank,
  type SourcedHit,
} from '../../agents/interpreter/retrieve.js';

const DAY = 24 * 3600 * 1000;
const now = 100 * DAY;
const options = {
  ...DEFAULT_RETRIEVAL_OPTIONS,
  k: 3,
  memoryHalfLifeMs: 7 * DAY,
  memoryFloor: 0.2,
  knowledgeRecency: 0.8,
};

function hit(
  id: string,
  source: 'knowledge' | 'memory',
  similarity: number,
  createdAt: number,
): SourcedHit {
  return {
    source,
    hit: {
      id,
      document: id,
      similarity,
      metadata: encodeIntentMetadata({
        source,
        createdAt,
        preference: { latency: 0.25, reliability: 0.25, economics: 0.25, throughput: 0.25 },
        profile: { serviceType: 'eMBB', latency: 'medium', reliability: 'medium', cost: 'general' },
      }),
    },
  };
}

describe('recency', () => {
  it('weighs fresh memory fully, halves it per half-life and never drops below the floor', () => {
    expect(recencyFactor('memory', now, now, options)).toBeCloseTo(1, 9);
    expect(recencyFactor('memory', now - 7 * DAY, now, options)).toBeCloseTo(0.2 + 0.8 * 0.5, 9);
    const ancient = recencyFactor('memory', 0, now, options);
    expect(ancient).toBeGreaterThan(0.2);
    expect(ancient).toBeLessThan(0.21);
    expect(recencyFactor('knowledge', 0, now, options)).toBe(0.8);
  });
});

describe('re-ranking', () => {
  it('prefers the newer of two equally similar memories and keeps old ones in play', () => {
    const ranked = rerank(
      [hit('old', 'memory', 0.8, now - 60 * DAY), hit('new', 'memory', 0.8, now - DAY)],
      now,
      options,
    );
    expect(ranked.map((n) => n.id)).toEqual(['new', 'old']);
    expect(ranked[1]?.weight).toBeGreaterThan(0);
  });

  it('lets a clearly more similar old entry beat a fresh but unrelated one', () => {
    const ranked = rerank(
      [hit('fresh', 'memory', 0.3, now), hit('old', 'memory', 0.9, now - 60 * DAY)],
      now,
      options,
    );
    expect(ranked[0]?.id).toBe('old');
  });

  it('keeps the top k with weights summing to 1 and skips malformed records', () => {
    const malformed: SourcedHit = {
      source: 'memory',
      hit: { id: 'bad', document: '', similarity: 0.99, metadata: { preference: '{}' } },
    };
    const ranked = rerank(
      [
        malformed,
        hit('a', 'knowledge', 0.9, 0),
        hit('b', 'knowledge', 0.7, 0),
        hit('c', 'knowledge', 0.5, 0),
        hit('d', 'knowledge', 0.1, 0),
      ],
      now,
      options,
    );
    expect(ranked.map((n) => n.id)).toEqual(['a', 'b', 'c']);
    expect(ranked.reduce((s, n) => s + n.weight, 0)).toBeCloseTo(1, 9);
    expect(rerank([], now, options)).toEqual([]);
  });
});
