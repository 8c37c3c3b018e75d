/**
 * The one module that reads the environment. Every setting is declared once,
 * below, with the variable it comes from, its zod schema (which also supplies
 * the default) and a one-line description used by the docs.
 *
 * To add a setting: add one `setting(...)` line to the matching section (or a
 * new section) in `SECTIONS`; the typed `SliceMeshConfig` follows
 * automatically. Empty variables count as unset, so `NATS_URL=` in a compose
 * file means "use the embedded server".
 */
import { z } from 'zod';
import { SliceMeshError } from '../contracts/errors.js';
import { DEFAULT_TENANT, ID_PATTERN } from '../contracts/common.js';
import { DEFAULT_NAMESPACE } from '../contracts/subjects.js';
import {
  DEFAULT_STREAM_LIMITS,
  MIN_STREAM_MAX_AGE_MS,
  MIN_STREAM_MAX_BYTES,
} from '../bus/limits.js';
import { DEFAULT_TRACE_FILE_LIMITS } from '../telemetry/trace-files.js';

/** One environment variable, its schema (with default) and what it means. */
export interface Setting<S extends z.ZodType = z.ZodType> {
  readonly envVar: string;
  readonly schema: S;
  readonly description: string;
}

function setting<S extends z.ZodType>(envVar: string, schema: S, description: string): Setting<S> {
  return { envVar, schema, description };
}

