/**
 * The page's static files: its own (public/) and the ES modules of preact and
 * htm straight from their npm packages, so nothing is fetched from a CDN and
 * nothing is bundled. Every file is read once at start into memory: the set
 * is small and fixed, and serving only names from this table leaves no path
 * for a request to walk out of it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** Where the page loads its modules from; the import map in index.html names these. */
export const ASSET_PREFIX = '/dashboard/assets';

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');
const require = createRequire(import.meta.url);

/** The ESM build next to a package's CommonJS entry (`dist/x.js` → `dist/x.mjs`). */
function esmBuild(specifier: string, file: string): string {
  return join(dirname(require.resolve(specifier)), file);
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

function load(path: string): Asset {
  const ext = path.slice(path.lastIndexOf('.'));
  return { body: readFileSync(path), contentType: TYPES[ext] ?? 'application/octet-stream' };
}

/** The page's modules and styles by URL name. */
const FILES: Readonly<Record<string, () => string>> = {
  'app.js': () => join(PUBLIC_DIR, 'app.js'),
  'api.js': () => join(PUBLIC_DIR, 'api.js'),
  'charts.js': () => join(PUBLIC_DIR, 'charts.js'),
  'detail.js': () => join(PUBLIC_DIR, 'detail.js'),
  'format.js': () => join(PUBLIC_DIR, 'format.js'),
  'html.js': () => join(PUBLIC_DIR, 'html.js'),
  'style.css': () => join(PUBLIC_DIR, 'style.css'),
  'vendor/preact.mjs': () => esmBuild('preact', 'preact.mjs'),
  'vendor/hooks.mjs': () => esmBuild('preact/hooks', 'hooks.mjs'),
  'vendor/htm.mjs': () => esmBuild('htm', 'htm.mjs'),
};

export interface DashboardAssets {
  /** index.html with the import map filled in. */
  readonly page: Asset;
  /** The import map's SHA-256 (the page's Content-Security-Policy allows exactly that inline script). */
  readonly importMapHash: string;
  readonly files: ReadonlyMap<string, Asset>;
}

export function loadAssets(): DashboardAssets {
  const files = new Map<string, Asset>();
  for (const [name, path] of Object.entries(FILES)) files.set(name, load(path()));
  const importMap = JSON.stringify({
    imports: {
      preact: `${ASSET_PREFIX}/vendor/preact.mjs`,
      'preact/hooks': `${ASSET_PREFIX}/vendor/hooks.mjs`,
      htm: `${ASSET_PREFIX}/vendor/htm.mjs`,
    },
  });
  const html = readFileSync(join(PUBLIC_DIR, 'index.html'), 'utf8')
    .replace('__IMPORT_MAP__', importMap)
    .replaceAll('__ASSETS__', ASSET_PREFIX);
  // The hash covers the script element's exact text, whitespace around the map included.
  const inline = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1];
  if (inline === undefined) throw new Error('dashboard index.html has no import map');
  return {
    page: { body: Buffer.from(html), contentType: TYPES['.html'] as string },
    importMapHash: createHash('sha256').update(inline).digest('base64'),
    files,
  };
}
