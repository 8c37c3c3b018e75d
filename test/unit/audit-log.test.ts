import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  actorOf,
  auditEntryFromEvent,
  lastRecordedSeq,
  openAuditTrail,
  readTrail,
  trailFileName,
  trailFiles,
} from '../../agents/audit-log/index.js';
import { AuditEntry } from '../../shared/contracts/audit.js';
import type { SliceEvent } from '../../shared/contracts/messages.js';

const dir = mkdtempSync(join(tmpdir(), 'slicemesh-audit-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function event(overrides: Partial<SliceEvent> = {}): SliceEvent {
  return {
    type: 'slice.event.v1',
    sliceId: 's1',
    at: 1_000,
    from: 'deploying',
    to: 'rejected',
    cause: 'rejected',
    record: {
      sliceId: 's1',
      state: 'rejected',
      text: 'robot arm control',
      traceId: 'aaaabbbbccccddddeeeeffff00001111',
      history: [
        { state: 'deploying', at: 900 },
        { state: 'rejected', at: 1_000, note: 'no placement meets the latency class' },
      ],
    },
    ...overrides,
  };
}

describe('audit entries', () => {
  it('name who set a transition in motion', () => {
    expect(['request', 'change', 'terminate'].map(actorOf)).toEqual([
      'requester',
      'requester',
      'requester',
    ]);
    expect(actorOf('violation')).toBe('telemetry');
    expect(['applied', 'lifetime', 'planning', 'failed'].map(actorOf)).toEqual([
      'slice-manager',
      'slice-manager',
      'slice-manager',
      'slice-manager',
    ]);
  });

  it('record what changed, when, and the trace id (the message’s, else the record’s)', () => {
    const entry = auditEntryFromEvent(event(), 7, 1_234, 'feedfeedfeedfeedfeedfeedfeedfeed');
    expect(AuditEntry.parse(entry)).toEqual({
      type: 'audit.entry.v1',
      seq: 7,
      at: 1_000,
      recordedAt: 1_234,
      sliceId: 's1',
      who: 'slice-manager',
      what: {
        from: 'deploying',
        to: 'rejected',
        cause: 'rejected',
        note: 'no placement meets the latency class',
      },
      traceId: 'feedfeedfeedfeedfeedfeedfeedfeed',
    });
    expect(auditEntryFromEvent(event(), 7, 1_234, undefined).traceId).toBe(
      'aaaabbbbccccddddeeeeffff00001111',
    );
  });
});

describe('audit trail files', () => {
  it('are named so that name order is time order', () => {
    const a = trailFileName('ns', Date.UTC(2026, 0, 2, 3, 4, 5, 6));
    const b = trailFileName('ns', Date.UTC(2026, 0, 2, 3, 4, 5, 60));
    expect(a).toBe('ns-2026-01-02T03-04-05-006Z.jsonl');
    expect([b, a].sort()).toEqual([a, b]);
  });

  it('append lines that read back, skipping a torn last line', async () => {
    const trail = openAuditTrail(dir, 'append', 1_000);
    const first = auditEntryFromEvent(event(), 1, 2_000, undefined);
    const second = auditEntryFromEvent(event({ sliceId: 's2' }), 2, 2_001, undefined);
    await trail.append(first);
    await trail.append(second);
    await trail.close();
    // A crash in the middle of a write leaves part of a line.
    appendFileSync(trail.path, '{"type":"audit.entry.v1","seq":');
    expect(await readTrail(trail.path)).toEqual([first, second]);
  });

  it('tell the last recorded sequence from the newest file that has entries', async () => {
    const ns = 'seq';
    expect(await lastRecordedSeq(dir, ns)).toBe(0);
    const older = openAuditTrail(dir, ns, Date.UTC(2026, 0, 1));
    await older.append(auditEntryFromEvent(event(), 5, 1, undefined));
    await older.append(auditEntryFromEvent(event(), 9, 2, undefined));
    await older.close();
    // A newer run that recorded nothing leaves an empty file behind.
    writeFileSync(join(dir, trailFileName(ns, Date.UTC(2026, 0, 3))), '');
    writeFileSync(join(dir, 'other-2026-01-04T00-00-00-000Z.jsonl'), '');
    expect(await trailFiles(dir, ns)).toHaveLength(2);
    expect(await lastRecordedSeq(dir, ns)).toBe(9);
    expect(await lastRecordedSeq(join(dir, 'missing'), ns)).toBe(0);
  });

  it('tell the last recorded sequence of a file too long to spread into one call', async () => {
    const ns = 'long';
    // Past the engine's argument limit (about 125 000), where Math.max(...seqs) throws.
    const count = 200_000;
    const entry = auditEntryFromEvent(
      event({ record: { sliceId: 's1', state: 'rejected', text: 'x', history: [] } }),
      0,
      1,
      undefined,
    );
    const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ ...entry, seq: i + 1 }));
    writeFileSync(join(dir, trailFileName(ns, Date.UTC(2026, 0, 1))), `${lines.join('\n')}\n`);
    expect(await lastRecordedSeq(dir, ns)).toBe(count);
  });
});
