/**
 * Reading `slice.list` page by page: what the CLI, replays and benchmarks use
 * instead of asking for every record in one reply (which would outgrow a
 * message once the mesh holds a few hundred slices).
 */
import type { Bus } from '../bus/index.js';
import { ENDPOINTS, type SliceRecord, type SliceState } from '../contracts/index.js';

export interface SliceListOptions {
  readonly state?: SliceState;
  /** Records per page (the slice-manager caps it; default its own default). */
  readonly pageSize?: number;
  readonly timeoutMs?: number;
}

export interface SlicePageOptions extends SliceListOptions {
  /** The previous page's `nextCursor` (absent: the first page). */
  readonly cursor?: string;
}

/** One page and the cursor of the next (absent on the last page): for callers that page on demand. */
export async function fetchSlicePage(
  bus: Bus,
  options: SlicePageOptions = {},
): Promise<{ slices: SliceRecord[]; nextCursor: string | undefined }> {
  const page = await bus.request(
    ENDPOINTS.sliceList,
    {
      type: 'slice.list.request.v2',
      ...(options.state === undefined ? {} : { state: options.state }),
      ...(options.pageSize === undefined ? {} : { limit: options.pageSize }),
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
    },
    options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
  );
  return { slices: page.slices, nextCursor: page.nextCursor };
}

/** Every slice record the requester may see, one page at a time. */
export async function* listSlicePages(
  bus: Bus,
  options: SliceListOptions = {},
): AsyncGenerator<SliceRecord[]> {
  let cursor: string | undefined;
  do {
    const page = await fetchSlicePage(bus, {
      ...options,
      ...(cursor === undefined ? {} : { cursor }),
    });
    yield page.slices;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}

/** All of them in one array (for callers that need the whole set, e.g. a finished replay's report). */
export async function listAllSlices(
  bus: Bus,
  options: SliceListOptions = {},
): Promise<SliceRecord[]> {
  const all: SliceRecord[] = [];
  for await (const page of listSlicePages(bus, options)) all.push(...page);
  return all;
}
