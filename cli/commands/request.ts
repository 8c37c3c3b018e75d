/**
 * `slicemesh request --text "..."`: submits a slice request to a running mesh
 * through the durable intake stream, follows its lifecycle events until it is
 * active (or has ended), and prints the slice.
 */
import type { Tracer } from '@opentelemetry/api';
import type { Command } from 'commander';
import { ENDPOINTS, intakeSubject } from '../../shared/contracts/endpoints.js';
import {
  DEFAULT_TENANT,
  ErrorReply,
  PREFERENCE_DIMENSIONS,
  SliceEvent,
  SliceMeshError,
  SliceRequest,
  clientIdentity,
  isSliceMeshError,
  schemaErrorCode,
  type SliceRecord,
  type SliceState,
} from '../../shared/contracts/index.js';
import { connectBus, type Bus } from '../../shared/bus/index.js';
import { addSlaOptions, slaFromFlags, tenantOption, type SlaFlags } from '../options.js';
import { setupTracing } from '../../shared/telemetry/setup.js';
import { loadConfig, type SliceMeshConfig } from '../../shared/runtime/config.js';
import {
  meshFilePath,
  readMeshFile,
  withServiceUrls,
} from '../../shared/runtime/embedded/services.js';
import { busIdentity } from '../../shared/runtime/security/index.js';
import { parseDuration } from '../../shared/scenario/duration.js';

const stderr = (line: string) => process.stderr.write(`${line}\n`);

/**
 * The configuration of the running mesh: NATS_URL (+ SLICEMESH_NAMESPACE and the configured
 * credentials), else the mesh file of `slicemesh up` (its URL, namespace and credentials).
 */
export function locateMesh(config: SliceMeshConfig): SliceMeshConfig {
  if (config.nats.url) return config;
  const mesh = readMeshFile(config.mesh.dataDir);
  if (mesh) return withServiceUrls(config, mesh);
  throw new SliceMeshError(
    'unavailable',
    `no running mesh found: ${meshFilePath(config.mesh.dataDir)} does not exist (or its process is gone) and NATS_URL is not set. ` +
      'Start a mesh with `slicemesh up`, or point NATS_URL (and SLICEMESH_NAMESPACE) at a running one.',
  );
}

/**
 * Connects a CLI client to the running mesh as `tenant`'s client identity: it may submit to
 * the intake for that tenant and read slices, nothing more.
 */
export async function connectToMesh(name: string, tenant: string, tracer?: Tracer): Promise<Bus> {
  const config = locateMesh(loadConfig());
  return connectBus({
    url: config.nats.url as string,
    namespace: config.mesh.namespace,
    name,
    connectTimeoutMs: 5_000,
    ...busIdentity(config, clientIdentity(tenant)),
    ...(tracer ? { tracer } : {}),
  });
}

/** A duration flag (`500ms`, `5s`, `2m`) in milliseconds; a typed error names the flag. */
export function durationFlag(flag: string, value: string): number {
  const parsed = parseDuration(value);
  if (!parsed.ok) throw new SliceMeshError('invalid-message', `${flag}: ${parsed.message}`);
  return parsed.ms;
}

