export * from './file-exporter.js';
export * from './instrument.js';
export * from './names.js';
export * from './propagation.js';
export * from './setup.js';
export * from './trace-files.js';
