/**
 * One record kept in a KV bucket however large it grows. A JetStream message
 * (a KV value) is limited by the server's max_payload, while a whole state of
 * 10,000 slices is several MB; so the record's JSON text is cut into chunks,
 * each its own key, and a head key says which chunks make the current record.
 *
 * Two slots, `a` and `b`, take turns: a save writes every chunk into the slot
 * the head does not name, then writes the head naming it. A crash in between
 * leaves the head naming the previous, complete record. The key names are
 * bounded (two slots × the most chunks a record had), so the bucket's subjects
 * never grow with the number of saves.
 *
 * A record saved whole under `key` by an earlier version is still read when
 * no head exists yet.
 */
import { z } from 'zod';
import { SliceMeshError } from '../contracts/index.js';
import type { Bus, TypedKv } from './types.js';
import { decodeMessage, describeIssues } from './wire.js';

/** Characters of JSON text per chunk: well under the bus's payload limit once escaped. */
export const DEFAULT_CHUNK_CHARS = 96 * 1024;

const Slot = z.enum(['a', 'b']);
type Slot = z.infer<typeof Slot>;

const RecordHead = z
  .object({
    type: z.literal('record.head.v1'),
    slot: Slot,
    chunks: z.number().int().min(1),
    /** Length of the whole JSON text (checked when it is read back). */
    chars: z.number().int().nonnegative(),
    savedAt: z.number().int().nonnegative(),
  })
  .strict();
type RecordHead = z.infer<typeof RecordHead>;

const RecordChunk = z.object({ type: z.literal('record.chunk.v1'), text: z.string() }).strict();

export interface ChunkedRecordOptions {
  readonly chunkChars?: number;
  readonly history?: number;
}

export class ChunkedRecord<S extends z.ZodType> {
  readonly #key: string;
  readonly #schema: S;
  readonly #heads: TypedKv<RecordHead>;
  readonly #chunks: TypedKv<z.infer<typeof RecordChunk>>;
  readonly #legacy: TypedKv<z.output<S>>;
  readonly #chunkChars: number;
  /** The head last written or read (which slot the next save must not touch). */
  #head: RecordHead | undefined;
  /** Most chunks ever written per slot (stale ones past the current count are deleted). */
  readonly #written: Record<Slot, number> = { a: 0, b: 0 };

  private constructor(
    key: string,
    schema: S,
    kvs: {
      heads: TypedKv<RecordHead>;
      chunks: TypedKv<z.infer<typeof RecordChunk>>;
      legacy: TypedKv<z.output<S>>;
    },
    chunkChars: number,
  ) {
    this.#key = key;
    this.#schema = schema;
    this.#heads = kvs.heads;
    this.#chunks = kvs.chunks;
    this.#legacy = kvs.legacy;
    this.#chunkChars = chunkChars;
  }

  /** Opens (creating if needed) `bucket` to keep the record named `key`. */
  static async open<S extends z.ZodType>(
    bus: Bus,
    bucket: string,
    key: string,
    schema: S,
    options: ChunkedRecordOptions = {},
  ): Promise<ChunkedRecord<S>> {
    const kvOptions = { history: options.history ?? 1 };
    const [heads, chunks, legacy] = await Promise.all([
      bus.kv(bucket, RecordHead, kvOptions),
      bus.kv(bucket, RecordChunk, kvOptions),
      bus.kv(bucket, schema, kvOptions),
    ]);
    return new ChunkedRecord(
      key,
      schema,
      { heads, chunks, legacy },
      options.chunkChars ?? DEFAULT_CHUNK_CHARS,
    );
  }

  #headKey(): string {
    return `${this.#key}.head`;
  }

  #chunkKey(slot: Slot, index: number): string {
    return `${this.#key}.${slot}.${index}`;
  }

  /** The record last saved, or null when there is none. */
  async load(): Promise<z.output<S> | null> {
    const head = (await this.#heads.get(this.#headKey()))?.value;
    if (head === undefined) return (await this.#legacy.get(this.#key))?.value ?? null;
    this.#head = head;
    this.#written[head.slot] = head.chunks;
    const parts = await Promise.all(
      Array.from({ length: head.chunks }, (_, i) => this.#chunks.get(this.#chunkKey(head.slot, i))),
    );
    const text = parts.map((part) => part?.value.text ?? '').join('');
    const where = `record ${this.#key} (slot ${head.slot}, ${head.chunks} chunks)`;
    if (parts.some((part) => part === null) || text.length !== head.chars)
      throw new SliceMeshError('invalid-message', `stored ${where} is incomplete`);
    // A stored record is ours, however large: no size limit, only its schema.
    const decoded = decodeMessage(this.#schema, Buffer.from(text), Number.POSITIVE_INFINITY);
    if (!decoded.ok)
      throw new SliceMeshError(decoded.error.code, `stored ${where}: ${decoded.error.message}`);
    return decoded.value;
  }

  /** Saves `value` (checked against the schema) as the current record. */
  async save(value: z.input<S>): Promise<void> {
    const parsed = this.#schema.safeParse(value);
    if (!parsed.success)
      throw new SliceMeshError(
        'invalid-message',
        `refusing to store an invalid record ${this.#key}: ${describeIssues(parsed.error)}`,
      );
    const text = JSON.stringify(parsed.data);
    const slot: Slot = this.#head?.slot === 'a' ? 'b' : 'a';
    const count = Math.max(1, Math.ceil(text.length / this.#chunkChars));
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        this.#chunks.put(this.#chunkKey(slot, i), {
          type: 'record.chunk.v1',
          text: text.slice(i * this.#chunkChars, (i + 1) * this.#chunkChars),
        }),
      ),
    );
    const head: RecordHead = {
      type: 'record.head.v1',
      slot,
      chunks: count,
      chars: text.length,
      savedAt: Date.now(),
    };
    await this.#heads.put(this.#headKey(), head);
    this.#head = head;
    // Chunks of a longer record this slot held before are no longer read: drop them.
    const stale = this.#written[slot];
    this.#written[slot] = count;
    await Promise.all(
      Array.from({ length: Math.max(0, stale - count) }, (_, i) =>
        this.#chunks.delete(this.#chunkKey(slot, count + i)),
      ),
    );
  }
}
