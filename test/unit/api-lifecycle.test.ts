import { describe, expect, it } from 'vitest';
import { INTENT_LIFECYCLE, complianceOf, lifecycleStatusOf } from '../../agents/api/index.js';
import { SLICE_STATES } from '../../shared/contracts/messages.js';

describe('intent lifecycleStatus ↔ slice lifecycle', () => {
  it('maps every slice state, as docs/api.md tabulates it', () => {
    expect(Object.keys(INTENT_LIFECYCLE).sort()).toEqual([...SLICE_STATES].sort());
    expect(INTENT_LIFECYCLE).toEqual({
      requested: 'acknowledged',
      interpreting: 'inProgress',
      planning: 'inProgress',
      deploying: 'inProgress',
      active: 'active',
      adapting: 'adapting',
      terminating: 'terminating',
      released: 'terminated',
      rejected: 'rejected',
      failed: 'failed',
    });
    expect(lifecycleStatusOf('deploying')).toBe('inProgress');
  });

  it('documents the same table in docs/api.md', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync('docs/api.md', 'utf8');
    for (const [state, status] of Object.entries(INTENT_LIFECYCLE))
      expect(doc).toMatch(new RegExp(`\\|\\s*\`${state}\`\\s*\\|\\s*\`${status}\`\\s*\\|`));
  });

  it('judges QoE against the SLA: compliant, degraded or not met', () => {
    expect(complianceOf({ state: 'active', served: true })).toBe('compliant');
    expect(complianceOf({ state: 'active', served: true }, { withinSla: false })).toBe('degraded');
    expect(complianceOf({ state: 'active', served: false })).toBe('degraded');
    expect(complianceOf({ state: 'active', served: false, adaptive: false })).toBe('notMet');
    expect(complianceOf({ state: 'adapting', served: true })).toBe('degraded');
    expect(complianceOf({ state: 'rejected' })).toBe('notMet');
    expect(complianceOf({ state: 'failed' })).toBe('notMet');
  });
});
