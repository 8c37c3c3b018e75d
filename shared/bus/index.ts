export { type BusOptions, connectBus } from './bus.js';
export { type TlsFiles, readSeedFile } from './auth.js';
export { totalOf } from './counters.js';
export { retryDelayMs } from './jetstream.js';
export {
  DEFAULT_JETSTREAM_SETTINGS,
  DEFAULT_STREAM_LIMITS,
  MIN_STREAM_MAX_BYTES,
  type JetStreamSettings,
  type StreamLimits,
} from './limits.js';
export * from './types.js';
export { DEFAULT_MAX_PAYLOAD_BYTES, HEADER, errorFromReply, errorReply } from './wire.js';
