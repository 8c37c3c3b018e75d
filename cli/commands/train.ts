/**
 * `slicemesh train --method qappo|ppo|ppo-sla`: trains a learned placement policy on
 * the case-study model, with a live progress line on stderr, resumable
 * checkpoints, a clean stop on Ctrl-C and the reward curve (CSV + SVG).
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  DEFAULT_KNOWLEDGE_PATH,
  createOfflineInterpreter,
  type OfflineInterpreter,
} from '../../agents/interpreter/index.js';
import {
  DEFAULT_POOL_SEEDS,
  DEFAULT_SLA_SHARE,
  DEFAULT_CACHE_EVAL_SEEDS,
  INTENT_CACHE_FILE,
  IntentCache,
  LEARNED_METHODS,
  buildIntentCache,
  cacheIsCurrent,
  renderRunCurve,
  runTraining,
  type LearnedMethod,
  type ProgressReport,
} from '../../agents/orchestrator/index.js';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import { generateInstance } from '../../shared/model/index.js';
import { loadConfig } from '../../shared/runtime/config.js';

interface TrainFlags {
  method: LearnedMethod;
  steps: string;
  seed: string;
  out?: string;
  resume?: boolean;
  force?: boolean;
  poolSeeds: string;
  evalSeeds: string;
  preferences?: string;
  refreshPreferences?: boolean;
  compare?: string[];
  plotOnly?: boolean;
  preferencesOnly?: boolean;
  lr?: string;
  minRequests: string;
  slaShare: string;
  maxRequests: string;
  json?: boolean;
}

const stderr = (line: string) => process.stderr.write(`${line}\n`);

function positiveInt(value: string, name: string): number {
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new SliceMeshError('config', `${name} must be a positive integer, got "${value}"`);
  }
  return n;
}

function share(value: string): number {
  const p = Number(value);
  if (!(p >= 0 && p <= 1))
    throw new SliceMeshError('config', `--sla-share must be in [0, 1], got "${value}"`);
  return p;
}

function nonNegativeInt(value: string, name: string): number {
  return value.trim() === '0' ? 0 : positiveInt(value, name);
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

/** A one-line progress bar: redrawn in place on a terminal, a line every few seconds elsewhere. */
function createProgressBar(stream: NodeJS.WriteStream) {
  let first: { steps: number; at: number } | undefined;
  let lastLine = 0;
  return {
    update(p: ProgressReport): void {
      const now = performance.now();
      first ??= { steps: p.steps, at: now };
      const elapsed = (now - first.at) / 1000;
      // Averaged since the first update of this session; the first one reports its own rate.
      const rate = elapsed > 0 ? (p.steps - first.steps) / elapsed : p.stepsPerSecond;
      const fraction = Math.min(1, p.steps / p.totalSteps);
      const width = 24;
      const filled = Math.round(fraction * width);
      const line =
        `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ` +
        `${p.steps}/${p.totalSteps} steps | ${Math.round(rate)} steps/s | ` +
        `episode reward ${p.point.meanReward.toFixed(2)} | availability ${p.point.availability.toFixed(3)} | ` +
        `ETA ${formatDuration(rate > 0 ? (p.totalSteps - p.steps) / rate : NaN)}`;
      if (stream.isTTY) {
        const columns = Math.max(20, (stream.columns ?? 120) - 1);
        stream.write(`\r${line.slice(0, columns).padEnd(columns)}`);
      } else if (now - lastLine > 5_000 || fraction >= 1) {
        stream.write(`${line}\n`);
        lastLine = now;
      }
    },
    done(): void {
      if (stream.isTTY) stream.write('\n');
    },
  };
}

/** Texts the interpreter's behaviour is fingerprinted on: knowledge-base and generated requests. */
function probeTexts(knowledge: string): string[] {
  const fromKnowledge = knowledge
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .slice(0, 24)
    .map((line) => (JSON.parse(line) as { text: string }).text);
  return [...fromKnowledge, ...generateInstance(0, 20).requests.map((r) => r.description)];
}

/**
 * Names the interpreter path the cache comes from: its offline reasoner, a
 * hash of the knowledge base it retrieves from, and a hash of its answers on
 * a fixed probe of requests, so a changed knowledge base or a changed way of
 * reading requests makes the cache stale.
 */
