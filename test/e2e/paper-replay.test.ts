/**
 * The paper's case study through the whole live mesh: every registered role
 * on a real nats-server and a real Chroma, the scenario replayed at max
 * speed. A replay must give what `evaluate()` of the case-study model gives
 * for the same method and seed, slice by slice, at every request count of
 * Fig. 5 (the mesh adds no error of its own), and each slice request must be
 * one trace across every agent that handled it.
 */
import { fileURLToPath } from 'node:url';
import { ChromaClient } from 'chromadb';
import { describe, expect, it } from 'vitest';
import { registerLearnedPolicies } from '../../agents/orchestrator/index.js';
import type { ReplayRun } from '../../cli/replay/runner.js';
import type { SliceResult } from '../../shared/model/index.js';
import '../../shared/model/index.js';
import { evaluate } from '../../shared/model/report/index.js';
import { loadScenarioFile } from '../../shared/scenario/index.js';
import { roleNames } from '../../cli/roles.js';
import { readTraceFile, replayThroughMesh, useE2eServices } from './mesh.js';

// The shipped checkpoints, so the learned methods are compared too.
const MODEL_DIR = fileURLToPath(new URL('../../models', import.meta.url));
// Through a secured embedded nats-server per replay, every role as itself (as `npm start`).
const services = useE2eServices({ SLICEMESH_MODEL_DIR: MODEL_DIR }, { nats: 'embedded' });
registerLearnedPolicies({ modelDir: MODEL_DIR });

const PAPER_SEED = 1_000_000;
const paperFile = (requests: number) => `scenarios/paper/case-study-${requests}.yaml`;

/**
 * One replay per (method, requests, memory), shared by the tests that look at it.
 *
 * The comparisons with `evaluate()` run without the memory-curator: the model
 * evaluation interprets every request against the knowledge base alone, while
 * a live memory bank feeds earlier slices' outcomes into later interpretations,
 * and how many of them are stored before the next request is read depends on
 * timing. A learned method that weighs the preference vector can then place a
 * later slice differently from run to run. The trace test keeps every role.
 */
const replays = new Map<string, Promise<ReplayRun>>();
function replayPaper(method: string, requests: number, memory = false): Promise<ReplayRun> {
  const key = `${method}/${requests}/${memory ? 'memory' : 'no-memory'}`;
  let run = replays.get(key);
  if (!run) {
    run = loadScenarioFile(paperFile(requests)).then((scenario) =>
      replayThroughMesh(services(), {
        scenario,
        method,
        ...(memory ? {} : { roles: roleNames().filter((role) => role !== 'memory-curator') }),
      }),
    );
    replays.set(key, run);
  }
  return run;
}

/** The model's own episode for the same instance and method. */
async function evaluatePaper(method: string, requests: number): Promise<SliceResult[]> {
  let slices: SliceResult[] = [];
  await evaluate({
    methods: [method],
    requestCounts: [requests],
    seeds: [PAPER_SEED],
    onEpisode: (episode) => (slices = episode.slices),
  });
  return slices;
}

/** Services whose spans every slice's trace must contain: the replay's intake and every role on the path. */
const ROLES_ON_THE_PATH = [
  'slicemesh-replay',
  'slicemesh-slice-manager',
  'slicemesh-interpreter',
  'slicemesh-orchestrator',
  'slicemesh-infrastructure',
  'slicemesh-memory-curator',
];

