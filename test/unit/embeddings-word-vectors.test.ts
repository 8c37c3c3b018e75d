import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isSliceMeshError } from '../../shared/contracts/errors.js';
import { fromHalf, toHalf } from '../../shared/embeddings/half.js';
import { readWinkVectors } from '../../shared/embeddings/wink-source.js';
import {
  decodeWordVectorFile,
  encodeWordVectorFile,
  VECTOR_PRECISIONS,
} from '../../shared/embeddings/word-vector-file.js';

const dir = mkdtempSync(join(tmpdir(), 'slicemesh-wv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const words = ['the', 'latency', 'reliability', 'über', 'closed-loop'];
const dims = 4;
const vectors = Float32Array.from([
  0.1, -0.2, 0.3, -0.4, 1.5, 0, -1.5, 0.75, 0.01, 0.02, -0.03, 0.04, -2, 2, -1, 1, 0.5, 0.25, 0.125,
  -0.0625,
]);
const encode = (precision: (typeof VECTOR_PRECISIONS)[number]) =>
  encodeWordVectorFile(words, vectors, { dims, precision, source: 'test@1', sourceBytes: 123 });

describe('word-vector file', () => {
  it.each(VECTOR_PRECISIONS)('round-trips words and vectors at %s precision', (precision) => {
    const table = decodeWordVectorFile(encode(precision));
    expect(table.count).toBe(words.length);
    expect(table.header.precision).toBe(precision);
    const tolerance = { f32: 1e-7, f16: 2e-3, int8: 2 / 127 }[precision];
    words.forEach((word, row) => {
      expect(table.indexOf(word)).toBe(row);
      expect(table.word(row)).toBe(word);
      const v = table.vector(row);
      const maxAbs = Math.max(
        ...Array.from(vectors.subarray(row * dims, row * dims + dims), Math.abs),
      );
      for (let d = 0; d < dims; d++) {
        expect(Math.abs((v[d] ?? 0) - (vectors[row * dims + d] ?? 0))).toBeLessThanOrEqual(
          tolerance * Math.max(1, maxAbs),
        );
      }
    });
  });

  it('reports unknown and oversized words as out of vocabulary', () => {
    const table = decodeWordVectorFile(encode('int8'));
    expect(table.indexOf('urllc')).toBe(-1);
    expect(table.indexOf('')).toBe(-1);
    expect(table.indexOf('x'.repeat(1_000))).toBe(-1);
  });

  it('adds weighted vectors into an accumulator', () => {
    const table = decodeWordVectorFile(encode('f32'));
    const out = new Float32Array(dims);
    table.addTo(1, 2, out);
    table.addTo(0, -1, out);
    expect(Array.from(out)).toEqual(
      Array.from({ length: dims }, (_, d) =>
        Math.fround(2 * (vectors[dims + d] ?? 0) - (vectors[d] ?? 0)),
      ),
    );
  });

  it('refuses truncated or foreign files with a typed error', () => {
    const bytes = encode('int8');
    for (const damaged of [
      bytes.subarray(0, bytes.length - 3),
      Buffer.from('not a vector file at all'),
    ]) {
      try {
        decodeWordVectorFile(new Uint8Array(damaged));
        expect.unreachable();
      } catch (error) {
        expect(isSliceMeshError(error) && error.code).toBe('config');
      }
    }
  });

  it('converts half floats with bounded relative error', () => {
    for (const x of [0, 1, -1, 0.5, 3.14159, -65504, 1e-5, 123.456]) {
      const back = fromHalf(toHalf(x));
      expect(Math.abs(back - x)).toBeLessThanOrEqual(Math.abs(x) * 1e-3 + 6e-8);
    }
    expect(fromHalf(toHalf(1e6))).toBe(Infinity);
  });
});

describe('wink source reader', () => {
  it('streams the vectors object in file order, stops on request and handles escapes and exponents', () => {
    const path = join(dir, 'wink.json');
    const json = JSON.stringify({
      precision: 8,
      words: ['a', 'b'],
      vectors: {
        alpha: [1, -2.5, 3e-2, 0.5, 9.9, 0],
        'qu"ote': [-1e1, 2, 3, 4, 5, 1],
        gamma: [7, 7, 7, 7, 7, 2],
      },
      unkVector: [0, 0, 0, 0, 0, -1],
    });
    writeFileSync(path, json);
    const seen: [string, number[]][] = [];
    readWinkVectors(
      path,
      (word, values) => {
        seen.push([word, Array.from(values)]);
        return seen.length < 2;
      },
      4,
    );
    expect(seen.map(([w]) => w)).toEqual(['alpha', 'qu"ote']);
    expect(seen[0]?.[1]).toEqual([1, -2.5, 0.03, 0.5].map(Math.fround));
    expect(seen[1]?.[1]).toEqual([-10, 2, 3, 4]);
    expect(readFileSync(path, 'utf8')).toBe(json);
  });

  it('rejects an entry with too few values', () => {
    const path = join(dir, 'short.json');
    writeFileSync(path, JSON.stringify({ vectors: { short: [1, 2] } }));
    expect(() => readWinkVectors(path, () => true, 4)).toThrow(/expected 4/);
  });
});
