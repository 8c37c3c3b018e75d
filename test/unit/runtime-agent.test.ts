import { describe, expect, it } from 'vitest';
import type { Bus } from '../../shared/bus/types.js';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import { type Heartbeat } from '../../shared/contracts/messages.js';
import { createSubjects } from '../../shared/contracts/subjects.js';
import {
  type AgentDeps,
  type AgentHooks,
  completeAgentDeps,
  createAgentHandle,
  extendAgentHandle,
  newInstanceId,
} from '../../shared/runtime/agent.js';
import { ManualClock } from '../../shared/runtime/clock.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import { noopTracer } from '../../shared/telemetry/setup.js';

function fakeDeps() {
  const published: { subject: string; msg: Heartbeat }[] = [];
  const bus = {
    subjects: createSubjects('unit'),
    publish: (subject: string, schema: typeof Heartbeat, msg: Heartbeat) => {
      published.push({ subject, msg: schema.parse(msg) });
    },
  } as unknown as Bus;
  const clock = new ManualClock(1_000);
  const deps: AgentDeps = {
    role: 'orchestrator',
    instanceId: 'orchestrator-1',
    bus,
    tracer: noopTracer(),
    clock,
    logger: silentLogger,
    seed: 1,
    config: loadConfig({ SLICEMESH_HEARTBEAT_MS: '60000' }),
  };
  return { deps, published, clock };
}

const hooks = (overrides: Partial<AgentHooks> = {}): AgentHooks & { calls: string[] } => {
  const calls: string[] = [];
  return {
    calls,
    start: overrides.start ?? (() => void calls.push('start')),
    stop: overrides.stop ?? (() => void calls.push('stop')),
  };
};

describe('createAgentHandle', () => {
  it('goes initialized → running → stopping → stopped and resolves stopped with null', async () => {
    const { deps, published } = fakeDeps();
    let stateDuringStop = '';
    const h = hooks();
    const agent = createAgentHandle(deps, {
      start: h.start,
      stop: () => {
        stateDuringStop = agent.state;
      },
    });
    expect(agent.state).toBe('initialized');
    await agent.start();
    expect(agent.state).toBe('running');
    await agent.stop();
    expect(stateDuringStop).toBe('stopping');
    expect(agent.state).toBe('stopped');
    await expect(agent.stopped).resolves.toBeNull();
    // stop() again is a no-op; start() after stop is refused.
    await agent.stop();
    await expect(agent.start()).rejects.toBeInstanceOf(SliceMeshError);
    expect(published.map((p) => p.msg.state)).toEqual(['running', 'stopping', 'stopped']);
    expect(published[0]!.subject).toBe('unit.heartbeat.orchestrator.orchestrator-1');
    expect(published[0]!.msg.at).toBe(1_000);
  });

  it('becomes failed when start throws, cleans up, and reports the error', async () => {
    const { deps } = fakeDeps();
    const h = hooks({
      start: () => Promise.reject(new SliceMeshError('unavailable', 'no chroma')),
    });
    const agent = createAgentHandle(deps, h);
    await expect(agent.start()).rejects.toMatchObject({ code: 'unavailable' });
    expect(agent.state).toBe('failed');
    expect(h.calls).toEqual(['stop']);
    await expect(agent.stopped).resolves.toMatchObject({ message: 'no chroma' });
  });

  it('fails a running agent that reports a fatal error', async () => {
    const { deps } = fakeDeps();
    let fail: ((e: unknown) => void) | undefined;
    const h = hooks({
      start: (control) => {
        fail = control.fail;
      },
    });
    const agent = createAgentHandle(deps, h);
    await agent.start();
    fail!(new Error('consumer lost'));
    await expect(agent.stopped).resolves.toMatchObject({ message: 'consumer lost' });
    expect(agent.state).toBe('failed');
    expect(h.calls).toEqual(['stop']);
  });

  it('stops an agent that never started without calling its hooks', async () => {
    const { deps } = fakeDeps();
    const h = hooks();
    const agent = createAgentHandle(deps, h);
    await agent.stop();
    expect(agent.state).toBe('stopped');
    expect(h.calls).toEqual([]);
    await expect(agent.stopped).resolves.toBeNull();
  });

  it('ends in failed when the stop hook throws', async () => {
    const { deps } = fakeDeps();
    const agent = createAgentHandle(
      deps,
      hooks({ stop: () => Promise.reject(new Error('stuck')) }),
    );
    await agent.start();
    await agent.stop();
    expect(agent.state).toBe('failed');
    await expect(agent.stopped).resolves.toBeInstanceOf(Error);
  });

  it('aborts the control signal when stopping begins', async () => {
    const { deps } = fakeDeps();
    let signal: AbortSignal | undefined;
    const agent = createAgentHandle(deps, hooks({ start: (c) => void (signal = c.signal) }));
    await agent.start();
    expect(signal!.aborted).toBe(false);
    await agent.stop();
    expect(signal!.aborted).toBe(true);
  });

  it('makes instance ids that are valid subject tokens and unique', () => {
    const a = newInstanceId('slice-manager');
    const b = newInstanceId('slice-manager');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^slice-manager-\d+-[a-z0-9]+$/);
  });
});

describe('extendAgentHandle', () => {
  it('adds role members while state stays live and getters stay getters', async () => {
    const { deps } = fakeDeps();
    const handle = createAgentHandle(deps, hooks(), { heartbeat: false });
    let reads = 0;
    const agent = extendAgentHandle(handle, {
      get counter() {
        reads += 1;
        return reads;
      },
      echo: (x: number) => x,
    });
    expect(reads).toBe(0); // not evaluated while extending
    expect(agent.state).toBe('initialized');
    await agent.start();
    expect(agent.state).toBe('running');
    expect(agent.counter).toBe(1);
    expect(agent.counter).toBe(2);
    expect(agent.echo(7)).toBe(7);
    expect(agent.role).toBe('orchestrator');
    await agent.stop();
    expect(agent.state).toBe('stopped');
    expect(await agent.stopped).toBeNull();
  });
});

describe('completeAgentDeps', () => {
  it('keeps what is given and fills the rest from the bus and defaults', () => {
    const { deps } = fakeDeps();
    const logger = silentLogger;
    const bus = {
      ...deps.bus,
      tracer: deps.tracer,
      logger: { child: () => logger },
    } as unknown as Bus;
    const full = completeAgentDeps({ bus, seed: 9 }, 'interpreter');
    expect(full.role).toBe('interpreter');
    expect(full.instanceId).toMatch(/^interpreter-/);
    expect(full.seed).toBe(9);
    expect(full.tracer).toBe(deps.tracer);
    expect(full.logger).toBe(logger);
    expect(full.config.mesh.namespace).toBe('slicemesh');
    expect(completeAgentDeps({ bus, role: 'x', instanceId: 'x-1' }, 'interpreter').instanceId).toBe(
      'x-1',
    );
  });
});
