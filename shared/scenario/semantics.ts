/**
 * Cross-event rules of a scenario: slice ids are unique, every change,
 * surge and termination refers to a slice requested earlier and still alive,
 * and events are in time order. Works on sketches so a rule still runs when
 * another part of the same event has a shape error (all problems are
 * reported together).
 */
import { formatDuration } from './duration.js';
import type { EventKind } from './schema.js';

/** What the rules need of one event; fields are absent when that part of the event is invalid. */
export interface EventSketch {
  readonly index: number;
  readonly kind?: EventKind;
  readonly id?: string;
  /** Id of a request body in an event whose kind is ambiguous: still known, so later events do not cascade. */
  readonly requestId?: string;
  readonly atMs?: number;
  readonly lifetimeMs?: number;
  /** Line of the event, for "see line N" references. */
  readonly line: number;
}

export interface SemanticIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

interface SliceSeen {
  readonly line: number;
  readonly index: number;
  readonly atMs?: number;
  readonly endsAtMs?: number;
  terminatedLine?: number;
}

/** Returns every rule violation, in file order. */
export function checkEventOrder(events: readonly EventSketch[]): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const requestLine = new Map<string, number>();
  for (const e of events) {
    if (e.kind === 'request' && e.id !== undefined && !requestLine.has(e.id))
      requestLine.set(e.id, e.line);
  }

  const slices = new Map<string, SliceSeen>();
  let previous: { atMs: number; line: number } | undefined;

  for (const e of events) {
    const base = ['events', e.index] as const;

    if (e.atMs !== undefined) {
      if (previous !== undefined && e.atMs < previous.atMs) {
        issues.push({
          path: [...base, 'at'],
          message: `events are out of order: ${formatDuration(e.atMs)} comes after ${formatDuration(previous.atMs)} (line ${previous.line}); order events by "at"`,
        });
      } else {
        previous = { atMs: e.atMs, line: e.line };
      }
    }

    if (e.kind === undefined && e.requestId !== undefined && !slices.has(e.requestId)) {
      slices.set(e.requestId, { line: e.line, index: e.index });
    }
    if (e.kind === undefined || e.id === undefined) continue;
    const idPath = [...base, e.kind, 'id'];
    const seen = slices.get(e.id);

    if (e.kind === 'request') {
      if (seen !== undefined) {
        issues.push({
          path: idPath,
          message: `slice id "${e.id}" is already requested at line ${seen.line}; slice ids must be unique`,
        });
        continue;
      }
      slices.set(e.id, {
        line: e.line,
        index: e.index,
        ...(e.atMs !== undefined ? { atMs: e.atMs } : {}),
        ...(e.atMs !== undefined && e.lifetimeMs !== undefined
          ? { endsAtMs: e.atMs + e.lifetimeMs }
          : {}),
      });
      continue;
    }

    if (seen === undefined) {
      const later = requestLine.get(e.id);
      issues.push({
        path: idPath,
        message:
          later === undefined
            ? `${e.kind} of unknown slice "${e.id}": no request has this id`
            : `${e.kind} of slice "${e.id}" comes before its request (line ${later})`,
      });
      continue;
    }
    if (seen.terminatedLine !== undefined) {
      issues.push({
        path: idPath,
        message: `${e.kind} of slice "${e.id}" after it was terminated (line ${seen.terminatedLine})`,
      });
      continue;
    }
    if (seen.endsAtMs !== undefined && e.atMs !== undefined && e.atMs >= seen.endsAtMs) {
      issues.push({
        path: idPath,
        message: `${e.kind} of slice "${e.id}" at ${formatDuration(e.atMs)}, but its lifetime ends at ${formatDuration(seen.endsAtMs)} (request at line ${seen.line})`,
      });
      continue;
    }
    if (e.kind === 'terminate') seen.terminatedLine = e.line;
  }
  return issues;
}
