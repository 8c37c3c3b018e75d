/**
 * A learned policy loaded from a checkpoint directory that follows the
 * directory: when `checkpoint.json` changes (a training run saved a newer
 * checkpoint), the new policy replaces the old one without a restart. A
 * checkpoint that fails to load (e.g. caught half-written) leaves the old
 * policy in place and is retried on the next change.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { SliceMeshError, toSliceMeshError } from '../../shared/contracts/errors.js';
import type { Logger } from '../../shared/runtime/logger.js';
import { LearnedPolicy } from './learned-policy.js';
import { CHECKPOINT_FILE } from './ppo/checkpoint.js';

export class CheckpointSlot {
  private current: LearnedPolicy | undefined;
  private loadedStamp = '';
  private failedStamp = '';
  private lastError: SliceMeshError | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    readonly method: string,
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /** The policy in use, or a typed error saying why there is none. */
  policy(): LearnedPolicy {
    if (this.current) return this.current;
    throw (
      this.lastError ??
      new SliceMeshError('unavailable', `no ${this.method} checkpoint loaded from ${this.dir}`)
    );
  }

  get loaded(): boolean {
    return this.current !== undefined;
  }

  /** Loads the checkpoint if it changed since the last look. Never throws. */
  check(): Promise<void> {
    this.checking ??= this.reload().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  /** Starts polling the metadata file every `intervalMs` (0 = never). */
  watch(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
  }

  private async reload(): Promise<void> {
    const file = path.join(this.dir, CHECKPOINT_FILE);
    let stamp: string;
    try {
      const s = await stat(file);
      stamp = `${s.mtimeMs}:${s.size}`;
    } catch {
      if (!this.current) {
        this.lastError = new SliceMeshError(
          'unavailable',
          `no ${this.method} checkpoint at ${this.dir} (train one with slicemesh train --method ${this.method})`,
        );
      }
      return;
    }
    if (stamp === this.loadedStamp || stamp === this.failedStamp) return;
    try {
      const next = await LearnedPolicy.load(this.dir);
      const previous = this.current?.metadata.steps;
      this.current = next;
      this.loadedStamp = stamp;
      this.lastError = undefined;
      this.logger.info(previous === undefined ? 'checkpoint loaded' : 'checkpoint reloaded', {
        method: this.method,
        dir: this.dir,
        steps: next.metadata.steps,
        modelVersion: next.metadata.modelVersion,
      });
    } catch (error) {
      this.failedStamp = stamp;
      const err = toSliceMeshError(error, 'config');
      this.logger.warn('checkpoint not loaded; keeping the previous one', {
        method: this.method,
        dir: this.dir,
        error: err.message,
      });
      if (!this.current)
        this.lastError = new SliceMeshError('unavailable', err.message, { cause: err });
    }
  }
}
