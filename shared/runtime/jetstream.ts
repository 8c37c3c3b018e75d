/** How a configured process creates the mesh's JetStream streams (BusOptions.jetstream). */
import type { JetStreamSettings } from '../bus/limits.js';
import type { SliceMeshConfig } from './config.js';

/** The replica count and stream limits (SLICEMESH_JETSTREAM_REPLICAS, SLICEMESH_STREAM_*), in the shape `connectBus` takes. */
export function jetstreamSettings(config: Pick<SliceMeshConfig, 'jetstream'>): JetStreamSettings {
  const js = config.jetstream;
  return {
    replicas: js.replicas,
    limits: {
      intake: {
        maxAgeMs: js.intakeMaxAgeMs,
        maxBytes: js.intakeMaxBytes,
        maxMessages: js.intakeMaxMessages,
      },
      events: {
        maxAgeMs: js.eventsMaxAgeMs,
        maxBytes: js.eventsMaxBytes,
        maxMessages: js.eventsMaxMessages,
      },
    },
  };
}
