import { describe, expect, it } from 'vitest';
import { CURSOR_TTL_MS, decodeCursor, encodeCursor } from '../../agents/slice-manager/cursor.js';
import { SliceIndex } from '../../agents/slice-manager/slice-index.js';
import { INTAKE_PARTITIONS, isSliceMeshError, partitionOf } from '../../shared/contracts/index.js';

const NOW = 1_700_000_000_000;
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return isSliceMeshError(error) ? [error.code, error.details?.reason] : ['not typed'];
  }
  return ['no error'];
};

describe('slice.list cursors', () => {
  const filter = { state: 'active' as const, tenant: 'acme' };

  it('carry the position and the filter from one page to the next', () => {
    const cursor = encodeCursor({ partition: 5, after: 'cell-9' }, filter, NOW);
    expect(decodeCursor(cursor, filter, NOW + 1_000)).toEqual({
      partition: 5,
      after: 'cell-9',
      state: 'active',
    });
    // The state may be left out on later pages: the cursor carries it.
    expect(decodeCursor(cursor, { state: undefined, tenant: 'acme' }, NOW).state).toBe('active');
  });

  it('refuse a cursor that was never issued, with a typed error', () => {
    for (const forged of ['not-a-cursor', Buffer.from('{"v":2}').toString('base64url'), '%%%']) {
      expect(codeOf(() => decodeCursor(forged, filter, NOW))).toEqual([
        'invalid-cursor',
        'unknown',
      ]);
    }
    const outOfRange = Buffer.from(
      JSON.stringify({ v: 1, p: INTAKE_PARTITIONS, exp: NOW + 1 }),
    ).toString('base64url');
    expect(codeOf(() => decodeCursor(outOfRange, filter, NOW))).toEqual([
      'invalid-cursor',
      'unknown',
    ]);
  });

  it('refuse an expired cursor', () => {
    const cursor = encodeCursor({ partition: 0 }, filter, NOW);
    expect(decodeCursor(cursor, filter, NOW + CURSOR_TTL_MS).partition).toBe(0);
    expect(codeOf(() => decodeCursor(cursor, filter, NOW + CURSOR_TTL_MS + 1))).toEqual([
      'invalid-cursor',
      'expired',
    ]);
  });

  it("refuse a cursor used with another filter or by another tenant's client", () => {
    const cursor = encodeCursor({ partition: 2 }, filter, NOW);
    expect(codeOf(() => decodeCursor(cursor, { state: 'failed', tenant: 'acme' }, NOW))).toEqual([
      'invalid-cursor',
      'filter',
    ]);
    expect(codeOf(() => decodeCursor(cursor, { state: 'active', tenant: 'globex' }, NOW))).toEqual([
      'invalid-cursor',
      'filter',
    ]);
    expect(codeOf(() => decodeCursor(cursor, { state: 'active', tenant: undefined }, NOW))).toEqual(
      ['invalid-cursor', 'filter'],
    );
  });
});

describe('the slice index', () => {
  it('walks each partition in slice-id order from any position, whatever order ids arrive in', () => {
    const index = new SliceIndex();
    const ids = Array.from({ length: 500 }, (_, i) => `s-${(i * 7919) % 1000}`);
    for (const id of ids) index.add(id);
    index.add(ids[0] as string); // twice: held once
    for (const id of ids.slice(0, 50)) index.delete(id);
    const kept = [...new Set(ids.slice(50))];
    for (let p = 0; p < INTAKE_PARTITIONS; p++) {
      const expected = kept.filter((id) => partitionOf(id) === p).sort();
      expect([...index.after(p, undefined)]).toEqual(expected);
      const middle = expected[Math.floor(expected.length / 2)];
      expect([...index.after(p, middle)]).toEqual(expected.filter((id) => id > (middle ?? '')));
      expect(index.ids(p)).toEqual(expected);
    }
  });
});
