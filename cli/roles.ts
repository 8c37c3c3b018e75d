/**
 * The roles the CLI can run (`slicemesh up`, `slicemesh agent <role>`).
 *
 * Shape: role name → factory `(deps: AgentDeps) => AgentHandle | Promise<AgentHandle>`.
 * `deps` carries the role's own bus connection, tracer, clock, logger, seed
 * and the validated config (with `nats.url`/`chroma.url` set to the URLs in
 * use). Entries are started in the order listed and stopped in reverse.
 * To add a role, import its factory from `agents/<role>/index.js` and add one line:
 *
 *   'orchestrator': (deps) => createOrchestratorAgent(deps, orchestratorConfigFrom(deps.config)),
 */
import { createAuditLogAgent } from '../agents/audit-log/index.js';
import { createInfrastructureAgent } from '../agents/infrastructure/index.js';
import { createInterpreterAgent, interpreterConfigFrom } from '../agents/interpreter/index.js';
import { createMemoryCuratorAgent } from '../agents/memory-curator/index.js';
import { createOrchestratorAgent, orchestratorConfigFrom } from '../agents/orchestrator/index.js';
import { createSliceManagerAgent } from '../agents/slice-manager/index.js';
import { createTelemetryAgent } from '../agents/telemetry/index.js';
import type { AgentFactory } from '../shared/runtime/agent.js';

export const roles: Readonly<Record<string, AgentFactory>> = {
  infrastructure: (deps) => createInfrastructureAgent(deps),
  telemetry: (deps) => createTelemetryAgent(deps),
  orchestrator: (deps) => createOrchestratorAgent(deps, orchestratorConfigFrom(deps.config)),
  interpreter: (deps) => createInterpreterAgent(deps, interpreterConfigFrom(deps.config)),
  'memory-curator': (deps) => createMemoryCuratorAgent(deps),
  'slice-manager': (deps) => createSliceManagerAgent(deps),
  'audit-log': (deps) => createAuditLogAgent(deps),
};

/** Registered role names in start order. */
export function roleNames(): string[] {
  return Object.keys(roles);
}
