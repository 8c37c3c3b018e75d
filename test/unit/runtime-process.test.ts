import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import { type ProcessContext, runProcess } from '../../shared/runtime/process.js';

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
