/**
 * The append-only audit trail: one JSONL file per run of the audit-log,
 * `<dir>/<namespace>-<start time>.jsonl`. File names sort by time, so the
 * trail of a namespace is its files in name order. Each line is flushed to
 * disk before the slice event is acknowledged.
 */
import { mkdir, open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditEntry } from '../../shared/contracts/audit.js';
import { SliceMeshError } from '../../shared/contracts/errors.js';

export interface AuditTrail {
  /** The file this run appends to (created with the first entry). */
  readonly path: string;
  /** Appends one line and waits until it is on disk. */
  append(entry: AuditEntry): Promise<void>;
  close(): Promise<void>;
}

/** `<namespace>-<ISO time with : and . replaced>.jsonl`, sortable by name. */
export function trailFileName(namespace: string, startedAt: number): string {
  return `${namespace}-${new Date(startedAt).toISOString().replace(/[:.]/g, '-')}.jsonl`;
}

/** The namespace's trail files, oldest first. */
export async function trailFiles(dir: string, namespace: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const pattern = new RegExp(`^${namespace}-\\d{4}-\\d{2}-\\d{2}T[\\d-]+Z\\.jsonl$`);
  return names
    .filter((n) => pattern.test(n))
    .sort()
    .map((n) => join(dir, n));
}

/** Valid entries of one trail file; a torn last line (crash mid-write) is skipped. */
export async function readTrail(path: string): Promise<AuditEntry[]> {
  const text = await readFile(path, 'utf8');
  const out: AuditEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const parsed = AuditEntry.safeParse(JSON.parse(line));
      if (parsed.success) out.push(parsed.data);
    } catch {
      // not JSON: a torn line
    }
  }
  return out;
}

/** Highest stream sequence already in the namespace's trail (0 when none): older events are not written again. */
export async function lastRecordedSeq(dir: string, namespace: string): Promise<number> {
  const files = await trailFiles(dir, namespace);
  for (const file of files.reverse()) {
    const entries = await readTrail(file);
    // A loop, not Math.max(...seqs): a long trail exceeds the engine's argument limit.
    if (entries.length > 0) return entries.reduce((max, e) => Math.max(max, e.seq), 0);
  }
  return 0;
}

/** Opens this run's trail file lazily (no empty files for runs that saw nothing). */
export function openAuditTrail(dir: string, namespace: string, startedAt: number): AuditTrail {
  const path = join(dir, trailFileName(namespace, startedAt));
  let handle: FileHandle | undefined;
  // After a failed write the file may end in a torn line: start the next entry on a fresh one.
  let torn = false;
  return {
    path,
    async append(entry) {
      try {
        if (handle === undefined) {
          await mkdir(dir, { recursive: true });
          handle = await open(path, 'a');
        }
        await handle.appendFile(`${torn ? '\n' : ''}${JSON.stringify(entry)}\n`);
        await handle.datasync();
        torn = false;
      } catch (cause) {
        // Retryable: the event is redelivered, and a torn line is skipped when the trail is read.
        torn = true;
        await handle?.close().catch(() => undefined);
        handle = undefined;
        throw new SliceMeshError(
          'unavailable',
          `cannot append to the audit trail ${path}: ${(cause as Error).message}`,
          { cause },
        );
      }
    },
    async close() {
      await handle?.close();
      handle = undefined;
    },
  };
}