/** A short slice id that sorts by submission time. */
function generateSliceId(now: number): string {
  const random = Math.floor(Math.random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0');
  return `slice-${now.toString(36)}-${random}`;
}

function formatNumber(value: number, digits = 1): string {
  return value.toFixed(digits);
}

/** Human-readable rendering of one slice record. */
export function formatSlice(record: SliceRecord): string {
  const lines = [`slice        ${record.sliceId}`, `state        ${record.state}`];
  lines.push(`request      ${record.text}`);
  if (record.sla && Object.keys(record.sla).length > 0) {
    lines.push(
      `explicit SLA ${Object.entries(record.sla)
        .map(([k, v]) => `${k} ${String(v)}`)
        .join(' · ')}`,
    );
  }
  if (record.demand) lines.push(`demand       cpu ${record.demand.cpu} · mem ${record.demand.mem}`);
  if (record.preference) {
    const p = record.preference;
    lines.push(
      `preference   ${PREFERENCE_DIMENSIONS.map((d) => `${d} ${p[d].toFixed(3)}`).join('  ')}`,
    );
  }
  if (record.profile) {
    const p = record.profile;
    lines.push(
      `profile      ${p.serviceType} · latency ${p.latency} · reliability ${p.reliability} · cost ${p.cost}`,
    );
  }
  if (record.plan) {
    lines.push(
      `plan         ${record.plan.method}: ${record.plan.scaling} at ${record.plan.site} (view ${record.plan.viewVersion})`,
    );
  }
  if (record.placement) {
    const p = record.placement;
    lines.push(
      `placement    ${p.site} · container ${p.containerId} · VNF nodes ${p.vnfNodeIds.length > 0 ? p.vnfNodeIds.join(', ') : '(none)'}`,
    );
  }
  if (record.observed) {
    const o = record.observed;
    lines.push(
      `observed     latency ${formatNumber(o.latencyMs)} ms · cost ${formatNumber(o.cost)} · reliability cost ${formatNumber(o.reliabilityCost)}`,
    );
  }
  if (record.served !== undefined) {
    const violated =
      record.violations && record.violations.length > 0
        ? ` (violates ${record.violations.join(', ')})`
        : '';
    lines.push(`served       ${record.served ? 'yes' : 'no'}${violated}`);
  }
  if (record.reason) lines.push(`reason       ${record.reason}`);
  if (record.error) lines.push(`error        ${record.error}`);
  if (record.traceId) lines.push(`trace        ${record.traceId}`);
  return lines.join('\n');
}

/** States at which `request` stops waiting. */
const SETTLED: ReadonlySet<SliceState> = new Set(['active', 'released', 'rejected', 'failed']);

interface RequestFlags extends SlaFlags {
  text: string;
  id?: string;
  tenant?: string;
  cpu?: string;
  mem?: string;
  lifetime?: string;
  /** false with --no-adapt. */
  adapt?: boolean;
  timeout: string;
  json?: boolean;
}

function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new SliceMeshError('invalid-message', `${flag} must be a positive number, got ${value}`);
  }
  return n;
}

/** Builds and validates `tenant`'s request message from the flags. */
export function buildRequest(
  flags: RequestFlags,
  now: number,
  tenant: string = DEFAULT_TENANT,
): SliceRequest {
  if ((flags.cpu === undefined) !== (flags.mem === undefined)) {
    throw new SliceMeshError(
      'invalid-message',
      '--cpu and --mem go together: give both or neither',
    );
  }
  const sla = slaFromFlags(flags);
  const candidate = {
    type: 'slice.request.v2',
    sliceId: flags.id ?? generateSliceId(now),
    tenant,
    text: flags.text,
    ...(Object.keys(sla).length > 0 ? { sla } : {}),
    ...(flags.cpu !== undefined && flags.mem !== undefined
      ? {
          demand: {
            cpu: positiveNumber('--cpu', flags.cpu),
            mem: positiveNumber('--mem', flags.mem),
          },
        }
      : {}),
    ...(flags.lifetime !== undefined
      ? { lifetimeMs: durationFlag('--lifetime', flags.lifetime) }
      : {}),
    ...(flags.adapt === false ? { adaptive: false } : {}),
    submittedAt: now,
  };
  const parsed = SliceRequest.safeParse(candidate);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || 'request'}: ${issue.message}`)
      .join('; ');
    // The code the bus would answer with: too long a text is payload-too-large on both.
    throw new SliceMeshError(schemaErrorCode(parsed.error), `invalid slice request: ${issues}`);
  }
  return parsed.data;
}

/** Asks the slice-manager for one slice; null when it does not know it. */
export async function getSlice(
  bus: Bus,
  sliceId: string,
  timeoutMs = 5_000,
): Promise<SliceRecord | null> {
  try {
    const reply = await bus.request(
      ENDPOINTS.sliceGet,
      { type: 'slice.get.request.v1', sliceId },
      { timeoutMs },
    );
    return reply.slice;
  } catch (error) {
    if (isSliceMeshError(error) && error.code === 'unknown-slice') return null;
    throw error;
  }
}

/** Submits `request` and resolves with the slice once it is active or has ended. */
async function submitAndFollow(
  bus: Bus,
  request: SliceRequest,
  timeoutMs: number,
  progress: (line: string) => void,
): Promise<SliceRecord> {
  const { subjects } = bus;
  const started = Date.now();
  const elapsed = () => `+${((Date.now() - started) / 1_000).toFixed(2)}s`;
  let settle: (record: SliceRecord) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const outcome = new Promise<SliceRecord>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  // Settled later by `await outcome`; a failure that arrives earlier must not count as unhandled.
  outcome.catch(() => undefined);

  // Subscribe before publishing, so no transition can slip past.
  const events = bus.subscribe(
    subjects.sliceEvent(request.tenant, request.sliceId),
    SliceEvent,
    (event) => {
      progress(
        `${elapsed().padStart(8)}  ${(event.from ?? '—').padEnd(12)} → ${event.to.padEnd(12)} ${event.cause}`,
      );
      if (SETTLED.has(event.to)) settle(event.record);
    },
  );
  // Under this identity's own inbox prefix: the only inbox it may read.
  const inbox = bus.inbox();
  const refusals = bus.subscribe(inbox, ErrorReply, (refusal) => {
    fail(
      new SliceMeshError(refusal.code, `the slice-manager refused the request: ${refusal.message}`),
    );
  });
  const timer = setTimeout(
    () =>
      fail(
        new SliceMeshError(
          'timeout',
          `slice ${request.sliceId} did not become active within ${timeoutMs} ms; ` +
            'the request is stored in JetStream and will still be handled — follow it with `slicemesh status --id ' +
            `${request.sliceId}\``,
        ),
      ),
    timeoutMs,
  );
  try {
    let known: SliceRecord | null = null;
    try {
      known = await getSlice(bus, request.sliceId, Math.min(2_000, timeoutMs));
    } catch (error) {
      if (!isSliceMeshError(error) || (error.code !== 'unavailable' && error.code !== 'timeout'))
        throw error;
      progress(
        'no slice-manager is answering yet; the request is queued in JetStream until one runs',
      );
    }
    if (known) {
      throw new SliceMeshError(
        'duplicate',
        `slice ${request.sliceId} already exists (state ${known.state}); choose another --id, or see it with \`slicemesh status --id ${request.sliceId}\``,
      );
    }
    const ack = await bus.jsPublish(intakeSubject(subjects, request), SliceRequest, request, {
      msgId: `request-${request.sliceId}`,
      replyTo: inbox,
      retryForMs: 5_000,
    });
    progress(
      `request ${request.sliceId} stored in ${ack.stream} (seq ${ack.seq}); waiting for the slice-manager`,
    );
    const settled = await outcome;
    // The latest view, in case the slice moved on since the event.
    return (await getSlice(bus, request.sliceId).catch(() => null)) ?? settled;
  } finally {
    clearTimeout(timer);
    await Promise.allSettled([events.stop(), refusals.stop()]);
  }
}

