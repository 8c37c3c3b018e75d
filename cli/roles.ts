/**
 * The roles the CLI can run (`slicemesh up`, `slicemesh agent <role>`).
 *
 * Shape: role name → factory `(deps: AgentDeps) => AgentHandle | Promise<AgentHandle>`.
 * `deps` carries the role's own bus connection, tracer, clock, logger, seed
 * and the validated config (with `nats.url`/`chroma.url` set to the URLs in
 * use). Entries are started in the order listed and stopped in reverse.
 * To add a role, name it in `ROLES` (shared/contracts/subjects.ts, the one
 * list of roles) and add one line here that imports its factory lazily; the
 * type below refuses a registry that misses a listed role or has an unlisted one:
 *
 *   'my-role': async (deps) => (await import('../agents/my-role/index.js')).createMyRoleAgent(deps),
 */
import type { Role } from '../shared/contracts/subjects.js';
import type { AgentFactory } from '../shared/runtime/agent.js';

// Each role is imported only when it is started: the orchestrator pulls in
// TensorFlow.js and the interpreter LangChain, which a `slicemesh status` or
// `slicemesh agent telemetry` should not pay for.
export const roles: Readonly<Record<Role, AgentFactory>> = {
  infrastructure: async (deps) =>
    (await import('../agents/infrastructure/index.js')).createInfrastructureAgent(deps),
  telemetry: async (deps) =>
    (await import('../agents/telemetry/index.js')).createTelemetryAgent(deps),
  orchestrator: async (deps) => {
    const { createOrchestratorAgent, orchestratorConfigFrom } =
      await import('../agents/orchestrator/index.js');
    return createOrchestratorAgent(deps, orchestratorConfigFrom(deps.config));
  },
  interpreter: async (deps) => {
    const { createInterpreterAgent, interpreterConfigFrom } =
      await import('../agents/interpreter/index.js');
    return createInterpreterAgent(deps, interpreterConfigFrom(deps.config));
  },
  'memory-curator': async (deps) =>
    (await import('../agents/memory-curator/index.js')).createMemoryCuratorAgent(deps),
  'slice-manager': async (deps) =>
    (await import('../agents/slice-manager/index.js')).createSliceManagerAgent(deps),
  'audit-log': async (deps) =>
    (await import('../agents/audit-log/index.js')).createAuditLogAgent(deps),
  api: async (deps) => (await import('../agents/api/index.js')).createApiAgent(deps),
};

/**
 * The roles a replay's own mesh runs: all but the api, an operator surface of a running
 * mesh (a port, a bearer token) that a batch run next to `slicemesh up` has no use for.
 */
export function replayRoles(): Readonly<Record<string, AgentFactory>> {
  return Object.fromEntries(Object.entries(roles).filter(([role]) => role !== 'api'));
}

/** Registered role names in start order. */
export function roleNames(): string[] {
  return Object.keys(roles);
}
