/** Counters of refused messages and failures; read through `bus.counters()`. */
import type { ErrorCode } from '../contracts/errors.js';
import type { BusCounters } from './types.js';

export class CounterSet {
  readonly #invalid = new Map<string, Map<ErrorCode, number>>();
  readonly #handlerErrors = new Map<string, Map<ErrorCode, number>>();
  readonly #retried = new Map<string, number>();
  readonly #terminated = new Map<string, number>();

  /** Counts a refused inbound message; returns the new count for that key and code. */
  invalid(key: string, code: ErrorCode): number {
    return bump(this.#invalid, key, code);
  }

  handlerError(key: string, code: ErrorCode): number {
    return bump(this.#handlerErrors, key, code);
  }

  retried(durable: string): void {
    this.#retried.set(durable, (this.#retried.get(durable) ?? 0) + 1);
  }

  terminated(durable: string): void {
    this.#terminated.set(durable, (this.#terminated.get(durable) ?? 0) + 1);
  }

  /** A plain-object copy, safe to hand out. */
  snapshot(): BusCounters {
    return {
      invalid: nested(this.#invalid),
      handlerErrors: nested(this.#handlerErrors),
      retried: Object.fromEntries(this.#retried),
      terminated: Object.fromEntries(this.#terminated),
    };
  }
}

function bump(map: Map<string, Map<ErrorCode, number>>, key: string, code: ErrorCode): number {
  let inner = map.get(key);
  if (!inner) map.set(key, (inner = new Map()));
  const next = (inner.get(code) ?? 0) + 1;
  inner.set(code, next);
  return next;
}

function nested(
  map: Map<string, Map<ErrorCode, number>>,
): Record<string, Partial<Record<ErrorCode, number>>> {
  const out: Record<string, Partial<Record<ErrorCode, number>>> = {};
  for (const [key, inner] of map)
    out[key] = Object.fromEntries(inner) as Partial<Record<ErrorCode, number>>;
  return out;
}

/** Sum of all counts in one nested counter record (e.g. every invalid message on a subject). */
export function totalOf(record: Partial<Record<ErrorCode, number>> | undefined): number {
  return Object.values(record ?? {}).reduce((a, b) => a + (b ?? 0), 0);
}
