import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BasicTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { isSliceMeshError } from '../../shared/contracts/errors.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { traceFileLimits } from '../../shared/runtime/launch.js';
import {
  DEFAULT_TRACE_FILE_LIMITS,
  OtlpJsonFileExporter,
  rotatedTracePath,
  traceFilesOf,
} from '../../shared/telemetry/index.js';

interface OtlpFile {
  resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[];
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slicemesh-trace-rotation-'));
  dirs.push(dir);
  return dir;
}

/** Ends `count` spans named span-<n> (with some padding), each exported on its own. */
function writeSpans(exporter: OtlpJsonFileExporter, from: number, count: number): void {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('rotation-test');
  for (let n = from; n < from + count; n++) {
    const span = tracer.startSpan(`span-${n}`);
    span.setAttribute('padding', 'p'.repeat(200));
    span.end();
  }
}

/** The span names of a file; throws unless it is one whole JSON document. */
function spanNames(path: string): string[] {
  const file = JSON.parse(readFileSync(path, 'utf8')) as OtlpFile;
  return file.resourceSpans.flatMap((rs) =>
    rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.name)),
  );
}

describe('OTLP JSON trace file rotation', () => {
  it('rotates past the size limit, keeps at most maxFiles whole files and the newest spans in order', async () => {
    const dir = tempDir();
    const path = join(dir, 'replay-x.json');
    const maxBytes = 8 * 1024;
    const exporter = new OtlpJsonFileExporter(path, { maxBytes, maxFiles: 3 });
    const total = 400;
    writeSpans(exporter, 0, total);
    expect(exporter.rotations).toBeGreaterThan(3);

    // Exactly three files: the current one and two rotated, nothing else in the directory.
    expect(readdirSync(dir).sort()).toEqual(
      ['replay-x.json', 'replay-x.1.json', 'replay-x.2.json'].sort(),
    );
    const files = traceFilesOf(path);
    expect(files).toEqual([rotatedTracePath(path, 2), rotatedTracePath(path, 1), path]);
    for (const file of files) expect(statSync(file).size).toBeLessThanOrEqual(maxBytes);

    // Every file parses on its own, and together they hold the last spans written, each once,
    // in the order they ended: the oldest files were dropped whole, no span was torn.
    const names = files.flatMap(spanNames);
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names).size).toBe(names.length);
    const first = Number(names[0]!.slice('span-'.length));
    expect(names).toEqual(Array.from({ length: total - first }, (_, i) => `span-${first + i}`));
    expect(first).toBeGreaterThan(0);
    await exporter.shutdown();
  });

  it('writes a batch larger than the limit whole into a file of its own', async () => {
    const dir = tempDir();
    const path = join(dir, 'big.json');
    const exporter = new OtlpJsonFileExporter(path, { maxBytes: 2 * 1024, maxFiles: 2 });
    writeSpans(exporter, 0, 1);
    // One export of 30 spans: far over 2 KiB, never split.
    const provider = new BasicTracerProvider();
    const tracer = provider.getTracer('rotation-test');
    const spans = Array.from({ length: 30 }, (_, n) => {
      const span = tracer.startSpan(`batch-${n}`);
      span.setAttribute('padding', 'p'.repeat(200));
      span.end();
      return span as unknown as ReadableSpan;
    });
    const result = await new Promise((resolve) => exporter.export(spans, resolve));
    expect(result).toMatchObject({ code: 0 });
    expect(spanNames(path)).toEqual(spans.map((_, n) => `batch-${n}`));
    expect(spanNames(rotatedTracePath(path, 1))).toEqual(['span-0']);
    await exporter.shutdown();
  });

  it('with maxFiles 1 starts the file afresh instead of keeping an older one', async () => {
    const dir = tempDir();
    const path = join(dir, 'one.json');
    const exporter = new OtlpJsonFileExporter(path, { maxBytes: 4 * 1024, maxFiles: 1 });
    writeSpans(exporter, 0, 100);
    expect(exporter.rotations).toBeGreaterThan(0);
    expect(readdirSync(dir)).toEqual(['one.json']);
    const names = spanNames(path);
    expect(names.at(-1)).toBe('span-99');
    expect(names.length).toBeLessThan(100);
    await exporter.shutdown();
  });

  it('deletes rotated files left by an earlier writer of the same path', async () => {
    const dir = tempDir();
    const path = join(dir, 'again.json');
    const before = new OtlpJsonFileExporter(path, { maxBytes: 2 * 1024, maxFiles: 4 });
    writeSpans(before, 0, 60);
    await before.shutdown();
    expect(traceFilesOf(path).length).toBe(4);
    const after = new OtlpJsonFileExporter(path, { maxBytes: 2 * 1024, maxFiles: 4 });
    expect(traceFilesOf(path)).toEqual([path]);
    expect(spanNames(path)).toEqual([]);
    await after.shutdown();
  });
});

describe('trace file limits in the configuration', () => {
  it('default to 64 MiB per file and four files', () => {
    expect(traceFileLimits(loadConfig({}))).toEqual(DEFAULT_TRACE_FILE_LIMITS);
    expect(DEFAULT_TRACE_FILE_LIMITS).toEqual({ maxBytes: 64 * 1024 * 1024, maxFiles: 4 });
  });

  it('read SLICEMESH_TRACE_FILE_MAX_BYTES and SLICEMESH_TRACE_FILES', () => {
    const config = loadConfig({
      SLICEMESH_TRACE_FILE_MAX_BYTES: '1048576',
      SLICEMESH_TRACE_FILES: '2',
    });
    expect(traceFileLimits(config)).toEqual({ maxBytes: 1_048_576, maxFiles: 2 });
  });

  it.each([
    ['SLICEMESH_TRACE_FILE_MAX_BYTES', '0'],
    ['SLICEMESH_TRACE_FILES', '0'],
    ['SLICEMESH_TRACE_FILES', 'all'],
  ])('refuse %s=%s', (name, value) => {
    let variable: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (error) {
      if (isSliceMeshError(error)) variable = error.details?.variable;
    }
    expect(variable).toBe(name);
  });
});
