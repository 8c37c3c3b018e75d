/**
 * Writes the lifecycle replay fixtures (test/fixtures/lifecycle-snapshots/)
 * with the machine as it is now: one persisted snapshot per stable leaf
 * state, what each defined next step does after restoring it, and the
 * machine's structure. Run it only when a behaviour change is intended, and
 * say so in the commit: test/unit/lifecycle-replay.test.ts holds every later
 * machine to these files.
 *
 *   npx tsx scripts/record-lifecycle-snapshots.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { LEAF_SCENARIOS, machineStructure, recordLeaf } from '../test/helpers/lifecycle-replay.js';

const dir = join(import.meta.dirname, '..', 'test', 'fixtures', 'lifecycle-snapshots');
mkdirSync(dir, { recursive: true });
// Formatted as the repository's prettier check expects.
const write = async (name: string, value: unknown) => {
  const file = join(dir, name);
  const options = { ...(await resolveConfig(file)), parser: 'json' };
  writeFileSync(file, await format(JSON.stringify(value), options));
};

for (const leaf of Object.keys(LEAF_SCENARIOS)) {
  const fixture = await recordLeaf(leaf);
  if (fixture.snapshot.value === undefined) throw new Error(`${leaf}: no snapshot`);
  await write(`${leaf}.json`, fixture);
  console.log(`${leaf}: ${Object.keys(fixture.next).join(', ')}`);
}
await write('structure.json', machineStructure());
