/**
 * Finished replays' reports, as the page lists and draws them: every
 * `<root>/<name>/report.json` a replay's `--report <root>/<name>` wrote
 * (beside its index.html). Only the fields the page uses are checked; a file
 * that is not a report (or is half-written) is skipped, never served.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const REPORT_DATA_FILE = 'report.json';
const REPORT_DATA_TYPE = 'slicemesh.replay-report.v1';
/** Reports a listing names at most (newest first): the listing stays small however many runs there were. */
export const MAX_LISTED_REPORTS = 50;
/** A report file larger than this is not read (a replay of 10,000 slices writes a few MiB). */
const MAX_REPORT_BYTES = 32 * 1024 * 1024;

const num = z.number().nullable();
const ReportSlice = z.object({
  id: z.string(),
  finalState: z.string(),
  served: z.boolean(),
  latencyMs: num,
  cost: num,
  reliabilityCost: num,
  preference: z.record(z.string(), z.number()).nullable(),
  history: z.array(z.object({ state: z.string(), at: z.number() })),
});

export const ReportFile = z.object({
  type: z.literal(REPORT_DATA_TYPE),
  context: z.object({
    source: z.string(),
    seed: z.number(),
    startedAt: z.number(),
    endedAt: z.number(),
    description: z.string().optional(),
    warning: z.string().optional(),
  }),
  result: z.object({
    scenario: z.string(),
    method: z.string(),
    summary: z.object({
      requests: z.number(),
      served: z.number(),
      availability: z.number(),
      judgedAgainst: z.string(),
      avgLatencyMs: num,
      avgCost: num,
      avgReliabilityCost: num,
    }),
    slices: z.array(ReportSlice),
  }),
});
export type ReportFile = z.infer<typeof ReportFile>;

export interface ReportEntry {
  /** `<root index>-<dir name>`: what the page asks for; resolved only through a listing. */
  readonly id: string;
  readonly name: string;
  readonly dir: string;
  readonly writtenAt: number;
  readonly size: number;
}

/** Report dirs under `roots`, newest first. A root that does not exist has none. */
export async function findReports(roots: readonly string[]): Promise<ReportEntry[]> {
  const found: ReportEntry[] = [];
  for (const [index, root] of roots.entries()) {
    let names: string[];
    try {
      names = (await readdir(root, { withFileTypes: true }))
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = join(root, name);
      try {
        const info = await stat(join(dir, REPORT_DATA_FILE));
        if (info.isFile() && info.size <= MAX_REPORT_BYTES) {
          found.push({
            id: `${index}-${name}`,
            name,
            dir,
            writtenAt: info.mtimeMs,
            size: info.size,
          });
        }
      } catch {
        // no report data in this dir
      }
    }
  }
  return found.sort((a, b) => b.writtenAt - a.writtenAt).slice(0, MAX_LISTED_REPORTS);
}

/** The parsed report, or null when the file is not (or no longer) a report. */
export async function readReport(entry: ReportEntry): Promise<ReportFile | null> {
  try {
    const text = await readFile(join(entry.dir, REPORT_DATA_FILE), 'utf8');
    const parsed = ReportFile.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** What the listing says of one report (the charts' data comes with the report itself). */
export function reportSummary(entry: ReportEntry, report: ReportFile) {
  return {
    id: entry.id,
    name: entry.name,
    writtenAt: entry.writtenAt,
    scenario: report.result.scenario,
    method: report.result.method,
    source: report.context.source,
    summary: report.result.summary,
    ...(report.context.warning === undefined ? {} : { warning: report.context.warning }),
  };
}

/**
 * Listing summaries kept per report file while it is unchanged (same time and size): a
 * listing reads only the reports written since the last one, not every file again.
 */
export class ReportSummaries {
  readonly #cache = new Map<string, { key: string; summary: ReturnType<typeof reportSummary> }>();

  async list(roots: readonly string[]): Promise<ReturnType<typeof reportSummary>[]> {
    const entries = await findReports(roots);
    const out: ReturnType<typeof reportSummary>[] = [];
    const seen = new Set<string>();
    for (const entry of entries) {
      seen.add(entry.dir);
      const key = `${entry.writtenAt}:${entry.size}`;
      const cached = this.#cache.get(entry.dir);
      if (cached?.key === key) {
        out.push({ ...cached.summary, id: entry.id });
        continue;
      }
      const report = await readReport(entry);
      if (!report) continue;
      const summary = reportSummary(entry, report);
      this.#cache.set(entry.dir, { key, summary });
      out.push(summary);
    }
    for (const dir of this.#cache.keys()) if (!seen.has(dir)) this.#cache.delete(dir);
    return out;
  }
}
