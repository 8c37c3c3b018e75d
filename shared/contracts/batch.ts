/**
 * Batches: one message carrying many items of one kind, so a high-rate stream
 * (a KPI sample of every active slice, every second) costs one publish, one
 * encode and one delivery per batch instead of per item.
 *
 * A batch has two schemas. The sender's checks every item, as any outbound
 * message is checked. The receiver's checks only the envelope and leaves the
 * items unknown, so the bus can check each item on its own: one bad item is
 * refused alone, with its own typed error, and the rest of the batch goes on.
 * The item limit keeps every batch message bounded, however many items there are.
 */
import { z } from 'zod';
import { EpochMs } from './common.js';

export interface BatchSchemas<T extends z.ZodType> {
  /** Message type of the batch (`<kind>.batch.v1`). */
  readonly type: string;
  /** What a sender writes: every item checked. */
  readonly send: z.ZodType<{ type: string; at: number; items: z.input<T>[] }>;
  /** What a receiver decodes first: the envelope, items unchecked. */
  readonly envelope: z.ZodType<{ type: string; at: number; items: unknown[] }>;
  /** The schema each item is checked against on receipt. */
  readonly item: T;
  /** Most items one batch carries. */
  readonly limit: number;
}

export function batchSchemas<T extends z.ZodType>(
  type: string,
  item: T,
  limit: number,
): BatchSchemas<T> {
  const head = { type: z.literal(type), at: EpochMs };
  return {
    type,
    send: z.object({ ...head, items: z.array(item).min(1).max(limit) }).strict() as never,
    envelope: z.object({ ...head, items: z.array(z.unknown()).min(1).max(limit) }).strict(),
    item,
    limit,
  };
}

/** Splits `items` into consecutive chunks of at most `limit` (the batches to send). */
export function chunked<T>(items: readonly T[], limit: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += limit) out.push(items.slice(i, i + limit));
  return out;
}
