/**
 * Durations and replay speeds as scenario files write them.
 *
 * A duration is a number with a unit — `ms`, `s` or `m` — such as `200ms`,
 * `1.5s` or `2m`. A bare `0` is accepted (zero needs no unit); any other bare
 * number is refused because `at: 200` could mean milliseconds or seconds.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000 } as const;
type Unit = keyof typeof UNIT_MS;

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m)$/;

/** The longest duration a scenario may use (one week), so timers stay meaningful. */
export const MAX_DURATION_MS = 7 * 24 * 60 * 60 * 1_000;

export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

/**
 * Parses a duration such as `200ms`, `1.5s` or `2m` into whole milliseconds.
 * Returns a message instead of throwing so callers can attach a source position.
 */
export function parseDuration(value: unknown): DurationResult {
  if (typeof value === 'number') {
    if (value === 0) return { ok: true, ms: 0 };
    return {
      ok: false,
      message: `duration ${value} needs a unit: write ${value}ms, ${value}s or ${value}m`,
    };
  }
  if (typeof value !== 'string') {
    return {
      ok: false,
      message: `expected a duration such as 200ms, 1.5s or 2m, got ${describe(value)}`,
    };
  }
  const text = value.trim();
  const match = DURATION.exec(text);
  if (!match) {
    return {
      ok: false,
      message: `invalid duration ${JSON.stringify(value)}: use a number and a unit (ms, s or m), e.g. 200ms, 1.5s or 2m`,
    };
  }
  const amount = Number(match[1]);
  const unit = match[2] as Unit;
  const exact = amount * UNIT_MS[unit];
  const ms = Math.round(exact);
  if (Math.abs(exact - ms) > 1e-9) {
    return {
      ok: false,
      message: `duration ${JSON.stringify(value)} is not a whole number of milliseconds`,
    };
  }
  if (ms > MAX_DURATION_MS) {
    return {
      ok: false,
      message: `duration ${JSON.stringify(value)} is longer than the maximum of 7 days`,
    };
  }
  return { ok: true, ms };
}

/** Formats milliseconds the way scenario files write them (`250ms`, `1.5s`, `2m`). */
export function formatDuration(ms: number): string {
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1_000) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

/** `max` = as fast as the mesh allows (in order); a number = scenario time runs that many times faster than wall time. */
export type Speed = 'max' | number;

export type SpeedResult = { ok: true; speed: Speed } | { ok: false; message: string };

/** The largest time factor; anything faster is what `max` is for. */
export const MAX_SPEED_FACTOR = 1_000_000;

/** Parses `max`, a positive number, or a numeric string such as `10` or `0.5`. */
export function parseSpeed(value: unknown): SpeedResult {
  const hint = 'use "max" or a positive time factor such as 1 (real time) or 10 (ten times faster)';
  if (value === 'max') return { ok: true, speed: 'max' };
  const factor =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+(?:\.\d+)?x?$/.test(value.trim())
        ? Number(value.trim().replace(/x$/, ''))
        : Number.NaN;
  if (!Number.isFinite(factor) || factor <= 0) {
    return { ok: false, message: `invalid speed ${describe(value)}: ${hint}` };
  }
  if (factor > MAX_SPEED_FACTOR) {
    return {
      ok: false,
      message: `speed ${factor} is above ${MAX_SPEED_FACTOR}: use "max" instead`,
    };
  }
  return { ok: true, speed: factor };
}

/** Wall-clock milliseconds for `scenarioMs` of scenario time at `speed` (`max` → 0). */
export function toWallMs(scenarioMs: number, speed: Speed): number {
  return speed === 'max' ? 0 : scenarioMs / speed;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : typeof value;
}
