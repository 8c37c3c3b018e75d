/**
 * `slicemesh status [--id ID]`: the slices the running mesh's slice-manager
 * holds, as a table, or one slice with its history.
 */
import { listAllSlices } from '../../shared/clients/slice-list.js';
import { Option, type Command } from 'commander';
import {
  SLICE_STATES,
  SliceMeshError,
  type SliceRecord,
  type SliceState,
} from '../../shared/contracts/index.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { tenantOption } from '../options.js';
import { connectToMesh, formatSlice, getSlice } from './request.js';

interface StatusFlags {
  id?: string;
  tenant?: string;
  state?: SliceState;
  json?: boolean;
}

/** When the slice entered its current state. */
function since(record: SliceRecord): number | undefined {
  return record.history.at(-1)?.at;
}

function age(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m`;
  return `${Math.floor(ms / 3_600_000)}h`;
}

/** A fixed-width table of slices, one per line. */
export function formatSliceTable(records: readonly SliceRecord[], now: number): string {
  if (records.length === 0) return '(no slices)';
  const header = [
    'SLICE',
    'STATE',
    'SERVICE',
    'LATENCY',
    'RELIAB.',
    'COST',
    'SITE',
    'SERVED',
    'SINCE',
  ];
  const rows = records.map((r) => {
    const at = since(r);
    return [
      r.sliceId,
      r.state,
      r.profile?.serviceType ?? '-',
      r.profile?.latency ?? '-',
      r.profile?.reliability ?? '-',
      r.profile?.cost ?? '-',
      r.placement?.site ?? '-',
      r.served === undefined ? '-' : r.served ? 'yes' : 'no',
      at === undefined ? '-' : `${age(Math.max(0, now - at))} ago`,
    ];
  });
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** One slice with its history, one transition per line. */
export function formatSliceDetail(record: SliceRecord): string {
  const start = record.history[0]?.at ?? 0;
  const history = record.history.map(
    (h) =>
      `  ${`+${((h.at - start) / 1_000).toFixed(2)}s`.padStart(10)}  ${h.state.padEnd(12)}${h.note ? ` ${h.note}` : ''}`,
  );
  return [formatSlice(record), 'history', ...history].join('\n');
}

export function register(program: Command): void {
  program
    .command('status')
    .description(
      'Show the slices of the running mesh (a table), or one slice with its history (--id).\n' +
        'Connects through NATS_URL (and SLICEMESH_NAMESPACE), or to the mesh started by `slicemesh up`.',
    )
    .option('--id <id>', 'show this slice only, with its history')
    .addOption(tenantOption("connect as this tenant's client"))
    .addOption(
      new Option('--state <state>', 'list only slices in this state').choices(SLICE_STATES),
    )
    .option('--json', 'print the record(s) as JSON')
    .action(async (flags: StatusFlags) => {
      const bus = await connectToMesh('cli-status', flags.tenant ?? loadConfig().mesh.tenant);
      try {
        if (flags.id !== undefined) {
          const record = await getSlice(bus, flags.id);
          if (!record) {
            throw new SliceMeshError(
              'unknown-slice',
              `the slice-manager knows no slice ${flags.id}`,
            );
          }
          process.stdout.write(
            flags.json ? `${JSON.stringify(record, null, 2)}\n` : `${formatSliceDetail(record)}\n`,
          );
          return;
        }
        const records = await listAllSlices(bus, {
          ...(flags.state ? { state: flags.state } : {}),
          timeoutMs: 5_000,
        });
        process.stdout.write(
          flags.json
            ? `${JSON.stringify(records, null, 2)}\n`
            : `${formatSliceTable(records, Date.now())}\n`,
        );
      } finally {
        await bus.drain();
      }
    });
}
