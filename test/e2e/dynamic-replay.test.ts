/**
 * The dynamic scenario through the whole live mesh: a traffic surge on a
 * slice that shares a cloud container congests it, the telemetry agent
 * reports the violation, the slice-manager adapts the slice away and its KPIs
 * are back within its SLA under the same load; a termination frees the local
 * capacity a later request needs (without it, that request is rejected).
 */
import { describe, expect, it } from 'vitest';
import type { ReplayRun } from '../../cli/replay/runner.js';
import { subscribeKpis } from '../../shared/clients/kpis.js';
import type { KpiSample, SliceProfile } from '../../shared/contracts/index.js';
import { DEFAULT_MODEL_CONFIG } from '../../shared/model/index.js';
import { loadScenarioFile, type Scenario } from '../../shared/scenario/index.js';
import { replayThroughMesh, useE2eServices } from './mesh.js';

const services = useE2eServices();

/** Replays `scenario` and records every KPI sample of the run as the mesh published it. */
async function replayWithKpis(scenario: Scenario): Promise<{ run: ReplayRun; kpis: KpiSample[] }> {
  const namespace = `e2e-dynamic-${Math.floor(Math.random() * 1e9)}`;
  const bus = await services().nats.connectBus({ namespace });
  const kpis: KpiSample[] = [];
  subscribeKpis(bus, (s) => void kpis.push(s));
  await bus.flush();
  const run = await replayThroughMesh(services(), { scenario, namespace });
  return { run, kpis };
}

function limitsOf(profile: SliceProfile) {
  return {
    latencyMs: DEFAULT_MODEL_CONFIG.latencyLimitMs[profile.latency],
    sharing: DEFAULT_MODEL_CONFIG.sharingLimit[profile.reliability],
    cost: DEFAULT_MODEL_CONFIG.costLimit[profile.cost],
  };
}

function withinLimits(sample: KpiSample, profile: SliceProfile): boolean {
  const limits = limitsOf(profile);
  return (
    sample.latencyMs <= limits.latencyMs &&
    (sample.sharing ?? 1) <= limits.sharing &&
    sample.cost <= limits.cost
  );
}

describe('dynamic-line through the live mesh', () => {
  it('a surge on a shared container breaks the SLA, the adaptation restores it, a termination makes room', async () => {
    const scenario = await loadScenarioFile('scenarios/dynamic-line.yaml');
    const surge = scenario.events.find((e) => e.kind === 'surge');
    expect(surge?.kind === 'surge' && surge.factor).toBe(1.5);
    const { run, kpis } = await replayWithKpis(scenario);
    const slices = new Map(run.result.slices.map((s) => [s.id, s]));

    // Before the surge, agv-docking shares conveyor-io's cloud container.
    const docking = slices.get('agv-docking');
    const conveyor = slices.get('conveyor-io');
    expect(conveyor?.placement?.site).toBe('cloud');
    const shared = conveyor?.placement?.containerId;
    const beforeSurge = kpis.filter((k) => k.sliceId === 'agv-docking' && k.load === 1);
    expect(beforeSurge.length).toBeGreaterThan(0);
    expect(beforeSurge[0]?.sharing).toBe(2);

    // The surge: a latency violation, then active → adapting → active.
    expect(run.violations.map((v) => [v.sliceId, v.dimension])).toEqual([
      ['agv-docking', 'latency'],
    ]);
    const states = docking?.history.map((h) => h.state) ?? [];
    const adapting = states.indexOf('adapting');
    expect(states.slice(adapting - 1, adapting + 2)).toEqual(['active', 'adapting', 'active']);
    expect(docking?.history[adapting]?.note).toMatch(/^latency \d+(\.\d+)? exceeds limit 30$/);
    // The infrastructure stamps both the re-placement and its samples: split the samples there.
    const movedAt = docking?.placement?.appliedAt ?? Infinity;
    expect(movedAt).toBeGreaterThan(docking?.history[adapting]?.at ?? Infinity);

    // Congested while it shared the container under the surge…
    const profile = docking?.profile as SliceProfile;
    const surged = kpis.filter((k) => k.sliceId === 'agv-docking' && k.load === 1.5);
    const congested = surged.filter((k) => k.at < movedAt);
    expect(congested.length).toBeGreaterThanOrEqual(2);
    for (const k of congested) expect(withinLimits(k, profile)).toBe(false);
    // …and within its SLA, under the same load, once moved off it.
    const relieved = surged.filter((k) => k.at >= movedAt);
    expect(relieved.length).toBeGreaterThanOrEqual(2);
    for (const k of relieved) expect(withinLimits(k, profile), JSON.stringify(k)).toBe(true);
    expect(docking?.placement?.containerId).not.toBe(shared);
    expect(docking?.finalState).toBe('active');
    expect(docking?.served).toBe(true);

    // The neighbour felt the congestion but stayed within its own (looser) SLA, and was not moved.
    expect(conveyor?.history.map((h) => h.state)).not.toContain('adapting');

    // Every slice still running ends within its SLA.
    for (const slice of run.result.slices) {
      if (slice.finalState !== 'active') continue;
      const last = run.kpis.get(slice.id);
      expect(last, slice.id).toBeDefined();
      expect(withinLimits(last as KpiSample, slice.profile as SliceProfile), slice.id).toBe(true);
    }

    // The termination released the AR session before the cobot request, which fits on the local server.
    expect(slices.get('ar-maintenance')?.finalState).toBe('released');
    const cobot = slices.get('cobot-safety');
    expect(cobot?.finalState).toBe('active');
    expect(cobot?.served).toBe(true);
    expect(cobot?.placement?.site).toBe('local');
    expect(run.result.summary).toMatchObject({ requests: 10, served: 10, availability: 1 });
  });

  it('without the termination (and the surge) the same cobot request does not fit', async () => {
    const full = await loadScenarioFile('scenarios/dynamic-line.yaml');
    const scenario: Scenario = {
      ...full,
      events: full.events.filter((e) => e.kind === 'request'),
    };
    const { run } = await replayWithKpis(scenario);
    const cobot = run.result.slices.find((s) => s.id === 'cobot-safety');
    expect(cobot?.finalState).toBe('rejected');
    expect(cobot?.served).toBe(false);
  });
});
