/**
 * Names and bounds of the OTLP JSON trace files: a trace path `x.json` is the
 * current file, `x.1.json` the one before it, and so on (see file-exporter.ts).
 * Kept apart from the exporter so the configuration can read the defaults
 * without loading the OTLP serializer.
 */
import { existsSync } from 'node:fs';

const MIB = 1024 * 1024;

/** Bounds of one trace file and its rotated predecessors. */
export interface TraceFileLimits {
  /** Size after which the file is rotated (bytes); a single larger batch still goes whole into a fresh file. */
  readonly maxBytes: number;
  /** Files kept for one path, the current one included (at least 1). */
  readonly maxFiles: number;
}

/** 64 MiB, about 1,500 slices' spans per file (some 42 KB each), four files: 256 MiB per trace path. */
export const DEFAULT_TRACE_FILE_LIMITS: TraceFileLimits = Object.freeze({
  maxBytes: 64 * MIB,
  maxFiles: 4,
});

/** The n-th rotated file of `path` (n ≥ 1; n = 0 is `path` itself): `x.json` → `x.<n>.json`. */
export function rotatedTracePath(path: string, n: number): string {
  if (n === 0) return path;
  return path.endsWith('.json') ? `${path.slice(0, -'.json'.length)}.${n}.json` : `${path}.${n}`;
}

/** The files of a trace path that exist, oldest first (the rotated ones, then `path`). */
export function traceFilesOf(path: string): string[] {
  const files: string[] = [];
  for (let n = 1; existsSync(rotatedTracePath(path, n)); n++)
    files.unshift(rotatedTracePath(path, n));
  return existsSync(path) ? [...files, path] : files;
}
