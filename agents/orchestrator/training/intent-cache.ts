/**
 * The interpreter's outputs for generated request descriptions, cached in a
 * JSON file so training and evaluation need neither the interpreter nor the
 * network. Keys are SHA-256 prefixes of the description text; values are the
 * preference vector and the inferred profile.
 *
 * The file records a fingerprint of the description generator: when the
 * model's templates change, the fingerprint changes and the cache must be
 * rebuilt (`slicemesh train` does it before training).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  COST_CLASSES,
  PRIORITY_CLASSES,
  SERVICE_TYPES,
  PreferenceVector,
  SliceProfile,
} from '../../../shared/contracts/common.js';
import { SliceMeshError } from '../../../shared/contracts/errors.js';
import {
  SEED_RANGES,
  evaluationSeeds,
  generateInstance,
  type ModelRequest,
} from '../../../shared/model/index.js';
import type { Intent } from '../features.js';

export const INTENT_CACHE_FILE = 'preference-cache.json';
/** What a complete cache holds per request: the text-only and the SLA-stated interpretation. */
const CACHE_VARIANTS = 'text+sla';
const FORMAT = 'slicemesh.preference-cache.v1';

/**
 * Key of a request in the cache: its description, plus its SLA classes when
 * the request states them (the interpreter then returns those classes and may
 * weigh the text differently).
 */
export function descriptionKey(description: string, sla?: SliceProfile): string {
  const h = createHash('sha256').update(description);
  if (sla) h.update(`\u0000sla:${sla.serviceType}/${sla.latency}/${sla.reliability}/${sla.cost}`);
  return h.digest('hex').slice(0, 20);
}

/**
 * A fingerprint of the generator's descriptions: a hash over the texts of
 * a fixed sample. Any change to the templates or the generator changes it.
 */
export function generatorFingerprint(): string {
  const h = createHash('sha256');
  for (let seed = 0; seed < 8; seed++) {
    for (const r of generateInstance(seed, 20).requests) h.update(r.description).update('\n');
  }
  return h.digest('hex').slice(0, 16);
}

// Compact entry: [latency, reliability, economics, throughput, service, latencyClass, reliabilityClass, costClass]
const Entry = z.tuple([
  z.number(),
  z.number(),
  z.number(),
  z.number(),
  z.number().int(),
  z.number().int(),
  z.number().int(),
  z.number().int(),
]);

const CacheFile = z
  .object({
    format: z.literal(FORMAT),
    /** Who produced the intents, e.g. the interpreter's reasoner name. */
    source: z.string().min(1),
    generator: z.string(),
    createdAt: z.string(),
    /** Which instances the cache covers (for reports). */
    coverage: z.record(z.string(), z.unknown()),
    entries: z.record(z.string(), Entry),
  })
  .strict();
type CacheFile = z.infer<typeof CacheFile>;

function encode(intent: Intent): z.infer<typeof Entry> {
  const p = intent.preference;
  const r = (x: number) => Math.round(x * 1e6) / 1e6;
  return [
    r(p.latency),
    r(p.reliability),
    r(p.economics),
    r(p.throughput),
    SERVICE_TYPES.indexOf(intent.profile.serviceType),
    PRIORITY_CLASSES.indexOf(intent.profile.latency),
    PRIORITY_CLASSES.indexOf(intent.profile.reliability),
    COST_CLASSES.indexOf(intent.profile.cost),
  ];
}

function decode(e: z.infer<typeof Entry>): Intent | undefined {
  const [lat, rel, eco, thr, st, lc, rc, cc] = e;
  const total = lat + rel + eco + thr;
  const preference = PreferenceVector.safeParse({
    latency: lat / total,
    reliability: rel / total,
    economics: eco / total,
    throughput: thr / total,
  });
  const profile = SliceProfile.safeParse({
    serviceType: SERVICE_TYPES[st],
    latency: PRIORITY_CLASSES[lc],
    reliability: PRIORITY_CLASSES[rc],
    cost: COST_CLASSES[cc],
  });
  if (!preference.success || !profile.success) return undefined;
  return { preference: preference.data, profile: profile.data };
}

/**
 * The command that builds or extends the preference cache so it covers the
 * first `evalSeeds` held-out seeds, for error messages.
 */
export function preferenceCacheCommand(evalSeeds?: number): string {
  return `slicemesh train --method qappo --preferences-only --eval-seeds ${evalSeeds ?? 'N'}`;
}

/** Intents by description, with the provenance of the cache they came from. */
export class IntentCache {
  private readonly entries = new Map<string, Intent>();

  constructor(
    readonly source: string,
    readonly generator: string,
    readonly coverage: Record<string, unknown> = {},
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** `sla`: the classes the request states explicitly, if it does. */
  has(description: string, sla?: SliceProfile): boolean {
    return this.entries.has(descriptionKey(description, sla));
  }

  get(description: string, sla?: SliceProfile): Intent | undefined {
    return this.entries.get(descriptionKey(description, sla));
  }

  set(description: string, intent: Intent, sla?: SliceProfile): void {
    this.entries.set(descriptionKey(description, sla), intent);
  }

  /**
   * The intent of a generated request, interpreted from its text alone or,
   * with `stated`, from its text and its SLA classes. Throws a typed error
   * naming the fix when it is not cached.
   */
  require(request: Pick<ModelRequest, 'id' | 'description' | 'profile'>, stated = false): Intent {
    const intent = this.get(request.description, stated ? request.profile : undefined);
    if (intent === undefined) {
      throw new SliceMeshError(
        'config',
        `no interpreter output cached for request ${request.id}${stated ? ' with its SLA' : ''}; rebuild the preference cache (slicemesh train --refresh-preferences)`,
      );
    }
    return intent;
  }

  async save(file: string): Promise<void> {
    const out: CacheFile = {
      format: FORMAT,
      source: this.source,
      generator: this.generator,
      createdAt: new Date().toISOString(),
      coverage: this.coverage,
      entries: Object.fromEntries([...this.entries].map(([k, v]) => [k, encode(v)])),
    };
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(out) + '\n');
    await rename(tmp, file);
  }

