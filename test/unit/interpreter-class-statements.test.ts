/**
 * The class reader on phrasing written for these tests (not taken from the
 * knowledge base, the evaluation set or the scenario generator), so that it
 * shows the grammar generalises rather than matches known sentences.
 */
import { describe, expect, it } from 'vitest';
import { latencyClassFor, readClassStatements } from '../../agents/interpreter/class-statements.js';
import { statedDurations } from '../../agents/interpreter/quantities.js';

const ms = (text: string) => statedDurations(text.toLowerCase()).map((d) => d.ms);

describe('stated durations', () => {
  it('reads numbers in digits, in words and as fractions, in every unit', () => {
    expect(ms('answers within 7 ms')).toEqual([7]);
    expect(ms('a loop of 250 µs')).toEqual([0.25]);
    expect(ms('no more than a fifth of a second')).toEqual([200]);
    expect(ms('half a millisecond of jitter')).toEqual([0.5]);
    expect(ms('three hundred milliseconds')).toEqual([300]);
    expect(ms('twenty-five milliseconds')).toEqual([25]);
    expect(ms('one and a half seconds')).toEqual([1500]);
    expect(ms('a couple of milliseconds')).toEqual([2]);
    expect(ms('2,500 ms')).toEqual([2500]);
    expect(ms('a 1.5 s window')).toEqual([1500]);
  });

  it('tells bounds, tolerances and periods apart', () => {
    const roles = (text: string) => statedDurations(text).map((d) => d.role);
    expect(roles('it must answer in under 12 ms')).toEqual(['bound']);
    expect(roles('sub-5 ms switching')).toEqual(['bound']);
    expect(roles('a 70 ms reaction would still be acceptable')).toEqual(['tolerance']);
    expect(roles('the gripper may take 90 ms')).toEqual(['tolerance']);
    expect(roles('samples every 20 minutes')).toEqual(['period']);
    expect(roles('an 8 ms cycle')).toEqual(['period']);
  });

  it('does not read a figure out of another token', () => {
    expect(ms('latency 1e308 ms')).toEqual([]);
    expect(ms('firmware v2.10 ms-dos')).toEqual([]);
  });
});

describe('class statements', () => {
  const read = (text: string) => readClassStatements(text);

  it('maps the tightest latency figure onto the case-study limits', () => {
    expect(latencyClassFor(30)).toBe('high');
    expect(latencyClassFor(30.5)).toBe('medium');
    expect(latencyClassFor(100)).toBe('medium');
    expect(latencyClassFor(101)).toBe('best-effort');
    expect(read('The gate drive expects its setpoint inside 12 ms.').latency?.value).toBe('high');
    expect(read('Replies may lag up to a fifth of a second.').latency?.value).toBe('best-effort');
    expect(read('Keep it below eighty milliseconds end to end.').latency?.value).toBe('medium');
    expect(read('We poll every 200 ms but the trip must land in 4 ms.').latency?.value).toBe(
      'high',
    );
  });

  it('reads seconds as a delay only when they bound or tolerate one', () => {
    expect(read('The totes report their fill level every 10 minutes.').latency).toBeUndefined();
    expect(read('A refresh within 3 seconds is all the display needs.').latency?.value).toBe(
      'best-effort',
    );
  });

  it('reads latency words, with negation', () => {
    expect(read('Hard real-time: the press must never wait.').latency?.value).toBe('high');
    expect(read('This is not real-time traffic at all.').latency?.value).toBe('best-effort');
    expect(read('Quasi-real-time updates are plenty for the dashboard.').latency?.value).toBe(
      'medium',
    );
    expect(read('The shipping labels can arrive late, nobody minds.').latency?.value).toBe(
      'best-effort',
    );
    expect(read('Nothing here is time-critical.').latency?.value).toBe('best-effort');
  });

  it('reads sharing statements as the reliability classes define them', () => {
    expect(
      read('The robots need their own nodes; nothing else may share them.').reliability?.value,
    ).toBe('high');
    expect(
      read('It can share its functions with at most one other slice.').reliability?.value,
    ).toBe('medium');
    expect(
      read('Sharing the nodes with the office traffic is perfectly fine.').reliability?.value,
    ).toBe('best-effort');
  });

  it('reads tolerated loss and interruption', () => {
    expect(read('Short outages can be absorbed by the local buffer.').reliability?.value).toBe(
      'medium',
    );
    expect(read('A few lost readings are no problem for the trend chart.').reliability?.value).toBe(
      'best-effort',
    );
    expect(read('Every trip signal has to get through.').reliability?.value).toBe('high');
    expect(read('No special redundancy is required.').reliability?.value).toBe('best-effort');
    // A specific tolerance outranks a general wish for reliability.
    expect(
      read('It ought to be dependable, but short glitches are acceptable.').reliability?.value,
    ).toBe('medium');
  });

  it('reads price statements, general ones before the cost words they contain', () => {
    expect(read('Money is no object for this line.').cost?.value).toBe('general');
    expect(read('The price is not a concern here.').cost?.value).toBe('general');
    expect(read('Normal rates are acceptable.').cost?.value).toBe('general');
    expect(read('Our budget is capped, so it must stay inexpensive.').cost?.value).toBe(
      'cost-sensitive',
    );
    expect(read('The fees must stay low per device.').cost?.value).toBe('cost-sensitive');
  });

  it('says nothing where the text says nothing, and notes implausible figures', () => {
    const none = read('Connect the weighbridge terminal at gate 4.');
    expect([none.latency, none.reliability, none.cost]).toEqual([undefined, undefined, undefined]);
    expect(read('answer within 100000000 ms').ignored).toEqual(['100000000 ms']);
  });
});
