import { describe, expect, it } from 'vitest';
import { isSliceMeshError } from '../../shared/contracts/errors.js';
import { listSettings, loadConfig } from '../../shared/runtime/config.js';

function configError(env: Record<string, string>): {
  code: string;
  message: string;
  variable: unknown;
} {
  try {
    loadConfig(env);
  } catch (error) {
    if (!isSliceMeshError(error)) throw error;
    return { code: error.code, message: error.message, variable: error.details?.variable };
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.nats.url).toBeUndefined();
    expect(config.chroma.url).toBeUndefined();
    expect(config.mesh).toMatchObject({ namespace: 'slicemesh', dataDir: '.data', seed: 1 });
    expect(config.tracing.traceDir).toBe('traces');
    expect(config.llm.reasoner).toBe('offline');
    expect(config.embeddings.provider).toBe('wink');
    expect(config.orchestrator.method).toBe('qappo');
    expect(config.model.dir).toBe('models');
  });

  it('reads and coerces values, treating empty variables as unset', () => {
    const config = loadConfig({
      NATS_URL: 'nats://nats:4222',
      CHROMA_URL: '',
      SLICEMESH_NAMESPACE: 'replay-7',
      SLICEMESH_SEED: '42',
      SLICEMESH_HEARTBEAT_MS: '250',
      SLICEMESH_REASONER: 'openai',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
    });
    expect(config.nats.url).toBe('nats://nats:4222');
    expect(config.chroma.url).toBeUndefined();
    expect(config.mesh.namespace).toBe('replay-7');
    expect(config.mesh.seed).toBe(42);
    expect(config.mesh.heartbeatMs).toBe(250);
    expect(config.llm.reasoner).toBe('openai');
    expect(config.tracing.otlpEndpoint).toBe('http://jaeger:4318');
  });

  it.each([
    ['NATS_URL', 'localhost:4222'],
    ['SLICEMESH_NAMESPACE', 'has.dots'],
    ['SLICEMESH_SEED', '-3'],
    ['SLICEMESH_SEED', 'abc'],
    ['SLICEMESH_HEARTBEAT_MS', '0'],
    ['SLICEMESH_REASONER', 'gpt'],
    ['SLICEMESH_LOG_LEVEL', 'verbose'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'nats://x:1'],
  ])('rejects %s=%s with a config error naming the variable', (name, value) => {
    const error = configError({ [name]: value });
    expect(error.code).toBe('config');
    expect(error.variable).toBe(name);
    expect(error.message).toContain(name);
  });

  it('documents every setting with its variable', () => {
    const settings = listSettings();
    const vars = settings.map((s) => s.setting.envVar);
    expect(new Set(vars).size).toBe(vars.length);
    for (const name of [
      'NATS_URL',
      'CHROMA_URL',
      'SLICEMESH_DATA_DIR',
      'SLICEMESH_TRACE_DIR',
      'OPENAI_API_KEY',
    ]) {
      expect(vars).toContain(name);
    }
    expect(settings.every((s) => s.setting.description.length > 10)).toBe(true);
  });
});
