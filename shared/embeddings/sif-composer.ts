/**
 * Sentence vectors for short technical text from pre-trained word vectors.
 *
 * Two parts, concatenated and normalised:
 *  - word part: SIF weighting (Arora et al., 2017): each in-vocabulary word
 *    contributes a/(a + p(w)) × its vector, so "the"/"for"/"with" nearly
 *    vanish and rare content words dominate. p(w) comes from the word's
 *    frequency rank via Zipf's law (the source lists words by frequency).
 *  - character part: hashed character 3–5-grams of every token into a small
 *    signed bucket vector (feature hashing). It gives out-of-vocabulary domain
 *    terms (URLLC, AGV, PLC, NB-IoT, 5G) and spelling variants a signal that the
 *    word vectors cannot, and matches shared stems ("reliab-").
 */
import { fnv1aString } from './fnv.js';
import { tokenize } from './tokenize.js';
import type { WordVectorTable } from './word-vector-file.js';

export interface SifComposerOptions {
  /** SIF smoothing constant a. */
  readonly sifA: number;
  /** Number of hash buckets of the character part. */
  readonly ngramBuckets: number;
  /** Relative weight of the character part against the word part (both unit length before mixing). */
  readonly ngramWeight: number;
  /** Smallest and largest character n-gram. */
  readonly ngramMin: number;
  readonly ngramMax: number;
}

export const DEFAULT_SIF_OPTIONS: SifComposerOptions = {
  sifA: 1e-3,
  ngramBuckets: 512,
  ngramWeight: 0.6,
  ngramMin: 3,
  ngramMax: 5,
};

/** Vocabulary size of the original corpus behind the ranks (GloVe 6B: 400 K words). */
const SOURCE_VOCABULARY = 400_000;
/** Harmonic number of the source vocabulary: normaliser of Zipf's law. */
const ZIPF_NORMALISER = Math.log(SOURCE_VOCABULARY) + 0.5772156649;

/** Zipf estimate of a word's unigram probability from its 0-based frequency rank. */
export function zipfProbability(rank: number): number {
  return 1 / ((rank + 1) * ZIPF_NORMALISER);
}

export class SifComposer {
  readonly dimensions: number;
  readonly #table: WordVectorTable;
  readonly #options: SifComposerOptions;
  readonly #word: Float32Array;
  readonly #ngram: Float32Array;

  constructor(table: WordVectorTable, options: SifComposerOptions = DEFAULT_SIF_OPTIONS) {
    this.#table = table;
    this.#options = options;
    this.dimensions = table.dims + options.ngramBuckets;
    this.#word = new Float32Array(table.dims);
    this.#ngram = new Float32Array(options.ngramBuckets);
  }

  /** SIF weight of an in-vocabulary row. */
  #weight(row: number): number {
    const a = this.#options.sifA;
    return a / (a + zipfProbability(row));
  }

  /** Adds the signed hashed n-grams of `token` with `weight` to the character part. */
  #addNgrams(token: string, weight: number): void {
    const { ngramMin, ngramMax, ngramBuckets } = this.#options;
    const marked = `<${token}>`;
    const mask = ngramBuckets - 1;
    const pow2 = (ngramBuckets & mask) === 0;
    for (let n = ngramMin; n <= ngramMax; n++) {
      for (let i = 0; i + n <= marked.length; i++) {
        const h = fnv1aString(marked.slice(i, i + n));
        const bucket = pow2 ? h & mask : h % ngramBuckets;
        // The top bit picks the sign so collisions cancel out on average.
        this.#ngram[bucket] = (this.#ngram[bucket] ?? 0) + (h & 0x80000000 ? -weight : weight);
      }
    }
  }

  /** The unit-length sentence vector of `text` (zero vector when it has no tokens). */
  compose(text: string): Float32Array {
    this.#word.fill(0);
    this.#ngram.fill(0);
    for (const token of tokenize(text)) {
      let row = this.#table.indexOf(token);
      let weight: number;
      if (row >= 0) {
        weight = this.#weight(row);
        this.#table.addTo(row, weight, this.#word);
      } else {
        // Unknown compounds ("ultra-reliable") still carry their known parts.
        weight = 1;
        if (token.includes('-')) {
          for (const part of token.split('-')) {
            row = this.#table.indexOf(part);
            if (row >= 0) this.#table.addTo(row, this.#weight(row), this.#word);
          }
        }
      }
      this.#addNgrams(token, weight);
    }
    const out = new Float32Array(this.dimensions);
    const wordScale = inverseNorm(this.#word);
    const ngramScale = inverseNorm(this.#ngram) * this.#options.ngramWeight;
    const dims = this.#table.dims;
    for (let d = 0; d < dims; d++) out[d] = (this.#word[d] ?? 0) * wordScale;
    for (let b = 0; b < this.#options.ngramBuckets; b++)
      out[dims + b] = (this.#ngram[b] ?? 0) * ngramScale;
    const total = inverseNorm(out);
    for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) * total;
    return out;
  }
}

function inverseNorm(v: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] ?? 0) ** 2;
  return sum > 0 ? 1 / Math.sqrt(sum) : 0;
}
