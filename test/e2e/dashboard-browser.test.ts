/**
 * The dashboard in a real browser (Debian's chromium through playwright-core)
 * against a real mesh: `slicemesh up` with every role, the api on a free port
 * (SLICEMESH_HTTP_PORT=0), its own NATS with generated credentials and the
 * file's Chroma. The page opens with the token the mesh generated, a request
 * made with `slicemesh request` appears in the table while the page stays
 * open (pushed by the event stream), and a click opens its timeline; a
 * finished replay's report is drawn as charts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../cli/replay/report.js';
import { sliceResult } from '../../cli/replay/result.js';
import { summarise } from '../../cli/replay/summary.js';
import { readMeshFile } from '../../shared/runtime/embedded/index.js';
import { waitFor } from '../helpers/wait.js';
import { useE2eServices } from './mesh.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The shipped checkpoints: the mesh places with qappo, as `slicemesh up` does by default. */
const MODEL_DIR = fileURLToPath(new URL('../../models', import.meta.url));
const services = useE2eServices(
  { SLICEMESH_HTTP_PORT: '0', SLICEMESH_MODEL_DIR: MODEL_DIR },
  { nats: 'embedded' },
);

/** Runs the CLI with the mesh's environment; resolves with its exit code and output. */
function cli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [`${root}bin/slicemesh.js`, ...args], {
    cwd: root,
    env: { ...process.env, ...env, NATS_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('the dashboard in a browser', () => {
  let up: ReturnType<typeof cli> | undefined;
  let browser: Browser | undefined;
  let apiUrl: string;
  let token: string;

  beforeAll(async () => {
    const { env, config } = services();
    up = cli(['up'], env);
    const mesh = await waitFor(
      () => {
        const file = readMeshFile(config.mesh.dataDir);
        return file?.apiUrl ? file : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250, what: 'mesh.json with the api URL' },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; slicemesh up said:\n${up?.output() ?? ''}`);
    });
    apiUrl = mesh.apiUrl as string;
    token = readFileSync(mesh.apiTokenFile as string, 'utf8').trim();
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      headless: true,
    });
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    const process: ChildProcess | undefined = up?.child;
    if (process && process.exitCode === null) {
      process.kill('SIGINT');
      await up?.exited;
    }
  }, 60_000);

  it('shows a request made with the CLI as it happens, and its timeline on a click', async () => {
    const page = await browser!.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    // Every request the page makes goes to the api itself: no CDN.
    const origins = new Set<string>();
    page.on('request', (request) => origins.add(new URL(request.url()).origin));

    // The data is the api's token's: without it, 401.
    expect((await fetch(`${apiUrl}/dashboard/api/slices`)).status).toBe(401);
    expect((await fetch(`${apiUrl}/dashboard/api/events`)).status).toBe(401);

    await page.goto(`${apiUrl}/#token=${token}`);
    await page
      .getByTestId('live')
      .filter({ hasText: /^live$/ })
      .waitFor({ timeout: 20_000 })
      .catch((error: unknown) => {
        throw new Error(`${String(error)}\npage problems: ${problems.join('\n')}`);
      });
    // The token left the address bar and stays for the tab.
    expect(new URL(page.url()).hash).toBe('');
    await expect(page.locator('tr[data-slice="browser-1"]').count()).resolves.toBe(0);

    const request = cli(
      [
        'request',
        '--id',
        'browser-1',
        '--text',
        'closed-loop control of robot arms on the assembly line',
        '--timeout',
        '60s',
      ],
      services().env,
    );
    // The page is not reloaded: the row comes in over the event stream and turns active.
    const row = page.locator('tr[data-slice="browser-1"]');
    await row.waitFor({ timeout: 60_000 });
    await row
      .locator('[data-state="active"]')
      .waitFor({ timeout: 60_000 })
      .catch(async (error: unknown) => {
        throw new Error(
          `${String(error)}\nrow: ${await row.innerText()}\nslicemesh request said:\n${request.output()}`,
        );
      });
    expect(await request.exited, request.output()).toBe(0);

    await row.click();
    const timeline = page.getByTestId('timeline');
    await timeline.waitFor({ timeout: 10_000 });
    const states = await timeline.locator('ol.timeline [data-state]').allTextContents();
    expect(states).toEqual(['requested', 'interpreting', 'planning', 'deploying', 'active']);
    await expect(page.getByTestId('detail').getAttribute('data-slice')).resolves.toBe('browser-1');

    expect([...origins]).toEqual([new URL(apiUrl).origin]);
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it("draws a finished replay's charts", async () => {
    const { config } = services();
    const slices = ['r-1', 'r-2'].map((id, i) =>
      sliceResult(id, {
        sliceId: id,
        state: 'active',
        text: `request ${id}`,
        served: i === 0,
        observed: { latencyMs: 20 + 40 * i, cost: 30, reliabilityCost: i },
        preference: { latency: 0.5, reliability: 0.3, economics: 0.1, throughput: 0.1 },
        history: [
          { state: 'requested', at: 1_000 + i },
          { state: 'planning', at: 1_020 + i },
          { state: 'active', at: 1_050 + i },
        ],
      }),
    );
    await writeReport(
      join(config.mesh.dataDir, 'reports', 'two-slices'),
      { scenario: 'two', method: 'first-fit', summary: summarise(slices), slices },
      { source: 'two.yaml', seed: 1, speed: 'max', startedAt: 1_000, endedAt: 1_100 },
    );
    const page = await browser!.newPage();
    await page.goto(`${apiUrl}/#token=${token}`);
    await page.locator('.report-list button', { hasText: 'two-slices' }).click();
    const report = page.getByTestId('report');
    await report.waitFor({ timeout: 10_000 });
    // Three states for each of the two slices on the timeline, one bar per slice per QoE figure.
    await expect(
      report.locator('svg[aria-label="Lifecycle per slice"] rect').count(),
    ).resolves.toBe(6);
    await expect(report.locator('svg[aria-label="latency (ms)"] rect').count()).resolves.toBe(2);
    const colours = await report
      .locator('svg[aria-label="latency (ms)"] rect')
      .evaluateAll((rects) => rects.map((r) => r.getAttribute('fill')));
    expect(colours).toEqual(['#31a354', '#de2d26']);
    await expect(report.locator('svg.pref').count()).resolves.toBe(2);
    await page.close();
  }, 60_000);
});
