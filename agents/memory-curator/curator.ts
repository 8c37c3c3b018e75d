/**
 * The transport-agnostic memory curator: turns slice outcomes into memory-bank
 * entries (insert, or merge into a near-duplicate), keeps the bank bounded and
 * counts what it did. Updates run one batch at a time, so a merge's
 * read-modify-write never interleaves with another; outcomes that arrive
 * while a batch is written are curated together next, with one query and one
 * upsert (batch.ts decides them as if they had come one by one). The NATS
 * agent is a thin shell around it.
 */
import { performance } from 'node:perf_hooks';
import {
  context as otelContext,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { SliceOutcome } from '../../shared/contracts/messages.js';
import type { ModelConfig } from '../../shared/model/config.js';
import { cleanText } from '../../shared/embeddings/clean-text.js';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import type { Logger } from '../../shared/runtime/logger.js';
import { ATTR, SPAN, instrument, recordError } from '../../shared/telemetry/index.js';
import { DEFAULT_AGING, type AgingOptions } from '../../shared/vectorstore/aging.js';
import type { VectorCollection } from '../../shared/vectorstore/types.js';
import { planBatch, type PendingWrite } from './batch.js';
import { decodeMemoryEntry, encodeMemoryEntry } from './entry.js';
import { outcomeQuality } from './quality.js';
import {
  chooseEvictions,
  DEFAULT_MAX_CONTRIBUTIONS,
  type MergeAction,
  type Observation,
} from './rules.js';

export interface MemoryCuratorOptions {
  /** Cosine similarity from which an outcome merges into an existing entry. */
  readonly mergeSimilarity: number;
  /** Most entries the bank holds; beyond it the least retained entry is evicted. */
  readonly maxEntries: number;
  /** Contributions an entry remembers individually (for one-slice-one-vote). */
  readonly maxContributions?: number;
  /** Nearest entries examined for a merge. */
  readonly mergeCandidates?: number;
  readonly aging?: AgingOptions;
  /** SLA limits used to grade outcomes (default: the case-study model's). */
  readonly modelConfig?: Pick<ModelConfig, 'latencyLimitMs' | 'costLimit'>;
  /**
   * Most outcomes curated together. Outcomes that arrive while a batch is
   * being written wait and form the next one: one query and one upsert for
   * all of them (default 64).
   */
  readonly maxBatch?: number;
  /**
   * Shortest time between the starts of two batches (default 100 ms). An outcome after a quiet
   * spell is curated at once; while outcomes keep coming they gather for at least this long, so
   * Chroma sees a few larger writes instead of many small ones: a write costs the server several
   * milliseconds of CPU almost whatever its size.
   */
  readonly minBatchIntervalMs?: number;
}

export const DEFAULT_MEMORY_OPTIONS: MemoryCuratorOptions = {
  mergeSimilarity: 0.93,
  maxEntries: 5_000,
  maxContributions: DEFAULT_MAX_CONTRIBUTIONS,
  mergeCandidates: 4,
};

export interface MemoryCuratorDeps {
  /** The memory-bank collection (opened with the interpreter's embedding provider). */
  readonly collection: VectorCollection;
  readonly provider: Pick<EmbeddingProvider, 'embed'>;
  /** Epoch-ms clock for aging decisions. */
  readonly now: () => number;
  readonly tracer?: Tracer;
  readonly logger?: Logger;
}

/** What one outcome did to the bank. */
export type CurateAction = MergeAction | 'inserted' | 'skipped-unserved';

export interface CurateResult {
  readonly action: CurateAction;
  /** The entry written or left unchanged (absent when skipped). */
  readonly entryId?: string;
  /** Similarity to the nearest entry of the same service type, if any was found. */
  readonly similarity?: number;
  readonly quality: number;
  /** Entries evicted to keep the bank within bounds. */
  readonly evicted: readonly string[];
}

/** Counters since start. */
export interface MemoryStats {
  readonly outcomes: number;
  readonly inserted: number;
  readonly merged: number;
  readonly superseded: number;
  readonly duplicates: number;
  readonly stale: number;
  readonly skippedUnserved: number;
  readonly evicted: number;
  readonly failed: number;
}

/** The counters before the first outcome. */
export const EMPTY_MEMORY_STATS: MemoryStats = {
  outcomes: 0,
  inserted: 0,
  merged: 0,
  superseded: 0,
  duplicates: 0,
  stale: 0,
  skippedUnserved: 0,
  evicted: 0,
  failed: 0,
};

/** The counter each decision adds to. */
const COUNTER = {
  inserted: 'inserted',
  merged: 'merged',
  superseded: 'superseded',
  duplicate: 'duplicates',
  stale: 'stale',
} as const satisfies Record<MergeAction | 'inserted', keyof MemoryStats>;

interface Queued {
  readonly outcome: SliceOutcome;
  readonly parent: Context;
  readonly resolve: (result: CurateResult) => void;
  readonly reject: (error: unknown) => void;
}

export interface MemoryCurator {
  /**
   * Remembers one outcome. Calls are applied in order, one batch at a time:
   * outcomes that arrive while a batch is written form the next one. The update's
   * span is a child of `parent` (default: the active context), e.g. the
   * context carried in the outcome message's headers.
   */
  curate(outcome: SliceOutcome, parent?: Context): Promise<CurateResult>;
  /** Counts an outcome that could not be stored (the agent calls this after giving up): `failed` and `outcomes`. */
  recordFailure(): void;
  stats(): MemoryStats;
}

export function createMemoryCurator(
  deps: MemoryCuratorDeps,
  options: MemoryCuratorOptions = DEFAULT_MEMORY_OPTIONS,
): MemoryCurator {
  const tracer = deps.tracer ?? trace.getTracer('slicemesh-memory-curator');
  const aging = options.aging ?? DEFAULT_AGING;
  const maxContributions = options.maxContributions ?? DEFAULT_MAX_CONTRIBUTIONS;
  const candidates = Math.max(1, options.mergeCandidates ?? 4);
  const maxBatch = Math.max(1, options.maxBatch ?? 64);
  const minBatchIntervalMs = Math.max(0, options.minBatchIntervalMs ?? 100);
  const { collection, logger } = deps;
  const counts: { -readonly [K in keyof MemoryStats]: number } = { ...EMPTY_MEMORY_STATS };
  const queue: Queued[] = [];
  let draining = false;
  let lastBatchAt = Number.NEGATIVE_INFINITY;

  /** Evicts the least retained entries beyond the bound; never one of `keep` (just founded). */
  async function enforceBound(keep: ReadonlySet<string>): Promise<string[]> {
    const count = await collection.count();
    const excess = count - options.maxEntries;
    if (excess <= 0) return [];
    return instrument(tracer, SPAN.memoryEvict, { [ATTR.memoryEntries]: count }, async (span) => {
      const entries = (await collection.get()).flatMap((r) => decodeMemoryEntry(r) ?? []);
      const now = deps.now();
      const victims = chooseEvictions(entries, excess, now, keep, aging);
      await collection.delete(victims.map((v) => v.entry.id));
      counts.evicted += victims.length;
      for (const { entry, retention } of victims) {
        logger?.info('memory bank full: evicted the least retained entry', {
          entryId: entry.id,
          retention: Number(retention.toFixed(4)),
          observations: entry.observations,
          lastSeenAt: entry.lastSeenAt,
          bound: options.maxEntries,
        });
      }
      span.setAttribute(ATTR.memoryEntryId, victims.map((v) => v.entry.id).join(','));
      return victims.map((v) => v.entry.id);
    });
  }

  /** The vectors to store: known ones as they are, the others re-embedded from their representative text. */
  async function vectorsOf(
    writes: ReadonlyMap<string, PendingWrite>,
    byText: ReadonlyMap<string, readonly number[]>,
  ): Promise<Map<string, readonly number[]>> {
    const vectors = new Map<string, readonly number[]>();
    const missing: { id: string; text: string }[] = [];
    for (const [id, { entry, embedding }] of writes) {
      const known = embedding ?? byText.get(entry.text);
      if (known !== undefined) vectors.set(id, known);
      else missing.push({ id, text: entry.text });
    }
    if (missing.length > 0) {
      const embedded = await deps.provider.embed(missing.map((m) => m.text));
      missing.forEach((m, i) => {
        const vector = embedded[i];
        if (vector === undefined) throw new Error('the embedding provider returned no vector');
        vectors.set(m.id, vector);
      });
    }
    return vectors;
  }

  /**
   * Curates a batch of served outcomes with one embedding call (plus one for
   * stored entries whose representative text a merge changed), one query and
   * one upsert, deciding each as if they had come one at a time. Resolves to
   * one result per item; rejects (for all of them) when nothing was written.
   */
  async function curateServed(
    served: readonly { obs: Observation; span: Span }[],
  ): Promise<{ results: CurateResult[]; evictionError?: unknown }> {
    const embeddings = await deps.provider.embed(served.map((s) => s.obs.text));
    if (embeddings.length !== served.length || embeddings.some((e) => e === undefined))
      throw new Error('the embedding provider returned no vector');
    const hits = await collection.queryMany(embeddings, candidates);
    const plan = planBatch(
      served.map((s, i) => ({ obs: s.obs, embedding: embeddings[i] ?? [], hits: hits[i] ?? [] })),
      { mergeSimilarity: options.mergeSimilarity, candidates, maxContributions },
    );
    const byText = new Map(served.map((s, i) => [s.obs.text, embeddings[i] ?? []]));
    const vectors = await vectorsOf(plan.writes, byText);
    if (plan.writes.size > 0) {
      await collection.upsert(
        [...plan.writes.values()].map(({ entry }) => ({
          id: entry.id,
          document: entry.text,
          embedding: vectors.get(entry.id) ?? [],
          metadata: encodeMemoryEntry(entry),
        })),
      );
    }
    const results: CurateResult[] = plan.decisions.map((d, i) => {
      counts[COUNTER[d.action]] += 1;
      return {
        action: d.action,
        entryId: d.entryId,
        ...(d.similarity !== undefined ? { similarity: d.similarity } : {}),
        quality: served[i]?.obs.quality ?? 0,
        evicted: [],
      };
    });
    if (plan.founded.size === 0) return { results };
    // The eviction belongs to the last insert of the batch, as it would have come right after it.
    const last = plan.decisions.findLastIndex((d) => d.action === 'inserted');
    const lastSpan = served[last]?.span;
    try {
      const evicted = await otelContext.with(
        lastSpan ? trace.setSpan(otelContext.active(), lastSpan) : otelContext.active(),
        () => enforceBound(plan.founded),
      );
      const founder = results[last];
      if (founder !== undefined) results[last] = { ...founder, evicted };
      return { results };
    } catch (evictionError) {
      return { results, evictionError };
    }
  }

  /** Settles every queued call of one batch; never rejects. */
  async function curateBatch(batch: readonly Queued[]): Promise<void> {
    const spans = batch.map((q) =>
      tracer.startSpan(
        SPAN.memoryCurate,
        { attributes: { [ATTR.sliceId]: q.outcome.sliceId } },
        q.parent,
      ),
    );
    const settle = (i: number, result: CurateResult | { error: unknown }) => {
      const span = spans[i];
      const q = batch[i];
      if (span === undefined || q === undefined) return;
      if ('error' in result) {
        // Not done yet: the agent retries it, or gives it up and counts it then (recordFailure).
        recordError(span, result.error);
        span.end();
        q.reject(result.error);
        return;
      }
      // Counted when done, so that once `outcomes` reaches n the other counters include all n.
      counts.outcomes += 1;
      span.setAttribute(ATTR.memoryAction, result.action);
      if (result.entryId !== undefined) span.setAttribute(ATTR.memoryEntryId, result.entryId);
      if (result.similarity !== undefined)
        span.setAttribute(ATTR.memorySimilarity, result.similarity);
      span.end();
      q.resolve(result);
    };

    const served: { index: number; obs: Observation; span: Span }[] = [];
    batch.forEach((q, i) => {
      const { outcome } = q;
      const quality = outcomeQuality(outcome, options.modelConfig);
      spans[i]?.setAttribute(ATTR.memoryQuality, quality);
      // An unserved slice gives no evidence that its vector was right (see docs/memory.md).
      if (!outcome.served) {
        counts.skippedUnserved += 1;
        logger?.debug('unserved outcome not remembered', { sliceId: outcome.sliceId });
        settle(i, { action: 'skipped-unserved', quality, evicted: [] });
        return;
      }
      served.push({
        index: i,
        span: spans[i] as Span,
        obs: {
          sliceId: outcome.sliceId,
          at: outcome.at,
          text: cleanText(outcome.text),
          preference: outcome.preference,
          profile: outcome.profile,
          quality,
          qoe: outcome.observed,
        },
      });
    });
    if (served.length === 0) return;

    try {
      const { results, evictionError } = await curateServed(served);
      served.forEach((s, j) => {
        const result = results[j];
        // An insert whose eviction failed is retried like any failure; the retry finds it stored.
        if (result === undefined || (evictionError !== undefined && result.action === 'inserted'))
          settle(s.index, { error: evictionError ?? new Error('no result') });
        else settle(s.index, result);
      });
    } catch (error) {
      for (const s of served) settle(s.index, { error });
    }
  }

  async function drain(): Promise<void> {
    if (draining) return;
    draining = true;
    try {
      while (queue.length > 0) {
        const wait = lastBatchAt + minBatchIntervalMs - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        lastBatchAt = performance.now();
        await curateBatch(queue.splice(0, maxBatch));
      }
    } finally {
      draining = false;
    }
  }

  return {
    curate(outcome, parent = otelContext.active()) {
      return new Promise<CurateResult>((resolve, reject) => {
        queue.push({ outcome, parent, resolve, reject });
        void drain();
      });
    },
    recordFailure() {
      counts.failed += 1;
      counts.outcomes += 1;
    },
    stats: () => ({ ...counts }),
  };
}
