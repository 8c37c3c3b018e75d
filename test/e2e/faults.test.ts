/**
 * The fault run of `npm run faults`, reduced: the roles a slice needs, each in
 * its own process, and the three it calls (infrastructure, interpreter,
 * orchestrator) killed with SIGKILL and restarted in turn while ~30 requests
 * stream in. Judged against what was submitted: every accepted request ends
 * (released or rejected), none fails, none is lost or duplicated, and the
 * infrastructure holds nothing the slice-manager does not.
 */
import { describe, expect, it } from 'vitest';
import { runFaults } from '../../bench/faults/run.js';

describe('role restarts during a request stream', () => {
  it('kill -9 of infrastructure, interpreter and orchestrator loses, fails and duplicates nothing', async () => {
    const report = await runFaults({
      seed: 7,
      roles: ['infrastructure', 'interpreter', 'orchestrator', 'slice-manager'],
      faults: [
        { kind: 'kill', role: 'infrastructure' },
        { kind: 'kill', role: 'interpreter' },
        { kind: 'kill', role: 'orchestrator' },
      ],
      rate: 1.5,
      maxRequests: 30,
      lifetimeMs: [2_000, 5_000],
      recoveryMs: 1_000,
      settleTimeoutMs: 60_000,
      env: {
        SLICEMESH_ORCHESTRATOR_METHOD: 'first-fit',
        // A request in flight on the killed interpreter is retried after this timeout
        // (default 30 s): shorter keeps the test quick, still far above a loaded answer.
        SLICEMESH_INTERPRET_TIMEOUT_MS: '10000',
      },
    });
    const summary = JSON.stringify({ failures: report.failures, faults: report.faults });
    expect(report.totals.accepted, summary).toBe(30);
    // Each kill happened while requests were coming in.
    expect(report.faults.map((f) => f.fault)).toEqual([
      'kill -9 infrastructure',
      'kill -9 interpreter',
      'kill -9 orchestrator',
    ]);
    expect(
      report.faults.every((f) => f.requests > 0),
      summary,
    ).toBe(true);
    expect(report.totals.failed, summary).toBe(0);
    expect(report.totals.lost, summary).toBe(0);
    expect(report.totals.stuck, summary).toBe(0);
    expect(report.totals.duplicatedIds, summary).toBe(0);
    expect(report.totals.duplicatedEvents, summary).toBe(0);
    expect(report.totals.released + report.totals.rejected).toBe(30);
    expect(report.agreement.mismatches).toEqual([]);
    expect(report.failures).toEqual([]);
  });
});
