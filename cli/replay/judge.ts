/**
 * Whether a replayed slice was served, judged against a set of classes: its
 * truth (what the requester needs) or the profile the mesh used (what the
 * interpreter inferred, with any stated SLA over it). The limits of a class
 * are the case-study model's (telemetry's `slaLimits`), the verdict is
 * telemetry's (`judgeSample`), so a replay judges as the mesh does.
 *
 * A slice holding its placement at the end is judged on its last KPI sample:
 * the final network, as the model's evaluation judges it. Any other slice is
 * judged on its record: the mesh's verdict on its last placement (the
 * constraints it broke, for the profile it was handled with) and what was
 * observed of that placement.
 */
import {
  judgeSample,
  slaLimits,
  type SlaDimension,
  type SlaLimits,
} from '../../agents/telemetry/index.js';
import {
  HOLDING_SLICE_STATES,
  type KpiSample,
  type SliceProfile,
  type SliceRecord,
  type SliceState,
} from '../../shared/contracts/index.js';

/** States in which a slice holds its placement. */
const PLACED: ReadonlySet<SliceState> = new Set(HOLDING_SLICE_STATES);

/** Which limit bounds which dimension; a larger limit is always the looser one. */
const LIMIT_OF: Readonly<Record<SlaDimension, keyof SlaLimits>> = {
  latency: 'latencyMs',
  reliability: 'sharing',
  cost: 'cost',
};
const DIMENSIONS = Object.keys(LIMIT_OF) as SlaDimension[];

/** `sample` if it was taken on the record's last placement, whether or not that is still held. */
function placementSample(
  record: SliceRecord | undefined,
  sample: KpiSample | undefined,
): KpiSample | undefined {
  if (!record?.placement || !sample) return undefined;
  return sample.at >= record.placement.appliedAt ? sample : undefined;
}

/** The last sample of the slice's current placement, if the slice is placed at the end. */
export function finalSample(
  record: SliceRecord | undefined,
  sample: KpiSample | undefined,
): KpiSample | undefined {
  return record && PLACED.has(record.state) ? placementSample(record, sample) : undefined;
}

/** True when two profiles agree in service type and all three classes. */
export function sameProfile(a: SliceProfile, b: SliceProfile): boolean {
  return (
    a.serviceType === b.serviceType &&
    a.latency === b.latency &&
    a.reliability === b.reliability &&
    a.cost === b.cost
  );
}

export interface SliceVerdict {
  /** Against the truth when it is known, else against the profile the mesh used. */
  readonly served: boolean;
  /** Against the profile the mesh used. */
  readonly servedAsInferred: boolean;
}

/** Judges one slice from its last record and KPI sample, against `truth` where it is known. */
export function judgeSlice(
  record: SliceRecord | undefined,
  lastKpi: KpiSample | undefined,
  truth: SliceProfile | undefined,
): SliceVerdict {
  // A slice that ended rejected or failed holds no placement, so it is not served (as in the eval harness).
  if (!record || record.state === 'rejected' || record.state === 'failed') {
    return { served: false, servedAsInferred: false };
  }
  const sample = finalSample(record, lastKpi);
  const servedAsInferred =
    sample && record.profile
      ? judgeSample(slaLimits(record.profile), sample).withinSla
      : record.served === true;
  if (!truth) return { served: servedAsInferred, servedAsInferred };
  // A slice deployed as another service type runs the wrong VNF chain: it does not serve its requester
  // whatever its figures (as in the eval harness's text mode).
  if (record.profile && record.profile.serviceType !== truth.serviceType)
    return { served: false, servedAsInferred };
  const served = sample
    ? judgeSample(slaLimits(truth), sample).withinSla
    : recordHolds(record, truth, placementSample(record, lastKpi));
  return { served, servedAsInferred };
}

/**
 * Judges a slice that no longer holds its placement against `truth`, from its
 * record. Where the truth's limit of a dimension is the one the mesh judged
 * by, or the mesh's verdict decides it anyway (a looser limit than one the
 * slice kept, a stricter one than one it broke), the mesh's verdict stands:
 * it also covers violations seen after the placement. Otherwise the observed
 * figures are judged, with the sharing of the placement's last KPI sample
 * (or, without one, the least its reliability cost implies).
 */
function recordHolds(
  record: SliceRecord,
  truth: SliceProfile,
  sample: KpiSample | undefined,
): boolean {
  const { profile, observed, placement } = record;
  if (!profile || !observed || !placement) return false;
  const broken = record.violations ?? [];
  // Not served for a reason no class decides (the record names no broken constraint, e.g. capacity).
  if (record.served !== true && broken.length === 0) return false;
  const byTruth = slaLimits(truth);
  const asHandled = slaLimits(profile);
  const figures = {
    ...observed,
    ...(sample?.sharing !== undefined ? { sharing: sample.sharing } : {}),
  };
  const breached = new Set(judgeSample(byTruth, figures).breaches.map((b) => b.dimension));
  return DIMENSIONS.every((dimension) => {
    const limit = byTruth[LIMIT_OF[dimension]];
    const judgedBy = asHandled[LIMIT_OF[dimension]];
    const kept = !broken.includes(dimension);
    if (limit === judgedBy) return kept;
    if (limit > judgedBy && kept) return true;
    if (limit < judgedBy && !kept) return false;
    return !breached.has(dimension);
  });
}
