/**
 * Writes a large scenario for scale runs: `--requests` slice requests, one
 * every `--gap`, of which the first of every `requests / staying` stays active
 * to the end and the others leave after `--lifetime`. Every request states its
 * SLA (the scale of the mesh is measured, not the interpreter's reading) and a
 * demand of 1 CPU and 1 memory unit. The texts cycle through a few plain
 * requests of each service type.
 *
 *   npx tsx scripts/generate-scale-scenario.ts --requests 10000 --staying 1000 --out /tmp/scale-10k.yaml
 *   node bin/slicemesh.js replay /tmp/scale-10k.yaml --method first-fit --json /tmp/scale.json
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { SliceMeshError } from '../shared/contracts/index.js';
import { formatDuration, parseDuration } from '../shared/scenario/index.js';

const REQUESTS = [
  {
    text: 'Condition monitoring for the vibration sensors on conveyor line 3',
    sla: { latency: 'best-effort', reliability: 'best-effort', cost: 'cost-sensitive' },
  },
  {
    text: 'Video inspection stream from the quality camera at station 7',
    sla: { latency: 'medium', reliability: 'medium', cost: 'general' },
  },
  {
    text: 'Telemetry from the energy meters in hall B, read every few minutes',
    sla: { latency: 'best-effort', reliability: 'medium', cost: 'cost-sensitive' },
  },
  {
    text: 'Remote maintenance session with AR glasses for the packaging machine',
    sla: { latency: 'medium', reliability: 'best-effort', cost: 'general' },
  },
] as const;

export interface ScaleScenarioOptions {
  readonly requests: number;
  readonly staying: number;
  readonly gapMs: number;
  readonly lifetimeMs: number;
  readonly seed: number;
}

/** The scenario as a plain object (what the YAML holds). */
export function scaleScenario(o: ScaleScenarioOptions): Record<string, unknown> {
  if (!(o.staying >= 0 && o.staying <= o.requests && o.requests > 0)) {
    throw new SliceMeshError('scenario', 'need 0 ≤ staying ≤ requests and requests > 0');
  }
  const every = o.staying === 0 ? Number.POSITIVE_INFINITY : o.requests / o.staying;
  let stayed = 0;
  const events = Array.from({ length: o.requests }, (_, i) => {
    const stays = stayed < o.staying && i >= stayed * every;
    if (stays) stayed += 1;
    const template = REQUESTS[i % REQUESTS.length] as (typeof REQUESTS)[number];
    return {
      at: formatDuration(i * o.gapMs),
      request: {
        id: `${stays ? 'stay' : 'pass'}-${String(i).padStart(5, '0')}`,
        text: template.text,
        sla: template.sla,
        demand: { cpu: 1, mem: 1 },
        ...(stays ? {} : { lifetime: formatDuration(o.lifetimeMs) }),
      },
    };
  });
  return {
    name: `scale-${o.requests}`,
    description: `${o.requests} requests, ${o.staying} staying active, the rest leaving after ${formatDuration(o.lifetimeMs)}`,
    seed: o.seed,
    speed: 1,
    adaptation: 'off',
    events,
  };
}

/** The scenario as YAML text (scenario files refuse aliases of collections: every SLA is written out). */
export function scaleScenarioYaml(o: ScaleScenarioOptions): string {
  return stringify(scaleScenario(o), { aliasDuplicateObjects: false });
}

function durationMs(text: string, what: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new SliceMeshError('scenario', `--${what}: ${parsed.message}`);
  return parsed.ms;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '10000' },
      staying: { type: 'string', default: '1000' },
      gap: { type: 'string', default: '20ms' },
      lifetime: { type: 'string', default: '2s' },
      seed: { type: 'string', default: '7' },
      out: { type: 'string' },
    },
  });
  const yaml = scaleScenarioYaml({
    requests: Number(values.requests),
    staying: Number(values.staying),
    gapMs: durationMs(values.gap, 'gap'),
    lifetimeMs: durationMs(values.lifetime, 'lifetime'),
    seed: Number(values.seed),
  });
  if (values.out) writeFileSync(values.out, yaml);
  else process.stdout.write(yaml);
}
