/**
 * Scale benchmark (prints one JSON object): a large generated scenario
 * replayed through the embedded mesh, every role in this process — by
 * default 10,000 requests, one every 20 ms, of which 1,000 stay active to the
 * end while the others leave after 2 s (scripts/generate-scale-scenario.ts).
 *
 * What it reports: the final state of every slice (the target: none
 * `failed`); the time from a request's scheduled send to its `active` event,
 * median over the first and over the last 10 % of the requests, and their
 * ratio (target ≤ 1.5: a request costs the same when the plant is full); the
 * wall time; and the resident memory of this process (every role) at the
 * end and at its peak.
 *
 *   npm run bench:scale [-- --requests 10000 --staying 1000 --gap 20ms --lifetime 2s --method first-fit]
 */
import { parseArgs } from 'node:util';
import { percentile } from './stats.js';
import { roles } from '../cli/roles.js';
import { localMesh } from '../cli/replay/local-mesh.js';
import { runReplay } from '../cli/replay/runner.js';
import { loadConfig } from '../shared/runtime/config.js';
import { createLogger } from '../shared/runtime/logger.js';
import { parseDuration, parseScenario } from '../shared/scenario/index.js';
import { scaleScenarioYaml } from '../scripts/generate-scale-scenario.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    staying: { type: 'string', default: '1000' },
    gap: { type: 'string', default: '20ms' },
    lifetime: { type: 'string', default: '2s' },
    method: { type: 'string', default: 'first-fit' },
  },
});
const ms = (text: string) => {
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.ms;
};
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const progress = (line: string) => process.stderr.write(`bench:scale ${line}\n`);

const options = {
  requests: Number(values.requests),
  staying: Number(values.staying),
  gapMs: ms(values.gap),
  lifetimeMs: ms(values.lifetime),
  seed: 7,
};
const scenario = parseScenario(scaleScenarioYaml(options), { source: 'generated scale scenario' });
const config = loadConfig();
const logger = createLogger({ level: 'warn', fields: { bench: 'scale' } });
let lastProgress = 0;
const started = Date.now();
const run = await runReplay({
  scenario,
  method: values.method,
  settleTimeoutMs: 120_000,
  startMesh: (run) => localMesh({ config, registry: roles, logger, graceMs: 60_000 })(run),
  progress: (line) => {
    // Only the mesh's own lines and one line of progress every ten seconds.
    if (!/^\[/.test(line) || Date.now() - lastProgress > 10_000) {
      lastProgress = Date.now();
      progress(line);
    }
  },
});
const rssMb = round(process.memoryUsage().rss / 2 ** 20);
const states: Record<string, number> = {};
for (const slice of run.result.slices)
  states[slice.finalState] = (states[slice.finalState] ?? 0) + 1;

// Request → active from the scheduled send (so waiting in the intake counts too).
const dueAt = new Map(
  scenario.events.flatMap((event) =>
    event.kind === 'request' ? [[event.sliceId, run.startedAt + event.atMs] as const] : [],
  ),
);
const toActive = run.result.slices.map((slice) => {
  const active = slice.history.find((h) => h.state === 'active');
  const due = dueAt.get(slice.id);
  return active && due !== undefined ? active.at - due : undefined;
});
const tenth = Math.max(1, Math.floor(toActive.length / 10));
const median = (list: (number | undefined)[]) =>
  round(
    percentile(
      list.filter((x): x is number => x !== undefined),
      50,
    ),
  );
// Why slices failed: the note of their `failed` transition, ids and figures left out.
const failureNotes: Record<string, number> = {};
for (const slice of run.result.slices) {
  if (slice.finalState !== 'failed') continue;
  const note = slice.history.findLast((h) => h.state === 'failed')?.note ?? '(no note)';
  const kind = note.replace(/[0-9a-f]{6,}|\d+/g, 'N').slice(0, 120);
  failureNotes[kind] = (failureNotes[kind] ?? 0) + 1;
}
const firstTenth = median(toActive.slice(0, tenth));
const lastTenth = median(toActive.slice(-tenth));
process.stdout.write(
  `${JSON.stringify(
    {
      bench: 'scale',
      method: values.method,
      scenario: options,
      seconds: round((Date.now() - started) / 1000),
      finalStates: states,
      failed: states.failed ?? 0,
      failedBecause: Object.fromEntries(
        Object.entries(failureNotes)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 8),
      ),
      requestToActiveMs: {
        firstTenthP50: firstTenth,
        lastTenthP50: lastTenth,
        ratio: firstTenth > 0 ? round(lastTenth / firstTenth, 2) : null,
        allP99: round(
          percentile(
            toActive.filter((x): x is number => x !== undefined),
            99,
          ),
        ),
      },
      rssMb: { end: rssMb, peak: round(process.resourceUsage().maxRSS / 1024) },
      goals: { failed: 0, ratio: 1.5 },
    },
    null,
    2,
  )}\n`,
);
