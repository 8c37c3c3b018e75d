export * from './common.js';
export * from './errors.js';
export * from './limits.js';
export * from './placement.js';
export * from './messages.js';
export * from './subjects.js';
export * from './endpoints.js';
export * from './permissions.js';
