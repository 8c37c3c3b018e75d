/**
 * The truth a replay judges each slice against: what its requester needs,
 * as opposed to what the mesh was told (`sla`) or inferred.
 *
 * A request's `truth` when it has one. Otherwise its stated `sla`, with every
 * later change's `sla` merged over it (as the slice-manager merges them), if
 * it states every class: a partial SLA leaves the rest to the interpreter,
 * and a judge must not take the interpreter's word. A truth is given once, on
 * the request, so it stands for the slice's whole life, changes included.
 */
import { SliceProfile, type SlaClasses } from '../contracts/index.js';
import type { Scenario } from './types.js';

/** Slice id → its truth, for the slices whose truth is known. */
export function sliceTruths(scenario: Pick<Scenario, 'events'>): Map<string, SliceProfile> {
  const explicit = new Map<string, SliceProfile>();
  const stated = new Map<string, SlaClasses>();
  for (const event of scenario.events) {
    if (event.kind === 'request') {
      if (event.truth !== undefined) explicit.set(event.sliceId, event.truth);
      if (event.sla !== undefined) stated.set(event.sliceId, event.sla);
    } else if (event.kind === 'change' && event.sla !== undefined) {
      stated.set(event.sliceId, { ...stated.get(event.sliceId), ...event.sla });
    }
  }
  const truths = new Map(explicit);
  for (const [id, sla] of stated) {
    if (truths.has(id)) continue;
    const complete = SliceProfile.safeParse(sla);
    if (complete.success) truths.set(id, complete.data);
  }
  return truths;
}
