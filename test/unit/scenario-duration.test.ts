import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  parseDuration,
  parseSpeed,
  toWallMs,
} from '../../shared/scenario/index.js';

describe('scenario durations', () => {
  it('reads ms, s and m into whole milliseconds', () => {
    expect(parseDuration('0ms')).toEqual({ ok: true, ms: 0 });
    expect(parseDuration('250ms')).toEqual({ ok: true, ms: 250 });
    expect(parseDuration('1.5s')).toEqual({ ok: true, ms: 1500 });
    expect(parseDuration('2m')).toEqual({ ok: true, ms: 120_000 });
    expect(parseDuration(' 3 s ')).toEqual({ ok: true, ms: 3000 });
    expect(parseDuration(0)).toEqual({ ok: true, ms: 0 });
  });

  it('refuses bare numbers, unknown units, negative and sub-millisecond values', () => {
    const message = (v: unknown) => {
      const r = parseDuration(v);
      return r.ok ? 'ok' : r.message;
    };
    expect(message(200)).toBe('duration 200 needs a unit: write 200ms, 200s or 200m');
    expect(message('2h')).toMatch(/^invalid duration "2h"/);
    expect(message('-5s')).toMatch(/^invalid duration "-5s"/);
    expect(message('0.5ms')).toBe('duration "0.5ms" is not a whole number of milliseconds');
    expect(message('20000m')).toMatch(/longer than the maximum/);
    expect(message(null)).toBe('expected a duration such as 200ms, 1.5s or 2m, got null');
  });

  it('formats durations the way files write them', () => {
    expect(formatDuration(0)).toBe('0ms');
    expect(formatDuration(999)).toBe('999ms');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(120_000)).toBe('2m');
  });
});

describe('replay speed', () => {
  it('accepts max or a positive factor', () => {
    expect(parseSpeed('max')).toEqual({ ok: true, speed: 'max' });
    expect(parseSpeed(10)).toEqual({ ok: true, speed: 10 });
    expect(parseSpeed('0.5')).toEqual({ ok: true, speed: 0.5 });
    expect(parseSpeed('4x')).toEqual({ ok: true, speed: 4 });
    expect(parseSpeed(0).ok).toBe(false);
    expect(parseSpeed('fast').ok).toBe(false);
  });

  it('maps scenario time to wall time', () => {
    expect(toWallMs(1000, 10)).toBe(100);
    expect(toWallMs(1000, 0.5)).toBe(2000);
    expect(toWallMs(1000, 'max')).toBe(0);
  });
});
