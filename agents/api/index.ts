/**
 * The api role: TMF921 Intent Management v5 over HTTP and the live dashboard (docs/api.md).
 * Only this module is imported from outside the folder.
 */
export { API_ROLE, apiConfigFrom, createApiAgent, type ApiAgent, type ApiConfig } from './agent.js';
export { INTENT_LIFECYCLE, lifecycleStatusOf } from './lifecycle.js';
export { RELIABILITY_PERCENT, slaFromTargets, targetsOf } from './targets.js';
export { complianceOf } from './report.js';
export { BODY_LIMIT_BYTES } from './server.js';
export { BASE_PATH } from './intent.js';
export * as apiSchemas from './schemas.js';
