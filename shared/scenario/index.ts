/** Scenario files: format, parser with line-numbered errors, durations and speeds. */
export * from './types.js';
export * from './duration.js';
export { drawDemand, DEMAND_RANGES, UNTYPED_DEMAND_RANGE, type DemandRange } from './demand.js';
export {
  parseScenario,
  loadScenarioFile,
  checkScenario,
  scenarioError,
  formatIssue,
  formatPath,
} from './parse.js';
export type { CheckResult, ParseOptions } from './parse.js';
export { sliceTruths } from './truth.js';
export { EVENT_KINDS, type EventKind, MAX_SURGE_FACTOR } from './schema.js';
