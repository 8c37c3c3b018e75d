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
});
