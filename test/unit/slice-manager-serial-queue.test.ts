import { describe, expect, it } from 'vitest';
import { KeyedSerialQueue } from '../../agents/slice-manager/serial-queue.js';

function deferred() {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('KeyedSerialQueue', () => {
  it('runs the tasks of one key one at a time, in submission order', async () => {
    const queue = new KeyedSerialQueue();
    const log: string[] = [];
    const gate = deferred();
    const first = queue.run('s1', async () => {
      log.push('first:start');
      await gate.promise;
      log.push('first:end');
    });
    const second = queue.run('s1', () => {
      log.push('second');
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(log).toEqual(['first:start']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(log).toEqual(['first:start', 'first:end', 'second']);
  });

  it('does not make different keys wait for each other', async () => {
    const queue = new KeyedSerialQueue();
    const gate = deferred();
    const blocked = queue.run('s1', () => gate.promise);
    let otherRan = false;
    await queue.run('s2', () => {
      otherRan = true;
    });
    expect(otherRan).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.busyKeys).toBe(1); // only the blocked key is still busy
    gate.resolve();
    await blocked;
  });

  it('keeps going after a failed task and hands the failure to its caller only', async () => {
    const queue = new KeyedSerialQueue();
    const failing = queue.run('s1', () => Promise.reject(new Error('boom')));
    const next = queue.run('s1', () => 'ok');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });

  it('becomes idle once everything queued has settled', async () => {
    const queue = new KeyedSerialQueue();
    const gate = deferred();
    void queue.run('a', () => gate.promise);
    void queue.run('b', () => Promise.reject(new Error('ignored')).catch(() => undefined));
    const idle = queue.idle();
    let done = false;
    void idle.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    gate.resolve();
    await idle;
    expect(queue.busyKeys).toBe(0);
  });
});
