/**
 * Writes finished spans to a file in OTLP JSON (`{"resourceSpans":[...]}`),
 * the format Jaeger UI opens under Search → Upload → "JSON File". The file is
 * a single valid JSON document after every export: new spans are written over
 * the closing `]}` and the closing is written again, so a crash never leaves a
 * file that cannot be opened, and each export costs O(batch), not O(file).
 *
 * The file is bounded: an export that would take it past `maxBytes` first
 * rotates it (`x.json` → `x.1.json` → `x.2.json` …, the oldest beyond
 * `maxFiles` deleted) and starts a fresh `x.json`. A batch is never split, so
 * every file, current or rotated, is a whole document of whole spans.
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  DEFAULT_TRACE_FILE_LIMITS,
  type TraceFileLimits,
  rotatedTracePath,
} from './trace-files.js';

const HEAD = '{"resourceSpans":[';
const TAIL = ']}\n';

export class OtlpJsonFileExporter implements SpanExporter {
  readonly path: string;
  #fd: number | undefined;
  #position: number;
  #empty = true;

  readonly limits: TraceFileLimits;
  /** Rotations so far. */
  #rotations = 0;

  /** Creates (truncates) `path`, making its directory if needed; rotated files of an earlier writer of `path` are deleted. */
  constructor(path: string, limits: TraceFileLimits = DEFAULT_TRACE_FILE_LIMITS) {
    if (!(limits.maxBytes > 0) || !Number.isInteger(limits.maxFiles) || limits.maxFiles < 1)
      throw new RangeError(`invalid trace file limits ${JSON.stringify(limits)}`);
    this.path = path;
    this.limits = limits;
    mkdirSync(dirname(path), { recursive: true });
    for (let n = 1; existsSync(rotatedTracePath(path, n)); n++)
      rmSync(rotatedTracePath(path, n), { force: true });
    this.#fd = this.#open();
    this.#position = Buffer.byteLength(HEAD);
  }

  /** How many times the file was rotated. */
  get rotations(): number {
    return this.#rotations;
  }

  #open(): number {
    const fd = openSync(this.path, 'w');
    writeSync(fd, HEAD + TAIL, 0);
    this.#position = Buffer.byteLength(HEAD);
    this.#empty = true;
    return fd;
  }

  /**
   * Closes the current file (already a whole document), shifts the rotated ones up by one,
   * dropping what is beyond `maxFiles`, and starts a fresh one under `path`.
   */
  #rotate(fd: number): number {
    closeSync(fd);
    this.#fd = undefined;
    const keep = this.limits.maxFiles - 1;
    // With no rotated file to keep (maxFiles 1) this is the current file itself.
    rmSync(rotatedTracePath(this.path, keep), { force: true });
    for (let n = keep - 1; n >= 0; n--) {
      const from = rotatedTracePath(this.path, n);
      if (existsSync(from)) renameSync(from, rotatedTracePath(this.path, n + 1));
    }
    this.#rotations += 1;
    this.#fd = this.#open();
    return this.#fd;
  }

  /** Appends the spans as one more `resourceSpans` entry per resource. */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.#fd === undefined) {
      resultCallback({
        code: ExportResultCode.FAILED,
        error: new Error(`trace file ${this.path} is closed`),
      });
      return;
    }
    try {
      const request = JSON.parse(
        Buffer.from(JsonTraceSerializer.serializeRequest(spans) ?? []).toString('utf8'),
      ) as {
        resourceSpans?: unknown[];
      };
      const entries = (request.resourceSpans ?? []).map((entry) => JSON.stringify(entry));
      if (entries.length > 0) {
        let fd = this.#fd;
        const body = entries.join(',');
        const grown = this.#position + 1 + Buffer.byteLength(body) + TAIL.length;
        if (!this.#empty && grown > this.limits.maxBytes) fd = this.#rotate(fd);
        const chunk = (this.#empty ? '' : ',') + body;
        const bytes = Buffer.from(chunk + TAIL);
        writeSync(fd, bytes, 0, bytes.length, this.#position);
        this.#position += Buffer.byteLength(chunk);
        this.#empty = false;
      }
      resultCallback({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      resultCallback({
        code: ExportResultCode.FAILED,
        error: error instanceof Error ? error : new Error(String(error)),
      });
    }
  }

  /** Writes are synchronous, nothing is buffered here. */
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  /** Closes the file; later exports fail. */
  shutdown(): Promise<void> {
    if (this.#fd !== undefined) {
      closeSync(this.#fd);
      this.#fd = undefined;
    }
    return Promise.resolve();
  }
}
