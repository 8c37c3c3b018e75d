/**
 * Takes the README's screenshot of the live dashboard (docs/dashboard.png):
 * replays the paper's 8-request case study with a report, starts
 * `slicemesh up` on a fresh data dir (the project's embedding cache linked
 * in), makes a few requests with `slicemesh request` (one with a short
 * lifetime, so it is released), and
 * photographs the page in Debian's chromium with one slice's detail and the
 * report open.
 *
 *   npx tsx scripts/dashboard-screenshot.ts [--out docs/dashboard.png]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { readMeshFile } from '../shared/runtime/embedded/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: { out: { type: 'string', default: 'docs/dashboard.png' } },
});
const out = resolve(values.out);

const REQUESTS: [string, string][] = [
  [
    'press-safety',
    'Connectivity for the emergency-stop and safety interlocks of the press line; it must never drop and respond in real time.',
  ],
  [
    'vision-b',
    'Stream machine-vision images from the quality-inspection stations on cell B; end-to-end delay under 30 ms.',
  ],
  [
    'probes',
    'Collect telemetry from 40 battery-powered temperature probes; keep the cost as low as possible.',
  ],
  [
    'gantry',
    'Closed-loop motion control between the PLC and the gantry robots; around 100 ms is fine, it should be reliable.',
  ],
  [
    'twin',
    'Digital twin of the warehouse, streaming point clouds and video; below a tenth of a second.',
  ],
  [
    'metering',
    'Smart metering of water in the warehouse; cheap to run, the data can arrive with some delay.',
  ],
];

const work = mkdtempSync(join(tmpdir(), 'slicemesh-screenshot-'));
const dataDir = join(work, 'data');
mkdirSync(join(root, '.data', 'embeddings'), { recursive: true });
mkdirSync(dataDir, { recursive: true });
symlinkSync(join(root, '.data', 'embeddings'), join(dataDir, 'embeddings'));
const env = {
  ...process.env,
  NATS_URL: '',
  CHROMA_URL: '',
  SLICEMESH_DATA_DIR: dataDir,
  SLICEMESH_TRACE_DIR: join(work, 'traces'),
  SLICEMESH_AUDIT_DIR: join(work, 'audit'),
  SLICEMESH_HTTP_PORT: '0',
  SLICEMESH_LOG_LEVEL: 'warn',
  SLICEMESH_JAEGER_URL: 'http://localhost:16686',
};

function run(args: string[]) {
  const child = spawn(process.execPath, [join(root, 'bin/slicemesh.js'), ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, exited, output: () => output };
}

async function ok(args: string[]): Promise<void> {
  const step = run(args);
  const code = await step.exited;
  if (code !== 0) throw new Error(`slicemesh ${args.join(' ')} exited ${code}:\n${step.output()}`);
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

const log = (line: string) => process.stderr.write(`${line}\n`);
let up: ReturnType<typeof run> | undefined;
try {
  log('replaying the 8-request case study for a report…');
  await ok([
    'replay',
    'scenarios/paper/case-study-8.yaml',
    '--speed',
    'max',
    '--report',
    join(dataDir, 'reports', 'case-study-8'),
  ]);
  log('starting the mesh…');
  up = run(['up']);
  let mesh = readMeshFile(dataDir);
  for (let i = 0; !mesh?.apiUrl; i++) {
    if (i > 600 || up.child.exitCode !== null) throw new Error(`no mesh:\n${up.output()}`);
    await sleep(200);
    mesh = readMeshFile(dataDir);
  }
  const token = readFileSync(mesh.apiTokenFile as string, 'utf8').trim();
  log(`requests to ${mesh.apiUrl}…`);
  // The last one lives a few seconds, so the table shows a released slice too.
  await Promise.all(
    REQUESTS.map(([id, text], i) =>
      ok([
        'request',
        '--id',
        id,
        '--text',
        text,
        ...(i === REQUESTS.length - 1 ? ['--lifetime', '3s'] : []),
      ]),
    ),
  );

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    headless: true,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${mesh.apiUrl}/#token=${token}`);
    await page
      .getByTestId('live')
      .filter({ hasText: /^live$/ })
      .waitFor();
    await page.locator('tr[data-slice="metering"] [data-state="released"]').waitFor();
    await page.locator('tr[data-slice="vision-b"]').click();
    await page.getByTestId('timeline').waitFor();
    await page.locator('.report-list button').first().click();
    await page.getByTestId('report').waitFor();
    await page.screenshot({ path: out, fullPage: true });
    log(`wrote ${out}`);
  } finally {
    await browser.close();
  }
} finally {
  if (up && up.child.exitCode === null) {
    up.child.kill('SIGINT');
    await up.exited;
  }
  rmSync(work, { recursive: true, force: true });
}
