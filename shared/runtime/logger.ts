/**
 * Structured logging: one JSON object per line on stderr, so stdout stays free
 * for command output (`--json`) and logs can be piped into `jq`.
 */
import { isSliceMeshError } from '../contracts/errors.js';
import type { LogLevel } from './config.js';

export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line it writes. */
  child(fields: LogFields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Where lines go; tests pass an array-backed sink. */
export interface LogSink {
  write(line: string): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  fields?: LogFields;
  sink?: LogSink;
  /** Source of the `time` field (epoch ms); defaults to Date.now. */
  now?: () => number;
}

/** Errors do not survive JSON.stringify; keep what helps to diagnose them. */
function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    return {
      name: value.name,
      message: value.message,
      ...(isSliceMeshError(value) ? { code: value.code } : {}),
      ...(value.stack ? { stack: value.stack } : {}),
    };
  }
  return value;
}

/** Creates a JSON-lines logger (default: level `info`, written to stderr). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const sink = options.sink ?? { write: (line: string) => process.stderr.write(line) };
  const now = options.now ?? Date.now;
  const base = options.fields ?? {};

  const write = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields) => {
    if (RANK[lvl] < RANK[level]) return;
    const record: LogFields = { time: new Date(now()).toISOString(), level: lvl, msg, ...base };
    if (fields) for (const [k, v] of Object.entries(fields)) record[k] = serialise(v);
    let line: string;
    try {
      line = JSON.stringify(record);
    } catch {
      // Circular or BigInt fields must not take the process down.
      line = JSON.stringify({ time: record.time, level: lvl, msg, ...base, unserialisable: true });
    }
    sink.write(`${line}\n`);
  };

  return {
    level,
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (fields) => createLogger({ level, sink, now, fields: { ...base, ...fields } }),
  };
}

/** A logger that drops everything (for tests and benchmarks). */
export const silentLogger: Logger = createLogger({
  level: 'silent',
  sink: { write: () => undefined },
});
