export * from './chroma.js';
export * from './nats.js';
export * from './services.js';
export { type ExitInfo, type SupervisedProcess, isPidAlive, waitUntil } from './supervise.js';
