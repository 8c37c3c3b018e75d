import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { INTENT_CACHE_FILE, IntentCache } from '../../agents/orchestrator/index.js';
import { evaluationSeeds, generateInstance } from '../../shared/model/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function modelDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slicemesh-eval-cli-'));
  dirs.push(dir);
  return dir;
}

function evalCli(dir: string, ...args: string[]) {
  return spawnSync(process.execPath, ['bin/slicemesh.js', 'eval', ...args], {
    encoding: 'utf8',
    env: { ...process.env, SLICEMESH_MODEL_DIR: dir },
    timeout: 60_000,
  });
}

describe('slicemesh eval --intent text', () => {
  it('runs on the inferred profiles, says so in the table and the JSON', async () => {
    const dir = modelDir();
    const cache = new IntentCache('test', 'test');
    for (const seed of evaluationSeeds(2)) {
      for (const r of generateInstance(seed, 4).requests) {
        cache.set(r.description, {
          preference: { latency: 0.25, reliability: 0.25, economics: 0.25, throughput: 0.25 },
          profile: { ...r.profile, latency: 'best-effort' },
        });
      }
    }
    await cache.save(join(dir, INTENT_CACHE_FILE));
    const json = join(dir, 'out.json');
    const run = evalCli(
      dir,
      ...['--methods', 'first-fit,oracle', '--requests', '4', '--seeds', '2'],
      ...['--intent', 'text', '--json', json],
    );
    expect(run.stderr).not.toContain('slicemesh:');
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(/^intent: text/);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { intent: string; results: unknown[] };
    expect(report.intent).toBe('text');
    expect(report.results).toHaveLength(2);
  });

  it('names the command that builds the cache when a request is not in it', () => {
    const run = evalCli(modelDir(), '--methods', 'first-fit', '--seeds', '3', '--intent', 'text');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('slicemesh: config: --intent text:');
    expect(run.stderr).toContain(
      'slicemesh train --method qappo --preferences-only --eval-seeds 3',
    );
  });
});
