/** Vector storage shared by the interpreter (retrieval) and the memory-curator (writes). */
export * from './types.js';
export { connectChromaStore, type ChromaStoreOptions } from './chroma-store.js';
export { createMemoryVectorStore } from './memory-store.js';
export { reembedRecords } from './reembed.js';
export { coalesceQueries, type CoalesceOptions } from './coalesce.js';
export * from './intent-entry.js';
export { DEFAULT_AGING, recencyFactor, type AgingOptions } from './aging.js';
