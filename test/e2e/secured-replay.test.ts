/**
 * A replay through the secured embedded mesh (what `npm start` runs) leaves
 * no secret behind: no nkey seed and no API key in its logs (every role at
 * debug level), its progress lines, its trace file, its audit trail, the
 * mesh file or the nats-server log. The credentials it generated stay in
 * their 0600 seed files, and the server refused nothing the mesh needed.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { meshIdentities } from '../../shared/contracts/index.js';
import { createLogger } from '../../shared/runtime/logger.js';
import { embeddedSecurityDir, seedFilePath } from '../../shared/runtime/security/index.js';
import { loadScenarioFile } from '../../shared/scenario/index.js';
import { replayThroughMesh, useE2eServices } from './mesh.js';

const API_KEY = `sk-slicemesh-e2e-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
const services = useE2eServices(
  { OPENAI_API_KEY: API_KEY, SLICEMESH_LOG_LEVEL: 'debug' },
  { nats: 'embedded' },
);

/** Any nkey seed (user, account, operator…), whoever it belongs to. */
const ANY_SEED = /\bS[UAONCX][A-Z2-7]{56}\b/;

/** Every file under `dir`, recursively (symlinks not followed: the shared embedding cache). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) return [];
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

describe('a replay through the secured embedded mesh', () => {
  it('writes no seed and no API key into its logs, traces or other files', async () => {
    const s = services();
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', sink: { write: (line) => lines.push(line) } });
    const scenario = await loadScenarioFile('scenarios/paper/case-study-4.yaml');
    const namespace = `secured-${process.pid}`;
    const run = await replayThroughMesh(s, {
      scenario,
      method: 'first-fit',
      namespace,
      logger,
      progress: (line) => lines.push(line),
      keepStreams: true,
    });
    expect(run.result.slices.map((slice) => slice.finalState)).toEqual(
      Array(4).fill('active'),
    );

    // Every role ran as itself, with a seed of its own in a file only its owner may read.
    const dir = embeddedSecurityDir(s.config.mesh.dataDir, namespace);
    const seeds = meshIdentities(['default']).map((identity) => {
      const file = seedFilePath(dir, identity);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      return readFileSync(file, 'utf8').trim();
    });
    expect(seeds.every((seed) => ANY_SEED.test(seed))).toBe(true);

    const scanned: { what: string; text: string }[] = [
      { what: 'logs and progress', text: lines.join('\n') },
      ...[run.traceFile!, ...filesUnder(s.workDir)]
        .filter((file) => !file.startsWith(dir) && !file.endsWith('.sqlite3'))
        .map((file) => ({ what: file, text: readFileSync(file, 'latin1') })),
    ];
    // The scan would see a leak: the logs are there and at debug level.
    expect(lines.length).toBeGreaterThan(50);
    expect(scanned.some(({ what }) => what === run.traceFile)).toBe(true);
    for (const { what, text } of scanned) {
      expect(text.includes(API_KEY), `API key in ${what}`).toBe(false);
      for (const seed of seeds) expect(text.includes(seed), `a seed in ${what}`).toBe(false);
      expect(ANY_SEED.test(text), `something like a seed in ${what}`).toBe(false);
    }

    // The server refused nothing the mesh needed.
    const serverLog = join(s.config.mesh.dataDir, 'logs', 'nats-server.log');
    expect(readFileSync(serverLog, 'utf8')).not.toMatch(/Violation/);
  });
});
