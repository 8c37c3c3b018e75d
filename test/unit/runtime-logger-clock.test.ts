import { describe, expect, it } from 'vitest';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import { ManualClock } from '../../shared/runtime/clock.js';
import { createLogger } from '../../shared/runtime/logger.js';

describe('logger', () => {
  it('writes JSON lines at or above its level, with child fields and serialised errors', () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      sink: { write: (l) => void lines.push(l) },
      now: () => 0,
    });
    logger.debug('hidden');
    const child = logger.child({ role: 'orchestrator' });
    child.warn('slow plan', { ms: 12, error: new SliceMeshError('timeout', 'too slow') });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({
      level: 'warn',
      msg: 'slow plan',
      role: 'orchestrator',
      ms: 12,
      time: '1970-01-01T00:00:00.000Z',
      error: { code: 'timeout', message: 'too slow' },
    });
  });

  it('survives fields that cannot be serialised', () => {
    const lines: string[] = [];
    const logger = createLogger({ sink: { write: (l) => void lines.push(l) } });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    logger.error('odd', { circular });
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'odd', unserialisable: true });
  });
});

describe('ManualClock', () => {
  it('moves only forward and only when told', () => {
    const clock = new ManualClock(1_000);
    expect(clock.now()).toBe(1_000);
    expect(clock.advance(500)).toBe(1_500);
    clock.set(2_000);
    expect(clock.now()).toBe(2_000);
    expect(() => clock.set(1_999)).toThrow(SliceMeshError);
    expect(() => clock.advance(-1)).toThrow(SliceMeshError);
  });
});
