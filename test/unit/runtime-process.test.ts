import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import { type Logger, silentLogger } from '../../shared/runtime/logger.js';
import {
  type ProcessContext,
  createShutdownRunner,
  runProcess,
} from '../../shared/runtime/process.js';

function harness() {
  const signals = new EventEmitter();
  const exits: number[] = [];
  const order: string[] = [];
  return {
    signals,
    exits,
    order,
    options: {
      logger: silentLogger,
      signals,
      exit: (c: number) => void exits.push(c),
      graceMs: 200,
    },
  };
}

describe('runProcess', () => {
  it('runs shutdown phases in order on SIGINT and exits 0', async () => {
    const h = harness();
    let ready!: () => void;
    const started = new Promise<void>((r) => (ready = r));
    const done = runProcess(async (ctx: ProcessContext) => {
      ctx.onShutdown('stop-services', 'nats', () => void h.order.push('services'));
      ctx.onShutdown('drain-bus', 'bus', () => void h.order.push('bus'));
      ctx.onShutdown('flush-traces', 'traces', () => void h.order.push('traces'));
      ctx.onShutdown('stop-intake', 'agent a', () => void h.order.push('agent a'));
      ctx.onShutdown('stop-intake', 'agent b', () => void h.order.push('agent b'));
      ready();
    }, h.options);
    await started;
    h.signals.emit('SIGINT', 'SIGINT');
    await expect(done).resolves.toBe(0);
    expect(h.order).toEqual(['agent b', 'agent a', 'traces', 'bus', 'services']);
    expect(h.exits).toEqual([0]);
    expect(h.signals.listenerCount('SIGINT')).toBe(0);
  });

  it('forces exit on a second signal while a step hangs', async () => {
    const h = harness();
    let ready!: () => void;
    const started = new Promise<void>((r) => (ready = r));
    const done = runProcess(async (ctx) => {
      ctx.onShutdown('drain', 'stuck', () => new Promise<void>((r) => setTimeout(r, 150)));
      ready();
    }, h.options);
    await started;
    h.signals.emit('SIGTERM', 'SIGTERM');
    h.signals.emit('SIGINT', 'SIGINT');
    expect(h.exits).toEqual([130]);
    await done;
  });

  it('bounds each step by the grace time and carries on', async () => {
    const h = harness();
    const done = runProcess(async (ctx) => {
      ctx.onShutdown('drain', 'never ends', () => new Promise<void>(() => undefined));
      ctx.onShutdown('stop-services', 'after', () => void h.order.push('after'));
      ctx.shutdown('test over');
    }, h.options);
    await expect(done).resolves.toBe(0);
    expect(h.order).toEqual(['after']);
  });

  it('exits 1 and still cleans up when startup fails', async () => {
    const h = harness();
    const done = runProcess(async (ctx) => {
      ctx.onShutdown('stop-services', 'nats', () => void h.order.push('services'));
      throw new SliceMeshError('missing-dependency', 'nats-server was not found');
    }, h.options);
    await expect(done).resolves.toBe(1);
    expect(h.order).toEqual(['services']);
  });

  it('uses the exit code asked for by an internal shutdown', async () => {
    const h = harness();
    const done = runProcess(async (ctx) => {
      setTimeout(() => ctx.shutdown('agent failed', 1), 5);
    }, h.options);
    await expect(done).resolves.toBe(1);
  });
});

/** A logger that records warn lines (message and step name). */
function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger: Logger = {
    ...silentLogger,
    warn: (message, fields) => void warnings.push(`${message}: ${String(fields?.['step'])}`),
    child: () => logger,
  };
  return { logger, warnings };
}

describe('createShutdownRunner (the one runner of runProcess and the replay mesh)', () => {
  it('runs phases in order, later registrations first within a phase', async () => {
    const order: string[] = [];
    const runner = createShutdownRunner({ logger: silentLogger, graceMs: 200 });
    runner.add('stop-services', 'services', () => void order.push('services'));
    runner.add('stop-intake', 'agent a', () => void order.push('agent a'));
    runner.add('flush-traces', 'traces', () => void order.push('traces'));
    runner.add('stop-intake', 'agent b', () => void order.push('agent b'));
    runner.add('drain-bus', 'bus', () => void order.push('bus'));
    runner.add('drain', 'work', () => void order.push('work'));
    await runner.run();
    expect(order).toEqual(['agent b', 'agent a', 'work', 'traces', 'bus', 'services']);
  });

  it('runs the steps of one phase concurrently and the next phase only after all of them', async () => {
    const order: string[] = [];
    const runner = createShutdownRunner({ logger: silentLogger, graceMs: 1_000 });
    let releaseFirst!: () => void;
    runner.add('drain', 'first', async () => {
      order.push('first started');
      await new Promise<void>((r) => (releaseFirst = r));
      order.push('first done');
    });
    runner.add('drain', 'second', () => {
      order.push('second started');
      // The later registration started first and did not wait for `first`.
      setTimeout(() => releaseFirst(), 5);
    });
    runner.add('drain-bus', 'bus', () => void order.push('bus'));
    await runner.run();
    expect(order).toEqual(['second started', 'first started', 'first done', 'bus']);
  });

  it('logs a step that fails or outlives the grace time and carries on', async () => {
    const { logger, warnings } = recordingLogger();
    const order: string[] = [];
    const runner = createShutdownRunner({ logger, graceMs: 50 });
    runner.add('stop-intake', 'hangs', () => new Promise<void>(() => undefined));
    runner.add('drain', 'throws', () => {
      throw new Error('boom');
    });
    runner.add('drain', 'rejects', () => Promise.reject(new Error('bang')));
    runner.add('stop-services', 'after', () => void order.push('after'));
    await expect(runner.run()).resolves.toBeUndefined();
    expect(order).toEqual(['after']);
    expect(warnings.sort()).toEqual([
      'shutdown step failed: rejects',
      'shutdown step failed: throws',
      'shutdown step timed out: hangs',
    ]);
  });

  it('aborts its signal when the run begins and runs once however often it is asked', async () => {
    const runner = createShutdownRunner({ logger: silentLogger, graceMs: 200 });
    let runs = 0;
    let abortedWhenRun = false;
    runner.add('drain', 'count', () => {
      runs += 1;
      abortedWhenRun = runner.signal.aborted;
    });
    expect(runner.signal.aborted).toBe(false);
    const first = runner.run();
    expect(runner.run()).toBe(first);
    await first;
    await runner.run();
    expect(runs).toBe(1);
    expect(abortedWhenRun).toBe(true);
  });
});