describe('paper case study through the live mesh', () => {
  it('case-study-4: every slice settles, the summary adds up, one trace per slice across every role', async () => {
    const run = await replayPaper('first-fit', 4, true);
    const { result } = run;
    const expected = await evaluatePaper('first-fit', 4);

    expect(result.slices.map((s) => s.id)).toEqual(expected.map((s) => s.id));
    // Placed slices stay active (nothing terminates them); refused ones end rejected.
    expect(result.slices.map((s) => s.finalState)).toEqual(
      expected.map((s) => (s.placed ? 'active' : 'rejected')),
    );
    for (const slice of result.slices) {
      expect(slice.history.map((h) => h.state).slice(0, 3)).toEqual([
        'requested',
        'interpreting',
        'planning',
      ]);
    }
    const served = result.slices.filter((s) => s.served).length;
    // Every request states all its classes: that sla is the truth, and the profile the mesh used.
    expect(result.summary).toMatchObject({
      requests: 4,
      served,
      availability: served / 4,
      servedAsInferred: served,
      availabilityAsInferred: served / 4,
      judgedAgainst: 'truth',
      profileAccuracy: 1,
    });
    expect(served).toBe(expected.filter((s) => s.served).length);

    expect(run.traceFile).toBeDefined();
    const spans = readTraceFile(run.traceFile as string);
    const traceIds = new Set<string>();
    for (const slice of result.slices) {
      // Every span that names this slice is in one trace: the one its record reports.
      const own = new Set(
        spans.filter((s) => s.attributes['slicemesh.slice.id'] === slice.id).map((s) => s.traceId),
      );
      expect([...own], slice.id).toEqual([slice.traceId]);
      const trace = spans.filter((s) => s.traceId === slice.traceId);
      // No other slice's work leaked into it.
      const named = new Set(trace.map((s) => s.attributes['slicemesh.slice.id']).filter(Boolean));
      expect([...named], slice.id).toEqual([slice.id]);
      const services = new Set(trace.map((s) => s.service));
      for (const role of ROLES_ON_THE_PATH)
        expect(services, `${slice.id}: ${role}`).toContain(role);
      // The replay's publish of the request is the trace's root.
      const roots = trace.filter((s) => s.parentSpanId === undefined);
      expect(roots.map((s) => s.service)).toEqual(['slicemesh-replay']);
      expect(trace.map((s) => s.name)).toEqual(
        expect.arrayContaining([
          'slice.lifecycle',
          'interpreter.infer',
          'orchestrator.place',
          'infrastructure.apply',
          'memory.curate',
        ]),
      );
      traceIds.add(slice.traceId as string);
    }
    expect(traceIds.size).toBe(4);

    // The run cleaned up after itself: none of its Chroma collections is left.
    const url = new URL(services().chroma.url);
    const chroma = new ChromaClient({ host: url.hostname, port: Number(url.port), ssl: false });
    const left = (await chroma.listCollections()).map((c) => c.name);
    expect(left.filter((name) => name.startsWith(run.namespace))).toEqual([]);
  });

  describe.each(['first-fit', 'local-first', 'random', 'qappo', 'ppo'])(
    'replay = eval with %s',
    (method) => {
      it.each([4, 8, 12, 16, 20])(
        '%i requests: same served flags, figures and availability',
        async (requests) => {
          const [run, expected] = await Promise.all([
            replayPaper(method, requests),
            evaluatePaper(method, requests),
          ]);
          const { result } = run;
          expect(result.method).toBe(method);
          expect(
            result.slices.map((s) => ({
              id: s.id,
              placed: s.finalState === 'active',
              served: s.served,
              latencyMs: s.latencyMs,
              cost: s.cost,
              reliabilityCost: s.reliabilityCost,
            })),
          ).toEqual(
            expected.map((s) => ({
              id: s.id,
              placed: s.placed,
              served: s.served,
              latencyMs: s.placed ? s.latencyMs : null,
              cost: s.placed ? s.cost : null,
              reliabilityCost: s.placed ? s.reliabilityCost : null,
            })),
          );
          const placed = expected.filter((s) => s.placed);
          const mean = (pick: (s: SliceResult) => number) =>
            placed.reduce((sum, s) => sum + pick(s), 0) / placed.length;
          expect(result.summary.availability).toBe(
            expected.filter((s) => s.served).length / requests,
          );
          expect(result.summary.avgLatencyMs).toBeCloseTo(
            mean((s) => s.latencyMs),
            9,
          );
          expect(result.summary.avgCost).toBeCloseTo(
            mean((s) => s.cost),
            9,
          );
          expect(result.summary.avgReliabilityCost).toBeCloseTo(
            mean((s) => s.reliabilityCost),
            9,
          );
        },
      );
    },
  );
});