async function interpreterSource(interpreter: OfflineInterpreter): Promise<string> {
  const knowledge = await readFile(DEFAULT_KNOWLEDGE_PATH, 'utf8');
  const probe = createHash('sha256');
  for (const text of probeTexts(knowledge)) {
    const out = await interpreter.interpret(text);
    probe.update(JSON.stringify([out.preference, out.profile]));
  }
  const kb = createHash('sha256').update(knowledge).digest('hex').slice(0, 12);
  return `interpreter-offline:kb-${kb}:probe-${probe.digest('hex').slice(0, 12)}`;
}

/** The training run's numeric flags, checked. */
function trainingSettings(flags: TrainFlags) {
  const lr = flags.lr === undefined ? undefined : Number(flags.lr);
  if (lr !== undefined && !(lr > 0 && lr < 1))
    throw new SliceMeshError('config', `--lr must be in (0, 1), got ${flags.lr}`);
  const minRequests = positiveInt(flags.minRequests, '--min-requests');
  const maxRequests = positiveInt(flags.maxRequests, '--max-requests');
  if (minRequests > maxRequests || maxRequests > 20) {
    throw new SliceMeshError('config', 'need --min-requests <= --max-requests <= 20');
  }
  return {
    steps: positiveInt(flags.steps, '--steps'),
    seed: nonNegativeInt(flags.seed, '--seed'),
    poolSeeds: positiveInt(flags.poolSeeds, '--pool-seeds'),
    ...(lr !== undefined
      ? { hyperparameters: { actorLearningRate: lr, criticLearningRate: lr } }
      : {}),
    shape: { minRequests, maxRequests },
    slaShare: share(flags.slaShare),
  };
}

async function loadOrBuildIntents(
  flags: TrainFlags,
  file: string,
  signal: AbortSignal,
): Promise<IntentCache> {
  const coverage = {
    poolSeeds: positiveInt(flags.poolSeeds, '--pool-seeds'),
    evalSeeds: positiveInt(flags.evalSeeds, '--eval-seeds'),
  };
  const config = loadConfig();
  const interpreter = await createOfflineInterpreter({
    index: 'memory',
    dataDir: config.mesh.dataDir,
  });
  try {
    const source = await interpreterSource(interpreter);
    let previous: IntentCache | undefined;
    try {
      previous = await IntentCache.load(file);
    } catch {
      previous = undefined;
    }
    if (previous && !flags.refreshPreferences && cacheIsCurrent(previous, coverage, source)) {
      stderr(`preference cache ${file}: ${previous.size} intents from ${previous.source}`);
      return previous;
    }
    stderr(
      `building the preference cache ${file} with the interpreter's offline path (${source})…`,
    );
    const reasoners = new Set<string>();
    const cache = await buildIntentCache({
      source,
      coverage,
      interpret: async (text, sla) => {
        const out = await interpreter.interpret(text, sla);
        reasoners.add(out.reasoner);
        return { preference: out.preference, profile: out.profile };
      },
      ...(previous && !flags.refreshPreferences ? { previous } : {}),
      onProgress: (done, total) => process.stderr.write(`\r  ${done}/${total} descriptions`),
      onPartial: (partial) => partial.save(file),
      signal,
    });
    process.stderr.write('\n');
    await cache.save(file);
    stderr(
      `preference cache: ${cache.size} intents (${[...reasoners].join(', ') || 'all reused'})`,
    );
    return cache;
  } finally {
    await interpreter.close();
  }
}

