import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function train(...args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'slicemesh-train-cli-'));
  dirs.push(dir);
  const cache = join(dir, 'preferences.json');
  const run = spawnSync(
    process.execPath,
    [
      'bin/slicemesh.js',
      'train',
      '--method',
      'qappo',
      '--preferences',
      cache,
      '--out',
      join(dir, 'run'),
      ...args,
    ],
    { encoding: 'utf8', env: { ...process.env, SLICEMESH_MODEL_DIR: dir }, timeout: 60_000 },
  );
  return { ...run, cacheBuilt: existsSync(cache) };
}

describe('slicemesh train: flags', () => {
  it.each([
    [['--lr', '5'], '--lr must be in (0, 1)'],
    [['--steps', 'many'], '--steps must be a positive integer'],
  ])('refuses %j before building the preference cache', (args, message) => {
    const run = train(...args);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`slicemesh: config: ${message}`);
    expect(run.stderr).not.toContain('building the preference cache');
    expect(run.cacheBuilt).toBe(false);
  });
});