  static async load(file: string): Promise<IntentCache> {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new SliceMeshError('config', `cannot read the preference cache ${file}`, {
        cause: error,
      });
    }
    const parsed = CacheFile.safeParse(json);
    if (!parsed.success) {
      throw new SliceMeshError('config', `${file} is not a preference cache of this version`);
    }
    const cache = new IntentCache(parsed.data.source, parsed.data.generator, parsed.data.coverage);
    for (const [key, value] of Object.entries(parsed.data.entries)) {
      const intent = decode(value);
      if (intent === undefined)
        throw new SliceMeshError('config', `${file}: entry ${key} is malformed`);
      cache.entries.set(key, intent);
    }
    return cache;
  }
}

/** Where the cache's descriptions come from: the training pool and the first evaluation seeds. */
export interface CacheCoverage {
  /** Training pool: the 20-request instances of training seeds 0..poolSeeds-1. */
  poolSeeds: number;
  /** Evaluation: the 20-request instances of the first `evalSeeds` held-out seeds. */
  evalSeeds: number;
}

/** The requests a cache with `coverage` must hold an intent for. */
export function coveredRequests(coverage: CacheCoverage): ModelRequest[] {
  const out: ModelRequest[] = [];
  for (let s = 0; s < coverage.poolSeeds; s++)
    out.push(...generateInstance(SEED_RANGES.training.min + s, 20).requests);
  for (const seed of evaluationSeeds(coverage.evalSeeds))
    out.push(...generateInstance(seed, 20).requests);
  return out;
}

export interface BuildCacheOptions {
  /** Name of the interpreter path that produced the intents (e.g. its reasoner). */
  source: string;
  coverage: CacheCoverage;
  /** Turns one request text (with the SLA classes it states, if any) into the interpreter's intent. */
  interpret: (text: string, sla?: SliceProfile) => Promise<Intent>;
  /** A previous cache: entries it already holds are reused when source and generator match. */
  previous?: IntentCache;
  onProgress?: (done: number, total: number) => void;
  /** Called with the partial cache every `checkpointEvery` new intents, so an interrupted build can resume. */
  onPartial?: (partial: IntentCache) => Promise<void>;
  checkpointEvery?: number;
  signal?: AbortSignal;
}

/** Runs every covered description through the interpreter (reusing a still-valid previous cache). */
export async function buildIntentCache(options: BuildCacheOptions): Promise<IntentCache> {
  const generator = generatorFingerprint();
  // Marked incomplete until the last request is in, so a partial save is never taken as current.
  const coverage: Record<string, unknown> = {
    ...options.coverage,
    variants: CACHE_VARIANTS,
    complete: false,
  };
  const cache = new IntentCache(options.source, generator, coverage);
  const previous =
    options.previous &&
    options.previous.source === options.source &&
    options.previous.generator === generator
      ? options.previous
      : undefined;
  const requests = coveredRequests(options.coverage);
  // Every request twice: as text alone, and with its SLA classes stated.
  const jobs = requests.flatMap((r) => [
    { text: r.description, sla: undefined },
    { text: r.description, sla: r.profile },
  ]);
  let done = 0;
  let fresh = 0;
  for (const job of jobs) {
    if (options.signal?.aborted) {
      await options.onPartial?.(cache);
      throw new SliceMeshError('unavailable', 'preference cache build interrupted (progress kept)');
    }
    if (!cache.has(job.text, job.sla)) {
      const known = previous?.get(job.text, job.sla);
      cache.set(job.text, known ?? (await options.interpret(job.text, job.sla)), job.sla);
      if (known === undefined && ++fresh % (options.checkpointEvery ?? 1_000) === 0) {
        await options.onPartial?.(cache);
      }
    }
    done += 1;
    if (done % 250 === 0 || done === jobs.length) options.onProgress?.(done, jobs.length);
    // The interpreter may answer without a macrotask: yield so signals (Ctrl-C) are handled.
    if (done % 25 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  coverage.complete = true;
  return cache;
}

/**
 * True when `cache` was built by `source` from the current generator and
 * covers at least `coverage`.
 */
export function cacheIsCurrent(
  cache: IntentCache,
  coverage: CacheCoverage,
  source: string,
): boolean {
  if (cache.generator !== generatorFingerprint() || cache.source !== source) return false;
  const c = cache.coverage as Partial<CacheCoverage> & { variants?: unknown; complete?: unknown };
  return (
    c.complete !== false &&
    (c.poolSeeds ?? 0) >= coverage.poolSeeds &&
    (c.evalSeeds ?? 0) >= coverage.evalSeeds &&
    c.variants === CACHE_VARIANTS
  );
}
