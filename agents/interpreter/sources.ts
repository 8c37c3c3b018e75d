/**
 * Where retrieval's hits come from, and what happens when Chroma cannot
 * answer. A slice must not fail because the vector store is briefly down. The
 * static knowledge base is answered from the interpreter's in-process index
 * (`knowledge-index.ts`) on every request, Chroma or not; the memory bank
 * lives only in Chroma, so a request answered without it says so and is
 * marked degraded. (With `knowledgeFrom: 'store'` the knowledge collection is
 * queried in Chroma too, guarded the same way, and the index answers for it
 * when Chroma does not.)
 *
 * Each guarded source remembers a failure for `retryAfterMs`: meanwhile
 * requests do not wait on the store at all; then one request at a time probes
 * it (waiting at most `timeoutMs`) while the others go on without it (or with
 * the index), until a probe succeeds.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { trace } from '@opentelemetry/api';
import { isSliceMeshError, SliceMeshError } from '../../shared/contracts/errors.js';
import { ATTR } from '../../shared/telemetry/names.js';
import type { IntentSource } from '../../shared/vectorstore/intent-entry.js';
import type { VectorCollection, VectorHit } from '../../shared/vectorstore/types.js';
import {
  DEFAULT_RETRIEVAL_OPTIONS,
  rerank,
  type NeighbourSearch,
  type RetrievalOptions,
} from './retrieve.js';
import type { Neighbour } from './types.js';

/** What one source gave for one query. */
export interface SourceAnswer {
  readonly hits: VectorHit[];
  /** Why the store did not answer; absent when it did. */
  readonly unavailable?: string;
  /** With `unavailable`: the hits come from the in-process index. */
  readonly fromCopy?: boolean;
}

export interface GuardedSource {
  readonly source: IntentSource;
  /** Answered by a search in this process (CPU work) rather than by a store round trip. */
  readonly inProcess?: boolean;
  query(embedding: readonly number[], k: number): Promise<SourceAnswer>;
  /** Whether the store is currently taken to be down (requests skip it until `retryAfterMs` passed). */
  readonly down: boolean;
}

export interface GuardOptions {
  /** A store query not answered within this is given up for this request (ms). */
  readonly timeoutMs: number;
  /** After a failure, requests skip the store for this long before the next one tries it (ms). */
  readonly retryAfterMs: number;
}

export const DEFAULT_GUARD_OPTIONS: GuardOptions = { timeoutMs: 2_000, retryAfterMs: 1_000 };

export interface GuardHooks {
  /** Monotonic milliseconds (default `performance.now`). */
  readonly clock?: () => number;
  /** Called when the store stops answering and when it answers again. */
  readonly onChange?: (change: {
    readonly source: IntentSource;
    readonly collection: string;
    readonly state: 'down' | 'up';
    readonly reason?: string;
  }) => void;
}

/** A short, single-line reason a store query failed: its code and the first sentence of its cause. */
function describeFailure(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error))
    .replace(/\s+/g, ' ')
    .replace(/^Chroma [^:]*? failed: /, '');
  const sentence = message.split(/(?<=[a-z0-9)])\. /i)[0] ?? message;
  const line = `${isSliceMeshError(error) ? `${error.code}: ` : ''}${sentence}`;
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new SliceMeshError('timeout', `no answer within ${ms} ms`)),
      ms,
    );
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * Guards `store` (a Chroma collection): a failed or timed-out query is answered
 * from `copy` (the in-process index), or with no hits when there is none, and
 * carries the reason. Any failure counts: the answer must not depend on why
 * the store could not give one.
 */
