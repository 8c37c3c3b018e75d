/**
 * The telemetry ledger as stored in its KV bucket (`subjects.telemetryBucket`,
 * key `ledger`), so a restarted agent reports the totals it reported before.
 * `lastSeq` is the last slice-event stream sequence the ledger has applied:
 * a redelivered event at or below it is skipped, which makes applying slice
 * events idempotent however often JetStream delivers them.
 */
import { z } from 'zod';
import {
  Id,
  KpiSample,
  PreferenceVector,
  QoeFigures,
  QoeViolation,
  SliceProfile,
  SliceState,
} from '../../shared/contracts/index.js';

/** The only key of the bucket. */
export const LEDGER_KEY = 'ledger';

const Count = z.number().int().nonnegative();

/** Sums of the latest served QoE figures of `count` slices. */
export const FigureSums = z
  .object({
    count: Count,
    latencyMs: z.number().nonnegative(),
    cost: z.number().nonnegative(),
    reliabilityCost: z.number().nonnegative(),
  })
  .strict();
export type FigureSums = z.infer<typeof FigureSums>;

/** What the ledger keeps of one live slice (not its record: only what judging its samples needs). */
export const LiveSliceCheckpoint = z
  .object({
    sliceId: Id,
    state: SliceState,
    profile: SliceProfile.optional(),
    preference: PreferenceVector.optional(),
    served: z.boolean(),
    shortfalls: z.array(QoeViolation),
    trackedPlacement: z.string().max(256).optional(),
    countedServed: z.boolean(),
    figures: QoeFigures.optional(),
    lastSample: KpiSample.optional(),
    violations: Count,
    lastEventKey: z.string().max(256),
  })
  .strict();
export type LiveSliceCheckpoint = z.infer<typeof LiveSliceCheckpoint>;

export const LedgerCheckpoint = z
  .object({
    totals: z
      .object({
        requests: Count,
        served: Count,
        rejected: Count,
        failed: Count,
        violations: Count,
        adaptations: Count,
        kpiSamples: Count,
      })
      .strict(),
    endedFigures: FigureSums,
    recentlyEnded: z.array(Id),
    live: z.array(LiveSliceCheckpoint),
  })
  .strict();
export type LedgerCheckpoint = z.infer<typeof LedgerCheckpoint>;

export const StoredLedger = z
  .object({
    type: z.literal('telemetry.ledger.v1'),
    /** Last slice-event stream sequence applied (0: none). */
    lastSeq: Count,
    /** When it was written (epoch ms). */
    at: Count,
    ledger: LedgerCheckpoint,
  })
  .strict();
export type StoredLedger = z.infer<typeof StoredLedger>;
