/**
 * What the end-to-end tests share: a real nats-server and a real Chroma per
 * test file (temp data dirs, free ports), the mesh's configuration for them,
 * replays through `localMesh` (every registered role, or a chosen subset),
 * and readers for the OTLP JSON trace files the replays write.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { replayRoles } from '../../cli/roles.js';
import { localMesh } from '../../cli/replay/local-mesh.js';
import { runReplay, type ReplayOptions, type ReplayRun } from '../../cli/replay/runner.js';
import type { AgentFactory } from '../../shared/runtime/agent.js';
import { loadConfig, type SliceMeshConfig } from '../../shared/runtime/config.js';
import { createLogger, type Logger } from '../../shared/runtime/logger.js';
import { startTestChroma, type TestChroma } from '../helpers/chroma.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';

/**
 * The project's data dir: only the embedding cache is read from it (built once,
 * shared with the other suites); servers, traces, audit trails and models go
 * to temp dirs.
 */
const PROJECT_DATA_DIR = fileURLToPath(new URL('../../.data', import.meta.url));

/** KPI interval of the e2e meshes: short, so a surge's quiet period passes quickly. */
export const E2E_KPI_INTERVAL_MS = 250;

export interface E2eServices {
  /** The file's nats-server (open); absent with `nats: 'embedded'` (reading it throws). */
  readonly nats: TestNats;
  readonly chroma: TestChroma;
  /** Temp dir for traces, audit trails and (absent) model checkpoints. */
  readonly workDir: string;
  /** The environment the mesh runs with (also handed to agent processes). */
  readonly env: Record<string, string>;
  readonly config: SliceMeshConfig;
}

export interface E2eServicesOptions {
  /**
   * `external` (default): one open nats-server for the file, as NATS_URL. `embedded`: no
   * NATS_URL, so each replay starts its own embedded nats-server with generated credentials
   * and every role connects as itself, exactly as `npm start` does.
   */
  readonly nats?: 'external' | 'embedded';
}

/**
 * A data dir of the file's own (the embedded servers' data, credentials and logs) that
 * shares the project's embedding cache, which is built once for every suite.
 */
function e2eDataDir(workDir: string): string {
  const dataDir = join(workDir, 'data');
  const cache = join(PROJECT_DATA_DIR, 'embeddings');
  mkdirSync(cache, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  symlinkSync(cache, join(dataDir, 'embeddings'));
  return dataDir;
}

/** Starts nats-server and Chroma for the file (beforeAll) and removes everything afterwards. */
export function useE2eServices(
  extraEnv: Record<string, string> = {},
  options: E2eServicesOptions = {},
): () => E2eServices {
  let services: E2eServices | undefined;
  let servers: TestNats | undefined;
  const embedded = options.nats === 'embedded';
  beforeAll(async () => {
    const [nats, chroma] = await Promise.all([
      embedded ? undefined : startTestNats(),
      startTestChroma(),
    ]);
    const workDir = mkdtempSync(join(tmpdir(), 'slicemesh-e2e-'));
    const env: Record<string, string> = {
      ...(nats ? { NATS_URL: nats.url } : {}),
      CHROMA_URL: chroma.url,
      SLICEMESH_DATA_DIR: embedded ? e2eDataDir(workDir) : PROJECT_DATA_DIR,
      SLICEMESH_TRACE_DIR: join(workDir, 'traces'),
      SLICEMESH_AUDIT_DIR: join(workDir, 'audit'),
      SLICEMESH_MODEL_DIR: join(workDir, 'models'),
      SLICEMESH_PROMETHEUS_PORT: '-1',
      // Never the default 8080: suites run side by side (and next to a developer's mesh).
      SLICEMESH_HTTP_PORT: '0',
      SLICEMESH_KPI_INTERVAL_MS: String(E2E_KPI_INTERVAL_MS),
      SLICEMESH_LOG_LEVEL: 'warn',
      ...extraEnv,
    };
    const config = loadConfig(env);
    services = {
      get nats(): TestNats {
        if (!nats)
          throw new Error('this file replays through embedded nats-servers: no file server');
        return nats;
      },
      chroma,
      workDir,
      env,
      config,
    };
    servers = nats;
  });
  afterAll(async () => {
    const s = services;
    services = undefined;
    if (!s) return;
    await Promise.allSettled([servers?.dispose(), s.chroma.dispose()]);
    rmSync(s.workDir, { recursive: true, force: true });
  });
  return () => {
    if (!services) throw new Error('e2e services are only available inside tests and hooks');
    return services;
  };
}

export interface E2eReplayOptions extends Omit<ReplayOptions, 'startMesh'> {
  /** Roles to run in this process (default: every registered role). */
  readonly roles?: readonly string[];
  /** Progress lines of the replay (default: dropped). */
  readonly progress?: (line: string) => void;
  /** The mesh's logger (default: warnings and errors to stderr). */
  readonly logger?: Logger;
  /** Keep the run's streams, collections and generated credentials afterwards. */
  readonly keepStreams?: boolean;
}

/** Replays a scenario through the live mesh on the file's servers. */
export function replayThroughMesh(
  services: E2eServices,
  options: E2eReplayOptions,
): Promise<ReplayRun> {
  const registry: Record<string, AgentFactory> = {};
  for (const [role, factory] of Object.entries(replayRoles()))
    if (!options.roles || options.roles.includes(role)) registry[role] = factory;
  const logger = options.logger ?? createLogger({ level: 'warn', fields: { test: 'e2e' } });
  return runReplay({
    settleTimeoutMs: 60_000,
    ...options,
    startMesh: localMesh({
      config: services.config,
      registry,
      logger,
      graceMs: 5_000,
      ...(options.keepStreams === undefined ? {} : { keepStreams: options.keepStreams }),
    }),
  });
}

/** One span of an OTLP JSON trace file, flattened. */
export interface TraceSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** `service.name` of the resource that recorded it. */
  readonly service: string;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpFile {
  resourceSpans: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        attributes?: OtlpAttribute[];
      }[];
    }[];
  }[];
}

function attributeMap(attributes: OtlpAttribute[] = []): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of attributes) {
    const v =
      value.stringValue ??
      (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
      value.doubleValue ??
      value.boolValue;
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** Every span of an OTLP JSON trace file (the format Jaeger UI uploads). */
export function readTraceFile(path: string): TraceSpan[] {
  const file = JSON.parse(readFileSync(path, 'utf8')) as OtlpFile;
  const spans: TraceSpan[] = [];
  for (const rs of file.resourceSpans) {
    const service = String(attributeMap(rs.resource?.attributes)['service.name'] ?? '');
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId || undefined,
          name: s.name,
          service,
          attributes: attributeMap(s.attributes),
        });
      }
    }
  }
  return spans;
}
