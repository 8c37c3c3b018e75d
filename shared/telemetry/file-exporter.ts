/**
 * Writes finished spans to a file in OTLP JSON (`{"resourceSpans":[...]}`),
 * the format Jaeger UI opens under Search → Upload → "JSON File". The file is
 * a single valid JSON document after every export: new spans are written over
 * the closing `]}` and the closing is written again, so a crash never leaves a
 * file that cannot be opened, and each export costs O(batch), not O(file).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

const HEAD = '{"resourceSpans":[';
const TAIL = ']}\n';

export class OtlpJsonFileExporter implements SpanExporter {
  readonly path: string;
  #fd: number | undefined;
  #position: number;
  #empty = true;

  /** Creates (truncates) `path`, making its directory if needed. */
  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(path, 'w');
    writeSync(this.#fd, HEAD + TAIL, 0);
    this.#position = Buffer.byteLength(HEAD);
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
        const chunk = (this.#empty ? '' : ',') + entries.join(',');
        const bytes = Buffer.from(chunk + TAIL);
        writeSync(this.#fd, bytes, 0, bytes.length, this.#position);
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
