import { describe, expect, it } from 'vitest';
import { slaFromTargets, targetsOf } from '../../agents/api/index.js';
import { isSliceMeshError } from '../../shared/contracts/errors.js';

const target = (targetName: string, targetCondition: string, targetValueRange: unknown) => ({
  targetName,
  targetCondition,
  targetValueRange,
});

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(isSliceMeshError(error) && error.code).toBe('invalid-message');
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('explicit expectation targets → SLA classes', () => {
  it('gives latency the loosest class whose limit keeps the bound (30 / 100 / 150 ms)', () => {
    const latency = (condition: string, value: unknown) =>
      slaFromTargets([target('latency', condition, value)])?.latency;
    expect(latency('IS_EQUAL_TO_OR_LESS_THAN', 150)).toBe('best-effort');
    expect(latency('IS_LESS_THAN', 150)).toBe('medium');
    expect(latency('IS_EQUAL_TO_OR_LESS_THAN', 100)).toBe('medium');
    expect(latency('IS_LESS_THAN', 100)).toBe('high');
    expect(latency('IS_EQUAL_TO_OR_LESS_THAN', '30')).toBe('high');
    expect(latency('IS_WITHIN_RANGE', [0, 120])).toBe('medium');
    expect(latency('IS_EQUAL_TO', 1_000)).toBe('best-effort');
    expect(
      slaFromTargets([{ ...target('latency', 'IS_LESS_THAN', 0.05), targetUnit: 's' }])?.latency,
    ).toBe('high');
  });

  it('gives availability and reliability (percent) their sharing class', () => {
    const reliability = (name: string, condition: string, value: unknown) =>
      slaFromTargets([target(name, condition, value)])?.reliability;
    expect(reliability('availability', 'IS_EQUAL_TO_OR_GREATER_THAN', 99.999)).toBe('high');
    expect(reliability('reliability', 'IS_GREATER_THAN', 99.9)).toBe('high');
    expect(reliability('reliability', 'IS_EQUAL_TO_OR_GREATER_THAN', 99.9)).toBe('medium');
    expect(reliability('availability', 'IS_GREATER_THAN', 99)).toBe('medium');
    expect(reliability('availability', 'IS_EQUAL_TO_OR_GREATER_THAN', 90)).toBe('medium');
    expect(reliability('availability', 'IS_WITHIN_RANGE', [0, 100])).toBe('best-effort');
  });

  it('gives cost general (40) or cost-sensitive (25)', () => {
    const cost = (condition: string, value: unknown) =>
      slaFromTargets([target('cost', condition, value)])?.cost;
    expect(cost('IS_EQUAL_TO_OR_LESS_THAN', 40)).toBe('general');
    expect(cost('IS_LESS_THAN', 40)).toBe('cost-sensitive');
    expect(cost('IS_EQUAL_TO_OR_LESS_THAN', 25)).toBe('cost-sensitive');
  });

  it('maps several targets at once and leaves unstated figures to the interpreter', () => {
    expect(
      slaFromTargets([
        target('latency', 'IS_LESS_THAN', 120),
        target('cost', 'IS_EQUAL_TO_OR_LESS_THAN', 40),
      ]),
    ).toEqual({ latency: 'medium', cost: 'general' });
    expect(slaFromTargets([])).toBeUndefined();
  });

  it('refuses what no class can promise, unknown targets and conditions without a bound', () => {
    expect(refusal(() => slaFromTargets([target('latency', 'IS_LESS_THAN', 30)]))).toMatch(
      /cannot be met/,
    );
    expect(refusal(() => slaFromTargets([target('cost', 'IS_EQUAL_TO_OR_LESS_THAN', 20)]))).toMatch(
      /cannot be met/,
    );
    expect(refusal(() => slaFromTargets([target('jitter', 'IS_LESS_THAN', 5)]))).toMatch(
      /unknown target "jitter"/,
    );
    expect(refusal(() => slaFromTargets([target('latency', 'IS_GREATER_THAN', 5)]))).toMatch(
      /no upper bound/,
    );
    expect(refusal(() => slaFromTargets([target('latency', 'IS_LESS_THAN', 'soon')]))).toMatch(
      /not a number/,
    );
    expect(refusal(() => slaFromTargets([target('availability', 'IS_GREATER_THAN', 120)]))).toMatch(
      /not a percentage/,
    );
    expect(
      refusal(() =>
        slaFromTargets([
          target('latency', 'IS_LESS_THAN', 100),
          target('latency', 'IS_EQUAL_TO_OR_LESS_THAN', 150),
        ]),
      ),
    ).toMatch(/disagree/);
  });

  it('reads targets at the top of the expression and inside TS 28.312 intentExpectations', () => {
    const top = target('latency', 'IS_LESS_THAN', 100);
    const nested = target('cost', 'IS_LESS_THAN', 40);
    expect(
      targetsOf({
        expectationTargets: [top],
        intentExpectations: [{ expectationId: 'e1', expectationTargets: [nested] }],
      }),
    ).toEqual([top, nested]);
    expect(targetsOf({ '@context': {} })).toEqual([]);
  });
});