const url = z.url({ protocol: /^(nats|tls|ws|wss|http|https)$/ });
/** One server URL or several, comma-separated (the nodes of a cluster), normalised to `a,b,c`. */
const serverList = z
  .string()
  .transform((list) =>
    list
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean),
  )
  .pipe(z.array(url).min(1))
  .transform((urls) => urls.join(','));
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();
/** A stream age limit: 0 (none) or at least the deduplication window it must cover. */
const streamAge = nonNegativeInt.refine((n) => n === 0 || n >= MIN_STREAM_MAX_AGE_MS, {
  message: `use 0 (no limit) or at least ${MIN_STREAM_MAX_AGE_MS} ms (the deduplication window of a retried publish)`,
});
/** A stream size limit: 0 (none) or enough for the largest message the server accepts. */
const streamBytes = nonNegativeInt.refine((n) => n === 0 || n >= MIN_STREAM_MAX_BYTES, {
  message: `use 0 (no limit) or at least ${MIN_STREAM_MAX_BYTES} bytes (a stream must hold its largest message)`,
});
const token = z.string().min(1).max(64).regex(ID_PATTERN, 'use letters, digits, "_" or "-"');

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every setting, grouped by the part of the mesh that uses it. */
export const SECTIONS = {
  nats: {
    url: setting(
      'NATS_URL',
      serverList.optional(),
      'NATS server URL, or comma-separated URLs of a cluster’s nodes (clients fail over between them); unset → an embedded nats-server is started (with generated credentials)',
    ),
    seedFile: setting(
      'SLICEMESH_NATS_SEED_FILE',
      z.string().min(1).optional(),
      'nkey seed file this process connects with (one identity: a single-role process, a tenant client, the operator)',
    ),
    credentialsDir: setting(
      'SLICEMESH_NATS_CREDENTIALS_DIR',
      z.string().min(1).optional(),
      'directory of `slicemesh security init`: each identity connects with its own <dir>/<identity>.nk',
    ),
    tlsCa: setting(
      'SLICEMESH_NATS_TLS_CA',
      z.string().min(1).optional(),
      'CA certificate (PEM) the NATS server certificate is checked against',
    ),
    tlsCert: setting(
      'SLICEMESH_NATS_TLS_CERT',
      z.string().min(1).optional(),
      'client certificate (PEM) for a server that verifies clients (mutual TLS)',
    ),
    tlsKey: setting(
      'SLICEMESH_NATS_TLS_KEY',
      z.string().min(1).optional(),
      'private key (PEM) of the client certificate',
    ),
  },
  jetstream: {
    replicas: setting(
      'SLICEMESH_JETSTREAM_REPLICAS',
      z.coerce.number().int().min(1).max(5).default(1),
      'copies of every stream and KV bucket the mesh creates (num_replicas); above 1 needs a NATS cluster of at least as many JetStream nodes',
    ),
    intakeMaxAgeMs: setting(
      'SLICEMESH_STREAM_INTAKE_MAX_AGE_MS',
      streamAge.default(DEFAULT_STREAM_LIMITS.intake.maxAgeMs),
      'intake stream (slice requests, a work queue): a message older than this is removed (ms); 0 = never',
    ),
    intakeMaxBytes: setting(
      'SLICEMESH_STREAM_INTAKE_MAX_BYTES',
      streamBytes.default(DEFAULT_STREAM_LIMITS.intake.maxBytes),
      'intake stream: beyond this size its oldest messages are removed (bytes); 0 = no limit',
    ),
    intakeMaxMessages: setting(
      'SLICEMESH_STREAM_INTAKE_MAX_MSGS',
      nonNegativeInt.default(DEFAULT_STREAM_LIMITS.intake.maxMessages),
      'intake stream: beyond this many messages its oldest are removed; 0 = no limit',
    ),
    eventsMaxAgeMs: setting(
      'SLICEMESH_STREAM_EVENTS_MAX_AGE_MS',
      streamAge.default(DEFAULT_STREAM_LIMITS.events.maxAgeMs),
      'event stream (slice transitions, the history late consumers replay): an event older than this is removed (ms); 0 = never',
    ),
    eventsMaxBytes: setting(
      'SLICEMESH_STREAM_EVENTS_MAX_BYTES',
      streamBytes.default(DEFAULT_STREAM_LIMITS.events.maxBytes),
      'event stream: beyond this size its oldest events are removed (bytes); 0 = no limit',
    ),
    eventsMaxMessages: setting(
      'SLICEMESH_STREAM_EVENTS_MAX_MSGS',
      nonNegativeInt.default(DEFAULT_STREAM_LIMITS.events.maxMessages),
      'event stream: beyond this many events its oldest are removed; 0 = no limit',
    ),
  },
  chroma: {
    url: setting(
      'CHROMA_URL',
      url.optional(),
      'Chroma server URL; unset → an embedded `chroma run` is started',
    ),
  },
  mesh: {
    namespace: setting(
      'SLICEMESH_NAMESPACE',
      token.default(DEFAULT_NAMESPACE),
      'prefix of every subject, stream and bucket (isolates meshes sharing one NATS)',
    ),
    dataDir: setting(
      'SLICEMESH_DATA_DIR',
      z.string().min(1).default('.data'),
      'where embedded services keep their data',
    ),
    seed: setting(
      'SLICEMESH_SEED',
      z.coerce.number().int().nonnegative().default(1),
      'seed of every stochastic component',
    ),
    heartbeatMs: setting(
      'SLICEMESH_HEARTBEAT_MS',
      positiveInt.default(5_000),
      'interval between agent heartbeats (ms)',
    ),
    tenant: setting(
      'SLICEMESH_TENANT',
      token.default(DEFAULT_TENANT),
      'tenant the CLI and the replay request slices for (overridden by --tenant)',
    ),
    tenants: setting(
      'SLICEMESH_TENANTS',
      z
        .string()
        .default(DEFAULT_TENANT)
        .transform((list) =>
          list
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        )
        .pipe(z.array(token).min(1)),
      'comma-separated tenants the embedded mesh generates client identities for (SLICEMESH_TENANT is always one)',
    ),
  },
  log: {
    level: setting(
      'SLICEMESH_LOG_LEVEL',
      z.enum(LOG_LEVELS).default('info'),
      'lowest log level written to stderr',
    ),
  },
  tracing: {
    otlpEndpoint: setting(
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      z.url({ protocol: /^https?$/ }).optional(),
      'OTLP/HTTP collector base URL (e.g. Jaeger at http://localhost:4318); spans go to <url>/v1/traces',
    ),
    traceDir: setting(
      'SLICEMESH_TRACE_DIR',
      z.string().min(1).default('traces'),
      'directory of OTLP JSON trace files (open them in Jaeger UI → Search → JSON File)',
    ),
    traceFileMaxBytes: setting(
      'SLICEMESH_TRACE_FILE_MAX_BYTES',
      positiveInt.default(DEFAULT_TRACE_FILE_LIMITS.maxBytes),
      'size at which a trace file is rotated (x.json → x.1.json …); a batch is never split across files (bytes)',
    ),
    traceFiles: setting(
      'SLICEMESH_TRACE_FILES',
      z.coerce.number().int().min(1).max(1_000).default(DEFAULT_TRACE_FILE_LIMITS.maxFiles),
      'trace files kept per run, the current one included; the oldest rotated file beyond it is deleted',
    ),
  },
  llm: {
    reasoner: setting(
      'SLICEMESH_REASONER',
      z.enum(['offline', 'openai']).default('offline'),
      'interpreter reasoning step: deterministic offline reasoner or an OpenAI-compatible LLM',
    ),
    apiKey: setting(
      'OPENAI_API_KEY',
      z.string().min(1).optional(),
      'API key of the OpenAI-compatible endpoint',
    ),
    baseUrl: setting(
      'SLICEMESH_LLM_BASE_URL',
      z.url({ protocol: /^https?$/ }).optional(),
      'base URL of an OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server…)',
    ),
    model: setting(
      'SLICEMESH_LLM_MODEL',
      z.string().min(1).optional(),
      'chat model name for the LLM reasoner',
    ),
  },
  embeddings: {
    provider: setting(
      'SLICEMESH_EMBEDDINGS',
      z.enum(['wink', 'transformers', 'openai']).default('wink'),
      'embedding provider of the interpreter and memory-curator',
    ),
  },
  orchestrator: {
    method: setting(
      'SLICEMESH_ORCHESTRATOR_METHOD',
      z.string().min(1).max(64).default('qappo'),
      'placement method of the orchestrator (qappo or a baseline)',
    ),
    viewWaitMs: setting(
      'SLICEMESH_ORCHESTRATOR_VIEW_WAIT_MS',
      nonNegativeInt.default(250),
      'how long a placement waits for the change feed to bring its replica to the version asked for before it asks the change log (ms)',
    ),
  },
  infrastructure: {
    kpiIntervalMs: setting(
      'SLICEMESH_KPI_INTERVAL_MS',
      z.coerce.number().int().nonnegative().default(1_000),
      'interval between KPI samples of every active slice (ms); 0 = only on changes',
    ),
    fluctuation: setting(
      'SLICEMESH_TRAFFIC_FLUCTUATION',
      z.coerce.number().min(0).lt(1).default(0),
      'seeded traffic fluctuation amplitude in [0, 1): each KPI tick scales a load by 1 ± up to this',
    ),
    persist: setting(
      'SLICEMESH_INFRA_PERSIST',
      z.stringbool().default(true),
      'keep the resource state in a JetStream KV key so a restarted infrastructure agent resumes it',
    ),
    changeLog: setting(
      'SLICEMESH_INFRA_CHANGE_LOG',
      positiveInt.default(4_096),
      'changes of the resource state the infrastructure keeps for replicas catching up; one further behind reads a snapshot',
    ),
  },
  telemetry: {
    prometheusPort: setting(
      'SLICEMESH_PROMETHEUS_PORT',
      z.coerce.number().int().min(-1).max(65_535).default(9464),
      'Prometheus scrape port of the telemetry agent; 0 = any free port (logged), -1 = disabled',
    ),
  },
  sliceManager: {
    interpretTimeoutMs: setting(
      'SLICEMESH_INTERPRET_TIMEOUT_MS',
      positiveInt.default(30_000),
      'how long a slice waits for the interpreter per attempt (ms); raise it for slow local LLMs',
    ),
    callTimeoutMs: setting(
      'SLICEMESH_CALL_TIMEOUT_MS',
      positiveInt.default(10_000),
      'how long a slice waits for the orchestrator or infrastructure per attempt (ms)',
    ),
    callAttempts: setting(
      'SLICEMESH_CALL_ATTEMPTS',
      z.coerce.number().int().min(1).max(1_000).default(100),
      'most attempts per call of a slice lifecycle (timeouts and retryable errors); a cap, the retry budget normally ends a call first',
    ),
    callRetryBudgetMs: setting(
      'SLICEMESH_CALL_RETRY_BUDGET_MS',
      positiveInt.default(30_000),
      'how long after its first failure a call of a slice lifecycle may still start a retry (ms); outlasts a role restart',
    ),
    callRetryBaseMs: setting(
      'SLICEMESH_CALL_RETRY_BASE_MS',
      z.coerce.number().int().nonnegative().default(250),
      'pause before the first retry of a call (ms); each further retry doubles it',
    ),
    callRetryMaxMs: setting(
      'SLICEMESH_CALL_RETRY_MAX_MS',
      z.coerce.number().int().nonnegative().default(5_000),
      'longest pause between two attempts of a call (ms)',
    ),
    callRetryJitter: setting(
      'SLICEMESH_CALL_RETRY_JITTER',
      z.coerce.number().min(0).max(1).default(0.5),
      'share of each retry pause drawn at random from the seed (0 = none, 1 = anywhere below the pause)',
    ),
    reconcileIntervalMs: setting(
      'SLICEMESH_RECONCILE_INTERVAL_MS',
      z.coerce.number().int().nonnegative().default(30_000),
      'between two reconciliations of the slice records with the infrastructure’s reservations (ms); 0 = off',
    ),
    partitionLeaseMs: setting(
      'SLICEMESH_PARTITION_LEASE_MS',
      z.coerce.number().int().min(1_000).default(10_000),
      'how long a slice-manager instance’s claim on its intake partitions lasts unless renewed (ms): after a crash, its partitions move to the other instances within this time',
    ),
    finishedRetentionMs: setting(
      'SLICEMESH_FINISHED_RETENTION_MS',
      z.coerce.number().int().nonnegative().default(3_600_000),
      'how long a released, rejected or failed slice’s record stays queryable before it is compacted away (ms); 0 = kept for ever',
    ),
    preparingLimit: setting(
      'SLICEMESH_PREPARING_LIMIT',
      positiveInt.default(64),
      'slices one slice-manager instance takes on their way to active at once; further requests wait in the durable intake',
    ),
  },
  memory: {
    maxEntries: setting(
      'SLICEMESH_MEMORY_MAX_ENTRIES',
      positiveInt.default(5_000),
      'most entries the memory bank holds; beyond it the least retained entry is evicted (logged, counted)',
    ),
    mergeSimilarity: setting(
      'SLICEMESH_MEMORY_MERGE_SIMILARITY',
      z.coerce.number().gt(0).lte(1).default(0.93),
      'cosine similarity from which a slice outcome is merged into an existing memory entry instead of stored anew (embedding-provider specific)',
    ),
  },
  api: {
    httpPort: setting(
      'SLICEMESH_HTTP_PORT',
      z.coerce.number().int().min(0).max(65_535).default(8080),
      'HTTP port of the api role (TMF921 and the dashboard); 0 = any free port (written to mesh.json)',
    ),
    httpHost: setting(
      'SLICEMESH_HTTP_HOST',
      z.string().min(1).default('127.0.0.1'),
      'address the api role listens on (0.0.0.0 in a container)',
    ),
    tokenFile: setting(
      'SLICEMESH_API_TOKEN_FILE',
      z.string().min(1).optional(),
      'file holding the api role’s bearer token (default <credentials dir>/api.token, generated with the mesh’s credentials)',
    ),
    jaegerUrl: setting(
      'SLICEMESH_JAEGER_URL',
      z.url({ protocol: /^https?$/ }).optional(),
      'base URL of the Jaeger UI the dashboard links trace ids to',
    ),
  },
  audit: {
    dir: setting(
      'SLICEMESH_AUDIT_DIR',
      z.string().min(1).optional(),
      'directory of the audit-log role’s JSONL trails (default <data dir>/audit)',
    ),
  },
  model: {
    dir: setting(
      'SLICEMESH_MODEL_DIR',
      z.string().min(1).default('models'),
      'where trained policies and caches are stored',
    ),
  },
} as const satisfies Record<string, Record<string, Setting>>;

