import { describe, expect, it } from 'vitest';
import { DEFAULT_JETSTREAM_SETTINGS, DEFAULT_STREAM_LIMITS } from '../../shared/bus/index.js';
import { isSliceMeshError } from '../../shared/contracts/errors.js';
import { loadConfig } from '../../shared/runtime/config.js';
import { jetstreamSettings } from '../../shared/runtime/jetstream.js';

function refused(env: Record<string, string>): string | undefined {
  try {
    loadConfig(env);
  } catch (error) {
    if (isSliceMeshError(error) && error.code === 'config')
      return error.details?.variable as string;
    throw error;
  }
  return undefined;
}

describe('stream retention settings', () => {
  it('default to the limits the bus uses without configuration', () => {
    const settings = jetstreamSettings(loadConfig({}));
    expect(settings.limits).toEqual(DEFAULT_STREAM_LIMITS);
    expect(settings).toEqual(DEFAULT_JETSTREAM_SETTINGS);
    // Bounded by age and size: nothing on the server grows without end by default.
    for (const limits of Object.values(DEFAULT_STREAM_LIMITS)) {
      expect(limits.maxAgeMs).toBeGreaterThan(0);
      expect(limits.maxBytes).toBeGreaterThan(0);
    }
  });

  it('reads each stream’s limits from its own variables', () => {
    const settings = jetstreamSettings(
      loadConfig({
        SLICEMESH_STREAM_INTAKE_MAX_AGE_MS: '3600000',
        SLICEMESH_STREAM_INTAKE_MAX_BYTES: '2097152',
        SLICEMESH_STREAM_INTAKE_MAX_MSGS: '1000',
        SLICEMESH_STREAM_EVENTS_MAX_AGE_MS: '0',
        SLICEMESH_STREAM_EVENTS_MAX_BYTES: '0',
        SLICEMESH_STREAM_EVENTS_MAX_MSGS: '50000',
      }),
    );
    expect(settings.limits).toEqual({
      intake: { maxAgeMs: 3_600_000, maxBytes: 2_097_152, maxMessages: 1_000 },
      events: { maxAgeMs: 0, maxBytes: 0, maxMessages: 50_000 },
    });
  });

  it.each([
    ['SLICEMESH_STREAM_INTAKE_MAX_AGE_MS', '-1'],
    // Shorter than the deduplication window a retried publish relies on.
    ['SLICEMESH_STREAM_INTAKE_MAX_AGE_MS', '60000'],
    // Smaller than one message the server accepts.
    ['SLICEMESH_STREAM_EVENTS_MAX_BYTES', '4096'],
    ['SLICEMESH_STREAM_EVENTS_MAX_BYTES', '1.5'],
    ['SLICEMESH_STREAM_EVENTS_MAX_MSGS', 'many'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    expect(refused({ [name]: value })).toBe(name);
  });

  it('replicas default to 1 and accept up to 5', () => {
    expect(jetstreamSettings(loadConfig({})).replicas).toBe(1);
    expect(jetstreamSettings(loadConfig({ SLICEMESH_JETSTREAM_REPLICAS: '3' })).replicas).toBe(3);
    expect(refused({ SLICEMESH_JETSTREAM_REPLICAS: '0' })).toBe('SLICEMESH_JETSTREAM_REPLICAS');
    expect(refused({ SLICEMESH_JETSTREAM_REPLICAS: '6' })).toBe('SLICEMESH_JETSTREAM_REPLICAS');
  });
});

describe('NATS_URL', () => {
  it('takes one URL or the comma-separated URLs of a cluster’s nodes', () => {
    expect(loadConfig({ NATS_URL: 'nats://nats:4222' }).nats.url).toBe('nats://nats:4222');
    expect(
      loadConfig({ NATS_URL: ' nats://nats-1:4222, nats://nats-2:4222 ,nats://nats-3:4222,' }).nats
        .url,
    ).toBe('nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222');
  });

  it('refuses a list with an entry that is not a server URL', () => {
    expect(refused({ NATS_URL: 'nats://nats-1:4222,nats-2:4222' })).toBe('NATS_URL');
    expect(refused({ NATS_URL: ',' })).toBe('NATS_URL');
  });
});
