/**
 * Optional persistence of the resource state in a JetStream KV key, so a
 * restarted infrastructure agent keeps the placements the slice-manager
 * believes in. One key holds the whole state: it is small (a few KB for a
 * plant's worth of slices) and is written after every change, in order.
 *
 * The version is kept (it is the snapshot's view version), the change log is
 * not: a restarted agent starts a new epoch with an empty log at the restored
 * version, so replicas of the earlier run take a snapshot again (see
 * docs/orchestrator.md).
 */
import { z } from 'zod';
import type { Bus, TypedKv } from '../../shared/bus/index.js';
import { Id, StateSnapshot, createSubjects } from '../../shared/contracts/index.js';
import type { Logger } from '../../shared/runtime/logger.js';
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

/** Writes the latest state after every change; writes never overlap and only the newest pending one is sent. */
export class StateStore {
  readonly #kv: TypedKv<InfraStateRecord>;
  readonly #logger: Logger;
  #pending: InfraStateRecord | undefined;
  #writing: Promise<void> | undefined;

  private constructor(kv: TypedKv<InfraStateRecord>, logger: Logger) {
    this.#kv = kv;
    this.#logger = logger;
  }

  static async open(bus: Bus, logger: Logger): Promise<StateStore> {
    const kv = await bus.kv(infraStateBucket(bus.namespace), InfraStateRecord, { history: 1 });
    return new StateStore(kv, logger);
  }

  async load(): Promise<InfraStateRecord | null> {
    return (await this.#kv.get(STATE_KEY))?.value ?? null;
  }

  /** Queues `record` for writing; earlier records still pending are superseded. */
  save(record: InfraStateRecord): void {
    this.#pending = record;
    this.#writing ??= this.#drain();
  }

  /** Resolves once everything queued so far is written (or has failed and been logged). */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending !== undefined) {
        const record = this.#pending;
        this.#pending = undefined;
        try {
          await this.#kv.put(STATE_KEY, record);
        } catch (error) {
          // The in-memory state stays authoritative; the next change writes again.
          this.#logger.warn('could not persist the infrastructure state', { error });
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }
}
