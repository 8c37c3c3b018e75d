/**
 * `slice.list` page cursors. A cursor is the position after the last record of
 * a page (its partition and slice id) plus the filter it was made for, so a
 * page costs the same however many slices the mesh holds and a cursor outlives
 * the instance that issued it (another instance may own the partition by the
 * next page). It expires: a listing read over many minutes is no longer a
 * listing of one moment, and a client holding a cursor that long should start
 * again rather than receive pages of two different meshes.
 */
import { z } from 'zod';
import {
  INTAKE_PARTITIONS,
  Id,
  SliceMeshError,
  SliceState,
  TenantId,
} from '../../shared/contracts/index.js';

/** How long a cursor stays valid after it was issued. */
export const CURSOR_TTL_MS = 10 * 60_000;

const CursorBody = z
  .object({
    v: z.literal(1),
    /** Partition the next page starts in. */
    p: z
      .number()
      .int()
      .min(0)
      .max(INTAKE_PARTITIONS - 1),
    /** Last slice id already returned in that partition (none: start of it). */
    after: Id.optional(),
    state: SliceState.optional(),
    tenant: TenantId.optional(),
    /** Expiry, ms since the epoch. */
    exp: z.number().int().nonnegative(),
  })
  .strict();
export type CursorPosition = z.infer<typeof CursorBody>;

/** What a listing is restricted to; a cursor only continues the listing it was made for. */
export interface ListFilter {
  readonly state: SliceState | undefined;
  readonly tenant: string | undefined;
}

export function encodeCursor(
  position: { partition: number; after?: string },
  filter: ListFilter,
  now: number,
): string {
  const body: CursorPosition = {
    v: 1,
    p: position.partition,
    ...(position.after === undefined ? {} : { after: position.after }),
    ...(filter.state === undefined ? {} : { state: filter.state }),
    ...(filter.tenant === undefined ? {} : { tenant: filter.tenant }),
    exp: now + CURSOR_TTL_MS,
  };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

function refuse(message: string, reason: string): never {
  throw new SliceMeshError('invalid-cursor', message, { retryable: false, details: { reason } });
}

/**
 * The position a cursor continues from; `invalid-cursor` (with `details.reason`
 * `unknown`, `filter` or `expired`) when it was not issued here, belongs to
 * another filter or requester, or has expired.
 */
export function decodeCursor(
  cursor: string,
  filter: { state: SliceState | undefined; tenant: string | undefined },
  now: number,
): { partition: number; after: string | undefined; state: SliceState | undefined } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    refuse('this page cursor was not issued by slice.list', 'unknown');
  }
  const body = CursorBody.safeParse(parsed);
  if (!body.success) refuse('this page cursor was not issued by slice.list', 'unknown');
  const { p, after, state, tenant, exp } = body.data;
  if (filter.state !== undefined && filter.state !== state) {
    refuse(
      `this cursor continues a listing of ${state ?? 'every state'}, not of ${filter.state}`,
      'filter',
    );
  }
  if (tenant !== filter.tenant) refuse('this cursor belongs to another requester', 'filter');
  if (exp < now) {
    refuse('this page cursor has expired: start the listing again without a cursor', 'expired');
  }
  return { partition: p, after, state };
}
