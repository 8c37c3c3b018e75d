/**
 * The labelled knowledge base (`scenarios/knowledge/intents.jsonl`) and its
 * idempotent bootstrap into the knowledge collection.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import {
  CostClass,
  LatencyClass,
  PreferenceVector,
  ReliabilityClass,
  ServiceType,
} from '../../shared/contracts/common.js';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import { encodeIntentMetadata, INTENT_META } from '../../shared/vectorstore/intent-entry.js';
import type { VectorCollection } from '../../shared/vectorstore/types.js';
import { parseJsonLines } from './jsonl.js';

/** One line of the knowledge-base file. */
export const KnowledgeLine = z
  .object({
    id: z.string().min(1).max(128),
    text: z.string().trim().min(1).max(4_000),
    serviceType: ServiceType,
    latency: LatencyClass,
    reliability: ReliabilityClass,
    cost: CostClass,
    preference: PreferenceVector,
  })
  .strict();
export type KnowledgeLine = z.infer<typeof KnowledgeLine>;

/** Parses JSONL text; `SliceMeshError('scenario')` names the first bad line. */
export function parseKnowledge(raw: string, origin = 'knowledge base'): KnowledgeLine[] {
  const seen = new Set<string>();
  return parseJsonLines(raw, KnowledgeLine, origin, (value, line) => {
    if (seen.has(value.id))
      throw new SliceMeshError('scenario', `${origin} line ${line}: duplicate id ${value.id}`);
    seen.add(value.id);
  });
}

/** Reads and validates a knowledge-base file. */
export async function loadKnowledgeFile(path: string): Promise<KnowledgeLine[]> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (cause) {
    throw new SliceMeshError(
      'scenario',
      `cannot read knowledge base ${path}: ${(cause as Error).message}`,
      { cause },
    );
  }
  return parseKnowledge(raw, path);
}

/** Stable hash of everything that defines an entry (text and labels). */
export function contentHash(line: KnowledgeLine): string {
  const canonical = JSON.stringify([
    line.text,
    line.serviceType,
    line.latency,
    line.reliability,
    line.cost,
    line.preference.latency,
    line.preference.reliability,
    line.preference.economics,
    line.preference.throughput,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

export interface BootstrapResult {
  readonly total: number;
  /** Entries embedded and written in this run (new or changed). */
  readonly written: number;
  /** Stale entries removed (ids no longer in the file). */
  readonly removed: number;
}

/**
 * Makes the collection hold exactly the file's entries. Unchanged entries
 * (same id and content hash) are skipped, so re-running writes nothing; ids
 * that left the file are deleted. `createdAt` is the bootstrap time of first
 * insertion.
 */
export async function bootstrapKnowledge(
  collection: VectorCollection,
  provider: Pick<EmbeddingProvider, 'embed'>,
  lines: readonly KnowledgeLine[],
  now: number,
): Promise<BootstrapResult> {
  const existing = await collection.get();
  const stored = new Map(existing.map((r) => [r.id, r.metadata[INTENT_META.contentHash]]));
  const changed = lines.filter((l) => stored.get(l.id) !== contentHash(l));
  const wanted = new Set(lines.map((l) => l.id));
  const stale = existing.filter((r) => !wanted.has(r.id)).map((r) => r.id);

  const batch = 128;
  for (let i = 0; i < changed.length; i += batch) {
    const slice = changed.slice(i, i + batch);
    const vectors = await provider.embed(slice.map((l) => l.text));
    await collection.upsert(
      slice.map((l, j) => ({
        id: l.id,
        document: l.text,
        embedding: vectors[j] ?? [],
        metadata: encodeIntentMetadata({
          source: 'knowledge',
          preference: l.preference,
          profile: {
            serviceType: l.serviceType,
            latency: l.latency,
            reliability: l.reliability,
            cost: l.cost,
          },
          createdAt: now,
          contentHash: contentHash(l),
        }),
      })),
    );
  }
  await collection.delete(stale);
  return { total: lines.length, written: changed.length, removed: stale.length };
}