export function register(program: Command): void {
  addSlaOptions(program.command('request'))
    .description(
      'Submit a natural-language slice request to the running mesh and wait until the slice is active.\n' +
        'Connects through NATS_URL (and SLICEMESH_NAMESPACE), or to the mesh started by `slicemesh up`.\n' +
        'Progress goes to stderr; the slice (state, preference, profile, placement, observed QoE, served) to stdout.\n' +
        'Exit status: 0 when the slice is active (or already released), 1 when it was rejected, failed or timed out.',
    )
    .requiredOption(
      '--text <text>',
      'what the slice is for, e.g. "wireless control of robotic arms"',
    )
    .option('--id <id>', 'slice id (letters, digits, "_" and "-"); default: generated')
    .addOption(tenantOption('tenant the slice is requested for'))
    .option('--cpu <units>', 'CPU demand in local-server units (with --mem)')
    .option('--mem <units>', 'memory demand in local-server units (with --cpu)')
    .option(
      '--lifetime <duration>',
      'release the slice this long after it becomes active, e.g. 5s, 2m',
    )
    .option(
      '--no-adapt',
      'record SLA violations of the slice without re-placing it (default: adapt)',
    )
    .option('--timeout <duration>', 'how long to wait for the slice to become active', '30s')
    .option('--json', 'print the slice record as JSON')
    .action(async (flags: RequestFlags) => {
      const timeoutMs = durationFlag('--timeout', flags.timeout);
      const config = loadConfig();
      const tenant = flags.tenant ?? config.mesh.tenant;
      const request = buildRequest(flags, Date.now(), tenant);
      // With a collector configured the slice's trace starts here, at the user's command.
      const endpoint = config.tracing.otlpEndpoint;
      const tracing = endpoint
        ? setupTracing({ serviceName: 'slicemesh-cli', otlpEndpoint: endpoint })
        : undefined;
      const bus = await connectToMesh('cli-request', tenant, tracing?.tracer());
      try {
        const record = await submitAndFollow(bus, request, timeoutMs, stderr);
        process.stdout.write(
          flags.json ? `${JSON.stringify(record, null, 2)}\n` : `${formatSlice(record)}\n`,
        );
        if (record.state === 'rejected' || record.state === 'failed') process.exitCode = 1;
      } finally {
        await bus.drain();
        await tracing?.shutdown();
      }
    });
}