type Sections = typeof SECTIONS;

/** The typed, validated configuration handed down to every component. */
export type SliceMeshConfig = {
  readonly [S in keyof Sections]: {
    readonly [K in keyof Sections[S]]: Sections[S][K] extends Setting<infer Z>
      ? z.output<Z>
      : never;
  };
};

/** Every setting as a flat list (for docs and `--help` output). */
export function listSettings(): { section: string; key: string; setting: Setting }[] {
  const out: { section: string; key: string; setting: Setting }[] = [];
  for (const [section, settings] of Object.entries(SECTIONS)) {
    for (const [key, s] of Object.entries(settings as Record<string, Setting>))
      out.push({ section, key, setting: s });
  }
  return out;
}

/**
 * Reads and validates the configuration from `env` (default `process.env`).
 * Throws `SliceMeshError('config')` naming the offending variable.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env,
): SliceMeshConfig {
  const result: Record<string, Record<string, unknown>> = {};
  for (const { section, key, setting: s } of listSettings()) {
    const raw = env[s.envVar];
    const value = raw === undefined || raw.trim() === '' ? undefined : raw.trim();
    const parsed = s.schema.safeParse(value);
    if (!parsed.success) {
      const reason = parsed.error.issues.map((i) => i.message).join('; ');
      throw new SliceMeshError(
        'config',
        `${s.envVar}=${JSON.stringify(raw)} is invalid: ${reason}`,
        {
          details: { variable: s.envVar },
        },
      );
    }
    (result[section] ??= {})[key] = parsed.data;
  }
  return result as SliceMeshConfig;
}