export function register(program: Command): void {
  program
    .command('train')
    .description(
      'Train a learned placement policy on the case-study model (PPO on TensorFlow.js).\n' +
        "  qappo:   state and reward carry the interpreter's QoE preference vector and the slice profile\n" +
        '  ppo-sla: the slice profile (stated or inferred) in the state, no preference vector, equal reward weights\n' +
        '  ppo:     same network and budget, no preference information, equal reward weights\n' +
        'Progress goes to stderr; Ctrl-C stops after the current update and keeps the last checkpoint.\n' +
        'Writes <out>/checkpoint.json, weights.bin, optimizer.bin, curve.csv and curve.svg.',
    )
    .addOption(
      new Option('--method <method>', 'learned method')
        .choices(LEARNED_METHODS)
        .makeOptionMandatory(),
    )
    .option('--steps <n>', 'total environment steps (including resumed ones)', '300000')
    .option('--seed <n>', 'seed of the run (weights, sampling, episodes)', '1')
    .option('--out <dir>', 'checkpoint directory (default: <SLICEMESH_MODEL_DIR>/<method>)')
    .option('--resume', 'continue the checkpoint in --out')
    .option('--force', 'overwrite an existing checkpoint in --out')
    .option(
      '--pool-seeds <n>',
      'training request pool: 20-request instances of this many training seeds',
      String(DEFAULT_POOL_SEEDS),
    )
    .option(
      '--eval-seeds <n>',
      'held-out seeds whose requests the preference cache also covers (for eval)',
      String(DEFAULT_CACHE_EVAL_SEEDS),
    )
    .option(
      '--preferences <file>',
      `preference cache (default: <SLICEMESH_MODEL_DIR>/${INTENT_CACHE_FILE})`,
    )
    .option(
      '--refresh-preferences',
      'rebuild the preference cache with the interpreter even if it is current',
    )
    .option('--min-requests <n>', 'fewest requests per training episode', '4')
    .option('--max-requests <n>', 'most requests per training episode', '20')
    .option(
      '--sla-share <p>',
      'share of training requests that state their SLA classes (the rest carry only text)',
      String(DEFAULT_SLA_SHARE),
    )
    .option('--lr <rate>', 'learning rate of actor and critic (paper: 1e-4)')
    .option('--compare <dirs...>', "other runs whose curves are drawn into this run's curve.svg")
    .option('--plot-only', 're-render curve.svg from the CSVs without training')
    .option(
      '--preferences-only',
      'build or refresh the preference cache, then exit without training',
    )
    .option('--json', 'print a JSON summary on stdout when done')
    .action(async (flags: TrainFlags) => {
      const config = loadConfig();
      const outDir = flags.out ?? path.join(config.model.dir, flags.method);
      if (flags.plotOnly) {
        const svg = await renderRunCurve(outDir, flags.compare ?? []);
        stderr(`wrote ${svg}`);
        return;
      }
      const controller = new AbortController();
      let interrupts = 0;
      const onSignal = () => {
        interrupts += 1;
        if (interrupts > 1) {
          stderr('\nsecond interrupt: exiting without waiting');
          process.exit(130);
        }
        stderr('\nstopping at the next safe point (Ctrl-C again to exit at once)…');
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        // Every flag is checked before the preference cache, which can take minutes to build.
        const settings = flags.preferencesOnly ? undefined : trainingSettings(flags);
        const intentsFile = flags.preferences ?? path.join(config.model.dir, INTENT_CACHE_FILE);
        const intents = await loadOrBuildIntents(flags, intentsFile, controller.signal);
        if (!settings) return;
        const bar = createProgressBar(process.stderr);
        const result = await runTraining({
          method: flags.method,
          ...settings,
          outDir,
          intents,
          resume: flags.resume ?? false,
          force: flags.force ?? false,
          compare: flags.compare ?? [],
          signal: controller.signal,
          log: stderr,
          onProgress: (p) => bar.update(p),
        });
        bar.done();
        const last = result.state.curve.at(-1);
        stderr(
          `${result.aborted ? 'stopped' : 'done'}: ${result.state.steps} steps in ${formatDuration(result.state.wallTimeMs / 1000)} ` +
            `on ${result.backend}; checkpoint ${result.checkpointDir}; curve ${result.curveSvg}`,
        );
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify({
              method: flags.method,
              steps: result.state.steps,
              aborted: result.aborted,
              backend: result.backend,
              wallTimeMs: Math.round(result.state.wallTimeMs),
              meanEpisodeReward: last?.meanReward ?? null,
              availability: last?.availability ?? null,
              checkpoint: result.checkpointDir,
              curveCsv: result.curveCsv,
              curveSvg: result.curveSvg,
              baselines: result.baselines,
            })}\n`,
          );
        }
        if (result.aborted) process.exitCode = 130;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
