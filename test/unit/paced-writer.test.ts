import { describe, expect, it } from 'vitest';
import { PacedWriter } from '../../shared/runtime/paced-writer.js';

/** A manual clock: sleeping advances it, a write takes `writeMs` of it. */
function manualTime(writeMs: number) {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    work: async () => {
      await Promise.resolve();
      now += writeMs;
    },
    sleeps,
  };
}

describe('PacedWriter', () => {
  it('lets requests made while a write waits share it, and each write reads the state when it starts', async () => {
    const time = manualTime(10);
    let state = 0;
    const written: number[] = [];
    const writer = new PacedWriter(
      async () => {
        const seen = state;
        await time.work();
        written.push(seen);
      },
      { now: time.now, sleep: time.sleep },
    );
    state = 1;
    const first = writer.request();
    state = 2;
    // Joins the write not started yet.
    expect(writer.request()).toBe(first);
    state = 3;
    await first;
    expect(written).toEqual([3]);
  });

  it('pauses after a write so that at most the duty cycle of the time is spent writing', async () => {
    const time = manualTime(40);
    const writer = new PacedWriter(() => time.work(), {
      dutyCycle: 0.2,
      now: time.now,
      sleep: time.sleep,
    });
    await writer.request();
    await writer.request();
    await writer.request();
    // 40 ms of writing → 160 ms before the next write (40 / (40 + 160) = 0.2).
    expect(time.sleeps).toEqual([160, 160]);
  });

  it('keeps the shortest pause when writes are quick, and writes at once when none came before', async () => {
    const time = manualTime(1);
    const writer = new PacedWriter(() => time.work(), {
      minPauseMs: 50,
      now: time.now,
      sleep: time.sleep,
    });
    await writer.request();
    await writer.request();
    expect(time.sleeps).toEqual([50]);
  });

  it('rejects the requests of a failed write, and the next request writes again', async () => {
    const time = manualTime(1);
    let fail = true;
    let writes = 0;
    const writer = new PacedWriter(
      async () => {
        writes += 1;
        if (fail) throw new Error('store unavailable');
      },
      { now: time.now, sleep: time.sleep },
    );
    await expect(writer.request()).rejects.toThrow('store unavailable');
    fail = false;
    await expect(writer.request()).resolves.toBeUndefined();
    expect(writes).toBe(2);
    await writer.flush();
  });

  it('refuses a duty cycle outside (0, 1]', () => {
    expect(() => new PacedWriter(async () => {}, { dutyCycle: 0 })).toThrow(RangeError);
    expect(() => new PacedWriter(async () => {}, { dutyCycle: 1.5 })).toThrow(RangeError);
  });
});
