/**
 * The case-study network model (paper §IV): pure, deterministic, seeded.
 * See docs/case-study-model.md for every parameter and formula.
 */
export * from './config.js';
export * from './types.js';
export * from './vnf-params.js';
export * from './network.js';
export * from './actions.js';
export * from './observation.js';
export * from './outcome.js';
export * from './env.js';
export * from './plan.js';
export * from './changes.js';
export * from './exclusion.js';
export * from './generator.js';
export { describeRequest } from './descriptions.js';
export * from './qoe-score.js';
export * from './policies/index.js';
