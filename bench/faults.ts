/**
 * `npm run faults`: a fault-injection run of the whole mesh, one role per
 * process, that anyone can repeat with the same seed. Prints one JSON report;
 * exits 1 when any accepted request was lost, duplicated, stuck or failed.
 */
import { parseArgs } from 'node:util';
import { ALL_ROLES, runFaults, type FaultSpec } from './faults/run.js';

const HELP = `usage: npm run faults -- [options]

Starts nats-server (generated credentials, as \`slicemesh up\`) and Chroma, runs every
role as \`slicemesh agent <role>\` in its own process, streams seeded slice requests
with lifetimes and injects, one after another: kill -9 + restart of each role, a
nats-server restart, a Chroma outage, malformed messages on each intake subject, a soak.

options:
  --quick               short run: 30 s soak (1 kill per role either way)
  --soak-minutes <n>    soak length (default 10)
  --kills <n>           kill -9 rounds over every role (default 1)
  --rate <n>            requests per second (default 2)
  --seed <n>            seed of texts, lifetimes and down times (default 1)
  --chroma-down-s <n>   length of the Chroma outage (default 12)
  --flood <n>           malformed messages per intake subject (default 1000)
  --method <name>       orchestrator method (default first-fit)
  --verbose             progress on stderr
  -h, --help            this text`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'soak-minutes': { type: 'string' },
    kills: { type: 'string', default: '1' },
    rate: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    'chroma-down-s': { type: 'string', default: '12' },
    flood: { type: 'string', default: '1000' },
    method: { type: 'string', default: 'first-fit' },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`--${flag} must be a positive number, got ${value}\n`);
    process.exit(2);
  }
  return n;
}

const soakMs = values.quick
  ? 30_000
  : positive('soak-minutes', values['soak-minutes'] ?? '10') * 60_000;
const kills = Math.round(positive('kills', values.kills));
const faults: FaultSpec[] = [];
for (let round = 0; round < kills; round++)
  for (const role of ALL_ROLES) faults.push({ kind: 'kill', role });
faults.push({ kind: 'nats-restart' });
faults.push({
  kind: 'chroma-outage',
  downMs: positive('chroma-down-s', values['chroma-down-s']) * 1000,
});
faults.push({ kind: 'flood', perSubject: Math.round(positive('flood', values.flood)) });
faults.push({ kind: 'soak', ms: soakMs });

const report = await runFaults({
  seed: Math.round(positive('seed', values.seed)),
  roles: ALL_ROLES,
  faults,
  rate: positive('rate', values.rate),
  lifetimeMs: [5_000, 15_000],
  recoveryMs: 3_000,
  settleTimeoutMs: 90_000,
  env: { SLICEMESH_ORCHESTRATOR_METHOD: values.method },
  ...(values.verbose ? { log: (line: string) => process.stderr.write(`${line}\n`) } : {}),
});
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.exit(report.ok ? 0 : 1);
