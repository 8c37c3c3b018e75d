/**
 * The paper's case study from the request text alone, through the whole live
 * mesh: `scenarios/paper-text/case-study-20.yaml` carries each request's
 * classes only as `truth`, so the interpreter has to read them from the text.
 * The replay must give what `slicemesh eval --intent text` gives for the same
 * seed, slice by slice — the same interpretation, the same placement, the
 * same verdict against the truth.
 *
 * The memory-curator does not run here: the model evaluation interprets every
 * request against the knowledge base alone, while a live memory bank feeds
 * earlier slices' outcomes into later interpretations (their vectors move by
 * a few hundredths, enough to tip a learned placement). With the memory off,
 * mesh and model must agree exactly; what memory changes is the memory
 * tests' business.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { registerLearnedPolicies } from '../../agents/orchestrator/index.js';
import { textProfiles } from '../../cli/commands/eval.js';
import type { SliceResult } from '../../shared/model/index.js';
import { evaluate } from '../../shared/model/report/index.js';
import { loadScenarioFile } from '../../shared/scenario/index.js';
import { roleNames } from '../../cli/roles.js';
import { replayThroughMesh, useE2eServices } from './mesh.js';

const MODEL_DIR = fileURLToPath(new URL('../../models', import.meta.url));
// Through a secured embedded nats-server per replay, every role as itself (as `npm start`).
const services = useE2eServices({ SLICEMESH_MODEL_DIR: MODEL_DIR }, { nats: 'embedded' });

const PAPER_SEED = 1_000_000;
const REQUESTS = 20;
const FILE = `scenarios/paper-text/case-study-${REQUESTS}.yaml`;

/** The model's text-mode episode for the scenario's instance. */
async function evaluateText(method: string): Promise<SliceResult[]> {
  process.env.SLICEMESH_MODEL_DIR = MODEL_DIR;
  const text = await textProfiles(1);
  registerLearnedPolicies({ modelDir: MODEL_DIR, intents: text.intents });
  let slices: SliceResult[] = [];
  await evaluate({
    methods: [method],
    requestCounts: [REQUESTS],
    seeds: [PAPER_SEED],
    intent: 'text',
    inferProfile: text.inferProfile,
    onEpisode: (episode) => (slices = episode.slices),
  });
  return slices;
}

describe('paper case study from the text alone through the live mesh', () => {
  it.each(['first-fit', 'qappo'])(
    'replay = eval --intent text with %s at 20 requests, slice by slice',
    async (method) => {
      const scenario = await loadScenarioFile(FILE);
      // The mesh is told nothing but the text.
      const requests = scenario.events.filter((e) => e.kind === 'request');
      expect(requests).toHaveLength(REQUESTS);
      for (const request of requests) {
        expect(request.sla).toBeUndefined();
        expect(request.truth).toBeDefined();
      }
      const [run, expected] = await Promise.all([
        replayThroughMesh(services(), {
          scenario,
          method,
          roles: roleNames().filter((role) => role !== 'memory-curator'),
        }),
        evaluateText(method),
      ]);
      const { result } = run;
      expect(result.summary.judgedAgainst).toBe('truth');
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
      const served = expected.filter((s) => s.served).length;
      expect(result.summary.availability).toBe(served / REQUESTS);
    },
  );
});
