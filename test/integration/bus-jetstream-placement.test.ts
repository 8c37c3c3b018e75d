import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_JETSTREAM_SETTINGS, DEFAULT_STREAM_LIMITS } from '../../shared/bus/index.js';
import { isSliceMeshError } from '../../shared/contracts/errors.js';
import { startTestNats, useNatsServer } from '../helpers/nats.js';

const nats = useNatsServer();

async function refusal(run: () => Promise<unknown>) {
  try {
    await run();
  } catch (error) {
    if (isSliceMeshError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('streams a server cannot hold as configured', () => {
  it('replicas above 1 on a single server are a config error naming the setting', async () => {
    const bus = await nats.connectBus({
      jetstream: { ...DEFAULT_JETSTREAM_SETTINGS, replicas: 3 },
    });
    const error = await refusal(() => bus.ensureStreams());
    expect(error.code).toBe('config');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('SLICEMESH_JETSTREAM_REPLICAS');
  });

  it('a size limit beyond the server’s file store is a config error pointing at the limits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slicemesh-small-store-'));
    const configFile = join(dir, 'small.conf');
    writeFileSync(configFile, 'jetstream { max_file_store: 64MB }\n');
    const small = await startTestNats({ configFile });
    try {
      const bus = await small.connectBus();
      // The defaults reserve 1.25 GiB: more than this server has.
      const error = await refusal(() => bus.ensureStreams());
      expect(error.code).toBe('config');
      expect(error.message).toMatch(/max_file_store/);
      expect(error.message).toContain(String(DEFAULT_STREAM_LIMITS.intake.maxBytes));
    } finally {
      await small.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
