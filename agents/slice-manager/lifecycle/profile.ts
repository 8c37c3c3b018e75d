import type { SlaClasses, SliceChange, SliceProfile } from '../../../shared/contracts/index.js';

/**
 * The profile a slice is placed with: the interpreter's inferred classes, with
 * every class the requester stated explicitly taking precedence.
 */
export function applySlaOverrides(
  inferred: SliceProfile,
  sla: SlaClasses | undefined,
): SliceProfile {
  if (!sla) return inferred;
  return {
    serviceType: sla.serviceType ?? inferred.serviceType,
    latency: sla.latency ?? inferred.latency,
    reliability: sla.reliability ?? inferred.reliability,
    cost: sla.cost ?? inferred.cost,
  };
}

/** Explicit classes after a change: the change's classes replace the ones it names. */
export function mergeSla(
  current: SlaClasses | undefined,
  change: SlaClasses | undefined,
): SlaClasses | undefined {
  if (!change) return current;
  return { ...current, ...change };
}

/** The part of a change that has not been applied yet; later fields win. */
export interface PendingChange {
  changeIds: string[];
  text?: string;
  sla?: SlaClasses;
  demand?: SliceChange['demand'];
}

/** Folds another change into a pending one (changes that arrive while the slice is busy). */
export function foldChange(pending: PendingChange | undefined, change: SliceChange): PendingChange {
  const folded: PendingChange = { changeIds: [...(pending?.changeIds ?? []), change.changeId] };
  const text = change.text ?? pending?.text;
  const sla = mergeSla(pending?.sla, change.sla);
  const demand = change.demand ?? pending?.demand;
  if (text !== undefined) folded.text = text;
  if (sla !== undefined) folded.sla = sla;
  if (demand !== undefined) folded.demand = demand;
  return folded;
}

/** Keeps a bounded memory of handled change ids so redeliveries are recognised. */
export function rememberIds(seen: readonly string[], ids: readonly string[], max = 256): string[] {
  const next = [...seen, ...ids.filter((id) => !seen.includes(id))];
  return next.length > max ? next.slice(next.length - max) : next;
}

/** Truncates free text so it fits the contract's bounded note and reason fields. */
export function clip(text: string, max = 1_000): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
