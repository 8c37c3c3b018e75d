/** Read-modify-write of a stored intent, safe against a concurrent writer (compare and set). */
import type { TypedKv } from '../../shared/bus/index.js';
import type { StoredIntent } from '../../shared/contracts/api.js';
import { SliceMeshError, isSliceMeshError } from '../../shared/contracts/errors.js';

const ATTEMPTS = 5;

/** Applies `change` to intent `id`; undefined when it has no stored intent. */
export async function updateIntent(
  intents: TypedKv<StoredIntent>,
  id: string,
  change: (current: StoredIntent) => StoredIntent,
): Promise<StoredIntent | undefined> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const entry = await intents.get(id);
    if (!entry) return undefined;
    const next = change(entry.value);
    if (next === entry.value) return next;
    try {
      await intents.update(id, next, entry.revision);
      return next;
    } catch (error) {
      // Someone wrote in between: read again and reapply.
      if (isSliceMeshError(error) && error.code === 'stale-view') continue;
      throw error;
    }
  }
  throw new SliceMeshError('unavailable', `intent ${id} kept changing while it was updated`);
}
