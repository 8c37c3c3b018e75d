import { describe, expect, it } from 'vitest';
import {
  SifComposer,
  DEFAULT_SIF_OPTIONS,
  zipfProbability,
} from '../../shared/embeddings/sif-composer.js';
import { isSingleToken, tokenize } from '../../shared/embeddings/tokenize.js';
import { cosine } from '../../shared/embeddings/types.js';
import {
  decodeWordVectorFile,
  encodeWordVectorFile,
} from '../../shared/embeddings/word-vector-file.js';

describe('tokenize', () => {
  it('lower-cases, keeps hyphenated words and splits number-unit glue', () => {
    expect(tokenize('URLLC slice: closed-loop control, 5ms cycle, 99.999% uptime')).toEqual([
      'urllc',
      'slice',
      'closed-loop',
      'control',
      '5',
      'ms',
      'cycle',
      '99.999',
      'uptime',
    ]);
  });

  it('handles non-Latin scripts, full-width characters and empty text', () => {
    expect(tokenize('Ｈｅｌｌｏ 工厂 Überwachung')).toEqual(['hello', '工厂', 'überwachung']);
    expect(tokenize('  ...  ')).toEqual([]);
    expect(isSingleToken('closed-loop')).toBe(true);
    expect(isSingleToken('u.s.')).toBe(false);
  });
});

// A four-word vocabulary in rank order; "robot" and "arm" point the same way, "video" elsewhere.
const words = ['the', 'robot', 'arm', 'video'];
const table = decodeWordVectorFile(
  encodeWordVectorFile(words, Float32Array.from([1, 1, 1, 0.9, 0.1, 0, 0.8, 0.2, 0.1, 0, 0.1, 1]), {
    dims: 3,
    precision: 'f32',
    source: 'test@1',
    sourceBytes: 1,
  }),
);

describe('SIF + character n-gram composer', () => {
  const composer = new SifComposer(table, { ...DEFAULT_SIF_OPTIONS, ngramBuckets: 64 });

  it('produces unit vectors of the combined dimension, and zero for empty text', () => {
    const v = composer.compose('robot arm');
    expect(v.length).toBe(3 + 64);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(Array.from(composer.compose('  ')).every((x) => x === 0)).toBe(true);
  });

  it('down-weights frequent words so they barely move the sentence', () => {
    expect(zipfProbability(0)).toBeGreaterThan(zipfProbability(100));
    const plain = composer.compose('robot');
    const withThe = composer.compose('the the robot');
    const video = composer.compose('video');
    expect(cosine(plain, withThe)).toBeGreaterThan(cosine(withThe, video));
  });

  it('gives out-of-vocabulary terms a lexical signal through n-grams', () => {
    const a = composer.compose('URLLC slice');
    const b = composer.compose('urllc');
    const c = composer.compose('mmtc');
    expect(cosine(a, b)).toBeGreaterThan(0.3);
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c));
  });

  it('is deterministic', () => {
    expect(Array.from(composer.compose('robot arm for AGV'))).toEqual(
      Array.from(composer.compose('robot arm for AGV')),
    );
  });
});
