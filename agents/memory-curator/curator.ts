/**
 * The transport-agnostic memory curator: turns slice outcomes into memory-bank
 * entries (insert, or merge into a near-duplicate), keeps the bank bounded and
 * counts what it did. Updates run one at a time, so a merge's read-modify-write
 * never interleaves with another. The NATS agent is a thin shell around it.
 */
import { context as otelContext, trace, type Context, type Tracer } from '@opentelemetry/api';
import type { SliceOutcome } from '../../shared/contracts/messages.js';
import type { ModelConfig } from '../../shared/model/config.js';
import type { EmbeddingProvider } from '../../shared/embeddings/types.js';
import type { Logger } from '../../shared/runtime/logger.js';
import { ATTR, SPAN, instrument } from '../../shared/telemetry/index.js';
import { DEFAULT_AGING, type AgingOptions } from '../../shared/vectorstore/aging.js';
import type { VectorCollection } from '../../shared/vectorstore/types.js';
import { decodeMemoryEntry, encodeMemoryEntry, type MemoryEntry } from './entry.js';
import { outcomeQuality } from './quality.js';
import {
  chooseEvictions,
  DEFAULT_MAX_CONTRIBUTIONS,
  entryFromObservation,
  isMergeCandidate,
  mergeObservation,
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

export interface MemoryCurator {
  /**
   * Remembers one outcome (serialised with every other call). The update's
   * span is a child of `parent` (default: the active context), e.g. the
   * context carried in the outcome message's headers.
   */
  curate(outcome: SliceOutcome, parent?: Context): Promise<CurateResult>;
  /** Counts outcomes that could not be stored (the agent calls this after giving up). */
  recordFailure(): void;
  stats(): MemoryStats;
}

/** Whitespace and Unicode forms normalised the way request text is before embedding. */
function normaliseText(text: string): string {
  return text.normalize('NFKC').replace(/\s+/g, ' ').trim();
}

export function createMemoryCurator(
  deps: MemoryCuratorDeps,
  options: MemoryCuratorOptions = DEFAULT_MEMORY_OPTIONS,
): MemoryCurator {
  const tracer = deps.tracer ?? trace.getTracer('slicemesh-memory-curator');
  const aging = options.aging ?? DEFAULT_AGING;
  const maxContributions = options.maxContributions ?? DEFAULT_MAX_CONTRIBUTIONS;
  const candidates = Math.max(1, options.mergeCandidates ?? 4);
  const { collection, logger } = deps;
  const counts = {
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
  let tail: Promise<unknown> = Promise.resolve();

  const write = (entry: MemoryEntry, embedding: readonly number[]) =>
    collection.upsert([
      { id: entry.id, document: entry.text, embedding, metadata: encodeMemoryEntry(entry) },
    ]);

  /** The nearest entry the observation may merge into, with its similarity. */
  async function nearest(
    embedding: readonly number[],
    obs: Observation,
  ): Promise<{ entry: MemoryEntry; similarity: number } | { similarity?: number }> {
    const hits = await collection.query(embedding, candidates);
    let best: number | undefined;
    for (const hit of hits) {
      const entry = decodeMemoryEntry(hit);
      if (entry === undefined || entry.profile.serviceType !== obs.profile.serviceType) continue;
      best ??= hit.similarity;
      if (isMergeCandidate(hit.similarity, entry, obs, options.mergeSimilarity))
        return { entry, similarity: hit.similarity };
      break; // hits are best first: the first of this service type decides
    }
    return best === undefined ? {} : { similarity: best };
  }

  /** Evicts the least retained entries beyond the bound; never the one just written. */
  async function enforceBound(justWritten: string): Promise<string[]> {
    const count = await collection.count();
    const excess = count - options.maxEntries;
    if (excess <= 0) return [];
    return instrument(tracer, SPAN.memoryEvict, { [ATTR.memoryEntries]: count }, async (span) => {
      const entries = (await collection.get()).flatMap((r) => decodeMemoryEntry(r) ?? []);
      const now = deps.now();
      const victims = chooseEvictions(entries, excess, now, new Set([justWritten]), aging);
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

  async function curateNow(outcome: SliceOutcome, parent: Context): Promise<CurateResult> {
    return instrument(
      tracer,
      SPAN.memoryCurate,
      { [ATTR.sliceId]: outcome.sliceId },
      async (span) => {
        counts.outcomes += 1;
        const quality = outcomeQuality(outcome, options.modelConfig);
        span.setAttribute(ATTR.memoryQuality, quality);
        const finish = (result: CurateResult): CurateResult => {
          span.setAttribute(ATTR.memoryAction, result.action);
          if (result.entryId !== undefined) span.setAttribute(ATTR.memoryEntryId, result.entryId);
          if (result.similarity !== undefined)
            span.setAttribute(ATTR.memorySimilarity, result.similarity);
          return result;
        };
        // An unserved slice gives no evidence that its vector was right (see docs/memory.md).
        if (!outcome.served) {
          counts.skippedUnserved += 1;
          logger?.debug('unserved outcome not remembered', { sliceId: outcome.sliceId });
          return finish({ action: 'skipped-unserved', quality, evicted: [] });
        }
        const obs: Observation = {
          sliceId: outcome.sliceId,
          at: outcome.at,
          text: normaliseText(outcome.text),
          preference: outcome.preference,
          profile: outcome.profile,
          quality,
          qoe: outcome.observed,
        };
        const [embedding] = await deps.provider.embed([obs.text]);
        if (embedding === undefined) throw new Error('the embedding provider returned no vector');
        const near = await nearest(embedding, obs);

        if ('entry' in near) {
          const { entry, action } = mergeObservation(near.entry, obs, maxContributions);
          if (action === 'duplicate' || action === 'stale') {
            if (action === 'duplicate') counts.duplicates += 1;
            else counts.stale += 1;
            return finish({
              action,
              entryId: entry.id,
              similarity: near.similarity,
              quality,
              evicted: [],
            });
          }
          // Keep the representative's vector: the entry's document stays its first text.
          const [representative] =
            entry.text === obs.text ? [embedding] : await deps.provider.embed([entry.text]);
          await write(entry, representative ?? embedding);
          if (action === 'merged') counts.merged += 1;
          else counts.superseded += 1;
          return finish({
            action,
            entryId: entry.id,
            similarity: near.similarity,
            quality,
            evicted: [],
          });
        }

        const entry = entryFromObservation(obs);
        await write(entry, embedding);
        counts.inserted += 1;
        const evicted = await enforceBound(entry.id);
        return finish({
          action: 'inserted',
          entryId: entry.id,
          ...(near.similarity !== undefined ? { similarity: near.similarity } : {}),
          quality,
          evicted,
        });
      },
      { context: parent },
    );
  }

  return {
    curate(outcome, parent = otelContext.active()) {
      const run = tail.then(() => curateNow(outcome, parent));
      tail = run.catch(() => undefined);
      return run;
    },
    recordFailure() {
      counts.failed += 1;
    },
    stats: () => ({ ...counts }),
  };
}