export function guardSource(
  source: IntentSource,
  store: VectorCollection,
  copy: NeighbourSearch | undefined,
  options: GuardOptions = DEFAULT_GUARD_OPTIONS,
  hooks: GuardHooks = {},
): GuardedSource {
  const clock = hooks.clock ?? (() => performance.now());
  let retryAt = Number.NEGATIVE_INFINITY;
  let reason: string | undefined;
  let probing = false;

  const fallback = async (
    why: string,
    embedding: readonly number[],
    k: number,
  ): Promise<SourceAnswer> =>
    copy === undefined
      ? { hits: [], unavailable: why }
      : { hits: await copy.query(embedding, k), unavailable: why, fromCopy: true };

  return {
    source,
    get down() {
      return reason !== undefined;
    },
    async query(embedding, k) {
      // Down: the copy answers until the retry is due, and while one request probes the store.
      if (reason !== undefined && (probing || clock() < retryAt))
        return fallback(reason, embedding, k);
      const probe = reason !== undefined;
      if (probe) probing = true;
      try {
        const hits = await withTimeout(store.query(embedding, k), options.timeoutMs);
        if (reason !== undefined) {
          reason = undefined;
          hooks.onChange?.({ source, collection: store.name, state: 'up' });
        }
        return { hits };
      } catch (error) {
        const why = describeFailure(error);
        const wasUp = reason === undefined;
        reason = why;
        retryAt = clock() + options.retryAfterMs;
        if (wasUp) hooks.onChange?.({ source, collection: store.name, state: 'down', reason: why });
        return fallback(why, embedding, k);
      } finally {
        if (probe) probing = false;
      }
    },
  };
}

export interface GuardedSources {
  readonly knowledge: GuardedSource;
  readonly memory?: GuardedSource | undefined;
}

export interface Retrieval {
  readonly neighbours: Neighbour[];
  /** One line per source the store could not serve (empty when all answered). */
  readonly notes: string[];
}

function partFor(source: IntentSource, answer: SourceAnswer): string {
  if (source === 'memory') return 'memory bank unavailable, answered without memories';
  return answer.fromCopy === true
    ? 'knowledge base answered from the in-process index'
    : 'knowledge base unavailable';
}

/**
 * Queries both sources in parallel and re-ranks the union, as
 * `retrieveNeighbours` does; a source the store could not serve adds a note
 * (the answer is then degraded) instead of failing the request.
 */
export async function retrieveGuarded(
  sources: GuardedSources,
  embedding: readonly number[],
  now: number,
  options: RetrievalOptions = DEFAULT_RETRIEVAL_OPTIONS,
): Promise<Retrieval> {
  // The memory bank's round trip first; an in-process search waits one turn of the event loop,
  // so the request is on its way to the store while the search holds the CPU.
  const memoryAnswer =
    sources.memory?.query(embedding, options.candidates) ??
    Promise.resolve<SourceAnswer>({ hits: [] });
  const knowledgeAnswer =
    sources.knowledge.inProcess === true
      ? nextTurn().then(() => sources.knowledge.query(embedding, options.candidates))
      : sources.knowledge.query(embedding, options.candidates);
  const [knowledge, memory] = await Promise.all([knowledgeAnswer, memoryAnswer]);
  // One note per reason, the memory bank first: what the answer lacks, then why.
  const byReason = new Map<string, string[]>();
  const unavailable: IntentSource[] = [];
  for (const [source, answer] of [
    ['memory', memory],
    ['knowledge', knowledge],
  ] as const) {
    if (answer.unavailable === undefined) continue;
    unavailable.push(source);
    const parts = byReason.get(answer.unavailable) ?? [];
    parts.push(partFor(source, answer));
    byReason.set(answer.unavailable, parts);
  }
  const notes = [...byReason].map(([why, parts]) => `${parts.join('; ')} (Chroma: ${why})`);
  if (unavailable.length > 0)
    trace.getActiveSpan()?.setAttribute(ATTR.interpreterUnavailable, unavailable.join(','));
  const neighbours = rerank(
    [
      ...knowledge.hits.map((hit) => ({ source: 'knowledge' as const, hit })),
      ...memory.hits.map((hit) => ({ source: 'memory' as const, hit })),
    ],
    now,
    options,
  );
  return { neighbours, notes };
}
