import { describe, expect, it } from 'vitest';
import { SliceRecord } from '../../shared/contracts/index.js';
import { buildRequest, formatSlice, locateMesh } from '../../cli/commands/request.js';
import { formatSliceDetail, formatSliceTable } from '../../cli/commands/status.js';
import { loadConfig } from '../../shared/runtime/config.js';

const BASE = { text: 'AGV fleet control on the shop floor', timeout: '30s' };

describe('slicemesh request: building the request', () => {
  it('turns the flags into a valid slice request', () => {
    const request = buildRequest(
      {
        ...BASE,
        id: 'agv-1',
        slaLatency: 'high',
        slaCost: 'cost-sensitive',
        cpu: '2.5',
        mem: '3',
        lifetime: '1.5s',
      },
      1_700_000_000_000,
    );
    expect(request).toEqual({
      type: 'slice.request.v2',
      tenant: 'default',
      sliceId: 'agv-1',
      text: 'AGV fleet control on the shop floor',
      sla: { latency: 'high', cost: 'cost-sensitive' },
      demand: { cpu: 2.5, mem: 3 },
      lifetimeMs: 1_500,
      submittedAt: 1_700_000_000_000,
    });
  });

  it("carries the tenant it is built for (the client's own)", () => {
    expect(buildRequest(BASE, 1).tenant).toBe('default');
    expect(buildRequest(BASE, 1, 'acme').tenant).toBe('acme');
  });

  it('asks for no adaptation only with --no-adapt', () => {
    expect(buildRequest({ ...BASE, adapt: false }, 1).adaptive).toBe(false);
    expect('adaptive' in buildRequest({ ...BASE, adapt: true }, 1)).toBe(false);
    expect('adaptive' in buildRequest(BASE, 1)).toBe(false);
  });

  it('generates distinct ids that fit a subject token', () => {
    const a = buildRequest(BASE, 1_000).sliceId;
    const b = buildRequest(BASE, 1_000).sliceId;
    expect(a).toMatch(/^slice-[a-z0-9]+-[a-z0-9]{4}$/);
    expect(a).not.toBe(b);
  });

  it('refuses bad flags with typed errors that name the problem', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return [(error as { code?: string }).code, (error as Error).message];
      }
      return undefined;
    };
    expect(code(() => buildRequest({ ...BASE, cpu: '2' }, 1))).toEqual([
      'invalid-message',
      '--cpu and --mem go together: give both or neither',
    ]);
    expect(code(() => buildRequest({ ...BASE, cpu: '-1', mem: '2' }, 1))?.[1]).toContain(
      '--cpu must be a positive number',
    );
    expect(code(() => buildRequest({ ...BASE, lifetime: '10' }, 1))?.[1]).toContain('--lifetime');
    expect(code(() => buildRequest({ ...BASE, id: 'has spaces' }, 1))?.[1]).toContain('sliceId');
    expect(code(() => buildRequest({ ...BASE, text: '   ' }, 1))?.[1]).toContain('text');
  });
});

describe('slicemesh request/status: finding the mesh', () => {
  it('uses NATS_URL and the namespace when set', () => {
    const config = loadConfig({ NATS_URL: 'nats://10.0.0.5:4222', SLICEMESH_NAMESPACE: 'plant7' });
    expect(locateMesh(config)).toMatchObject({
      nats: { url: 'nats://10.0.0.5:4222' },
      mesh: { namespace: 'plant7' },
    });
  });

  it('tells the user to start a mesh when there is none', () => {
    const config = loadConfig({ SLICEMESH_DATA_DIR: '/nonexistent/slicemesh-data' });
    expect(() => locateMesh(config)).toThrow(/slicemesh up.*NATS_URL/);
  });
});

describe('slicemesh request/status: output', () => {
  const record = SliceRecord.parse({
    sliceId: 'agv-1',
    state: 'active',
    text: 'AGV fleet control',
    preference: { latency: 0.5, reliability: 0.3, economics: 0.1, throughput: 0.1 },
    profile: { serviceType: 'URLLC', latency: 'high', reliability: 'high', cost: 'general' },
    placement: { site: 'cloud', containerId: 'c-9', vnfNodeIds: ['v-1', 'v-2'], appliedAt: 5 },
    observed: { latencyMs: 28.25, cost: 33, reliabilityCost: 1 },
    served: false,
    violations: ['cost'],
    traceId: 'f'.repeat(32),
    history: [
      { state: 'requested', at: 1_000 },
      { state: 'active', at: 1_250, note: 'served at cloud' },
    ],
  });

  it('prints what a user asks about: state, profile, placement, QoE, served', () => {
    const text = formatSlice(record);
    expect(text).toContain('state        active');
    expect(text).toContain('latency 0.500');
    expect(text).toContain('URLLC · latency high · reliability high · cost general');
    expect(text).toContain('cloud · container c-9 · VNF nodes v-1, v-2');
    expect(text).toContain('latency 28.3 ms · cost 33.0');
    expect(text).toContain('served       no (violates cost)');
    expect(text).toContain(`trace        ${'f'.repeat(32)}`);
  });

  it('lists slices as an aligned table and shows one slice with its history', () => {
    const table = formatSliceTable(
      [record, { ...record, sliceId: 'sensor-net-12', state: 'planning', placement: undefined }],
      3_250,
    ).split('\n');
    expect(table[0]).toMatch(/^SLICE\s+STATE\s+SERVICE/);
    expect(table[1]).toMatch(/^agv-1\s+active\s+URLLC.*cloud\s+no\s+2\.0s ago$/);
    expect(table[2]).toMatch(/^sensor-net-12\s+planning/);
    expect(table[1]?.indexOf('active')).toBe(table[2]?.indexOf('planning'));
    expect(formatSliceTable([], 0)).toBe('(no slices)');

    const detail = formatSliceDetail(record);
    expect(detail).toContain('history');
    expect(detail).toMatch(/\+0\.25s\s+active\s+served at cloud/);
  });
});
