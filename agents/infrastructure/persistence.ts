/**
 * Optional persistence of the resource state in a JetStream KV key, so a
 * restarted infrastructure agent keeps the placements the slice-manager
 * believes in. The whole state is one record, written after changes: a few KB
 * for a small plant, several MB at 10,000 slices (hence chunks and pacing).
 * Writes lag the replies (a crash may lose the last changes' record; the
 * slice-manager's reconciler finds what the restored state lacks).
 *
 * The version is kept (it is the snapshot's view version), the change log is
 * not: a restarted agent starts a new epoch with an empty log at the restored
 * version, so replicas of the earlier run take a snapshot again (see
 * docs/orchestrator.md).
 */
import { z } from 'zod';
import { ChunkedRecord } from '../../shared/bus/chunked-record.js';
import type { Bus } from '../../shared/bus/index.js';
import { Id, StateSnapshot, createSubjects } from '../../shared/contracts/index.js';
import type { Logger } from '../../shared/runtime/logger.js';
import { PacedWriter } from '../../shared/runtime/paced-writer.js';
import { REMEMBERED_DECLINES } from './resources.js';

export const InfraStateRecord = z
  .object({
    type: z.literal('infra.state.v1'),
    savedAt: z.number().int().nonnegative(),
    network: StateSnapshot,
    /** Announced traffic factor per slice. */
    loads: z.record(Id, z.number().positive()),
    /**
     * The latest slices whose refusal was counted (see DeclineRequest), so a
     * decline retried across a restart is not counted twice. Absent in states
     * saved before it was kept.
     */
    declined: z.array(Id).max(REMEMBERED_DECLINES).optional(),
  })
  .strict();
export type InfraStateRecord = z.infer<typeof InfraStateRecord>;

const STATE_KEY = 'state';

/** Name of the infrastructure's KV bucket in a namespace (the subjects module names every bucket). */
export function infraStateBucket(namespace: string): string {
  return createSubjects(namespace).infraStateBucket;
}

/**
 * Keeps the latest state: every change asks for a write, and writes are coalesced and paced
 * (PacedWriter) so one change never costs a whole encoding of the plant. The record is
 * spread over chunk keys (ChunkedRecord), since the state of a full plant outgrows one message.
 */
export class StateStore {
  readonly #record: ChunkedRecord<typeof InfraStateRecord>;
  readonly #logger: Logger;
  readonly #writer: PacedWriter;
  #latest: (() => InfraStateRecord) | undefined;

  private constructor(record: ChunkedRecord<typeof InfraStateRecord>, logger: Logger) {
    this.#record = record;
    this.#logger = logger;
    this.#writer = new PacedWriter(() => this.#writeLatest());
  }

  static async open(bus: Bus, logger: Logger): Promise<StateStore> {
    const record = await ChunkedRecord.open(
      bus,
      infraStateBucket(bus.namespace),
      STATE_KEY,
      InfraStateRecord,
    );
    return new StateStore(record, logger);
  }

  load(): Promise<InfraStateRecord | null> {
    return this.#record.load();
  }

  /**
   * Asks for the state to be written; `build` makes the record when the write starts, so
   * changes made until then are in it and a record is built once per write, not per change.
   */
  save(build: () => InfraStateRecord): void {
    this.#latest = build;
    void this.#writer.request().catch((error: unknown) => {
      // The in-memory state stays authoritative; the next change writes again.
      this.#logger.warn('could not persist the infrastructure state', { error });
    });
  }

  /** Resolves once everything asked for so far is written (or has failed and been logged). */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  async #writeLatest(): Promise<void> {
    const build = this.#latest;
    if (build !== undefined) await this.#record.save(build());
  }
}
