/**
 * `slicemesh eval`: reproduces Fig. 5 of the paper — every method on the
 * same held-out instances of the case-study model, per number of requests —
 * as a table with 95% confidence intervals, optionally as JSON and as the
 * four SVG panels.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Option, type Command } from 'commander';
import type { IntentCache } from '../../agents/orchestrator/index.js';
import type { SliceProfile } from '../../shared/contracts/common.js';
import { SliceMeshError } from '../../shared/contracts/errors.js';
import {
  BUILTIN_POLICIES,
  MAX_INSTANCE_REQUESTS,
  SEED_RANGES,
  evaluationSeeds,
  hasPolicy,
  listPolicies,
  type ModelRequest,
} from '../../shared/model/index.js';
import {
  INTENT_MODES,
  evaluate,
  formatReportTable,
  renderFigure5,
  type IntentMode,
} from '../../shared/model/report/index.js';
import { loadConfig } from '../../shared/runtime/config.js';

interface EvalFlags {
  methods: string;
  requests: string;
  seeds: string;
  firstSeed: string;
  intent: IntentMode;
  json?: string;
  plot?: string;
  plugin: string[];
  listMethods?: boolean;
}

/** What a method provider is handed: the preference cache, when the evaluation already loaded it. */
interface ProviderContext {
  intents?: IntentCache;
}

/**
 * Methods registered by other modules, loaded only when asked for (they may
 * pull in heavy dependencies such as TensorFlow.js, which is why the learned
 * methods are named here rather than imported).
 */
const METHOD_PROVIDERS: readonly {
  methods: readonly string[];
  load: (context: ProviderContext) => Promise<void>;
}[] = [
  {
    methods: ['qappo', 'ppo', 'ppo-sla'],
    load: async ({ intents }) => {
      const orchestrator = await import('../../agents/orchestrator/index.js');
      orchestrator.registerLearnedPolicies(intents ? { intents } : {});
    },
  },
];

/**
 * The interpreter's profile of each request from its text alone, read from
 * the preference cache, which covers the first held-out seeds. `evalSeeds`:
 * how many held-out seeds the evaluation reaches, for the fix in the error.
 */
export async function textProfiles(evalSeeds: number): Promise<{
  intents: IntentCache;
  inferProfile: (request: ModelRequest) => SliceProfile;
}> {
  const orchestrator = await import('../../agents/orchestrator/index.js');
  const fix = `build it with ${orchestrator.preferenceCacheCommand(evalSeeds)}`;
  const file = path.join(loadConfig().model.dir, orchestrator.INTENT_CACHE_FILE);
  let intents: IntentCache;
  try {
    intents = await orchestrator.IntentCache.load(file);
  } catch (error) {
    throw new SliceMeshError('config', `--intent text: ${(error as Error).message}; ${fix}`, {
      cause: error,
    });
  }
  return {
    intents,
    inferProfile: (request) => {
      const intent = intents.get(request.description);
      if (intent === undefined) {
        throw new SliceMeshError(
          'config',
          `--intent text: the preference cache ${file} holds no text-only interpretation of request ${request.id}; ${fix}`,
        );
      }
      return intent.profile;
    },
  };
}

function parseList(value: string, name: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.length === 0) throw new SliceMeshError('config', `--${name} needs at least one value`);
  if (new Set(items).size !== items.length)
    throw new SliceMeshError('config', `--${name} lists a value twice`);
  return items;
}

function parseCount(value: string, name: string, max: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new SliceMeshError(
      'config',
      `${name} must be an integer from 1 to ${max}, got "${value}"`,
    );
  }
  return n;
}

async function ensureMethods(
  methods: readonly string[],
  plugins: readonly string[],
  context: ProviderContext = {},
): Promise<void> {
  for (const plugin of plugins) {
    try {
      await import(pathToFileURL(path.resolve(plugin)).href);
    } catch (error) {
      throw new SliceMeshError(
        'config',
        `could not load plugin ${plugin}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  for (const provider of METHOD_PROVIDERS) {
    if (methods.some((m) => provider.methods.includes(m) && !hasPolicy(m)))
      await provider.load(context);
  }
  const unknown = methods.filter((m) => !hasPolicy(m));
  if (unknown.length > 0) {
    const known = listPolicies().map((p) => p.name);
    const offered = [...new Set([...known, ...METHOD_PROVIDERS.flatMap((p) => p.methods)])];
    throw new SliceMeshError(
      'config',
      `unknown method(s) ${unknown.join(', ')}; known: ${offered.join(', ')}`,
    );
  }
}

/** Progress on stderr once the run has taken more than a second: redrawn on a terminal, a line every 10% otherwise. */
function createProgress(stream: NodeJS.WriteStream) {
  const started = performance.now();
  let shown = false;
  let lastDecile = -1;
  return {
    update(done: number, total: number, method: string, requests: number): void {
      const elapsed = (performance.now() - started) / 1000;
      if (elapsed < 1 && done < total) return;
      const percent = Math.floor((done / total) * 100);
      const eta = done > 0 ? (elapsed / done) * (total - done) : 0;
      const text = `eval ${done}/${total} episodes (${percent}%) — ${method}, ${requests} requests — ${elapsed.toFixed(0)}s elapsed, ~${eta.toFixed(0)}s left`;
      if (stream.isTTY) {
        stream.write(`\r${text}\x1b[K`);
        shown = true;
      } else if (Math.floor(percent / 10) !== lastDecile) {
        lastDecile = Math.floor(percent / 10);
        stream.write(`${text}\n`);
      }
    },
    finish(): void {
      if (shown) stream.write('\n');
    },
  };
}

export function register(program: Command): void {
  program
    .command('eval')
    .description(
      "Evaluate placement methods on held-out instances of the case-study model (the paper's Fig. 5): " +
        'average latency, cost and reliability cost per slice, the availability ratio and the per-slice QoE score, with 95% confidence intervals.',
    )
    .option('--methods <list>', 'comma-separated methods', BUILTIN_POLICIES.join(','))
    .option(
      '--requests <list>',
      'comma-separated numbers of slice requests per instance',
      '4,8,12,16,20',
    )
    .option('--seeds <n>', 'number of held-out seeds (instances) per request count', '20')
    .option(
      '--first-seed <n>',
      `first held-out seed (evaluation seeds start at ${SEED_RANGES.evaluation.min})`,
      String(SEED_RANGES.evaluation.min),
    )
    .addOption(
      new Option(
        '--intent <mode>',
        'what the methods are told: stated = every request states its SLA classes; ' +
          'text = the profile and preference vector inferred from the text alone (the oracle keeps the true classes; ' +
          'the judge always uses them)',
      )
        .choices(INTENT_MODES)
        .default('stated'),
    )
    .option('--json <file>', 'also write the results as JSON')
    .option(
      '--plot <dir>',
      'also write the four panels of Fig. 5 and the QoE score panel as SVG files into this directory',
    )
    .option(
      '--plugin <module>',
      'import a module that registers more methods (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option('--list-methods', 'list the available methods and exit')
    .addHelpText(
      'after',
      `\nMethods: ${BUILTIN_POLICIES.join(', ')} built in; qappo, ppo and ppo-sla load the trained checkpoints.\n` +
        `--intent text needs the preference cache to cover the seeds (built by slicemesh train --preferences-only).\n` +
        `Seeds ${SEED_RANGES.evaluation.min}..${SEED_RANGES.evaluation.max} are held out from training; the same seeds give byte-identical JSON.\n` +
        'Example: slicemesh eval --methods local-first,cloud-only,oracle --requests 4,8,12,16,20 --seeds 20 --json fig5.json --plot fig5/',
    )
    .action(async (flags: EvalFlags) => {
      if (flags.listMethods) {
        for (const p of listPolicies())
          process.stdout.write(`${p.name.padEnd(14)} ${p.description}\n`);
        for (const provider of METHOD_PROVIDERS) {
          for (const m of provider.methods)
            if (!hasPolicy(m))
              process.stdout.write(`${m.padEnd(14)} (trained checkpoint, loaded on use)\n`);
        }
        return;
      }
      const methods = parseList(flags.methods, 'methods');
      const requestCounts = parseList(flags.requests, 'requests').map((r) =>
        parseCount(r, 'each --requests value', MAX_INSTANCE_REQUESTS),
      );
      const seedCount = parseCount(
        flags.seeds,
        '--seeds',
        SEED_RANGES.evaluation.max - SEED_RANGES.evaluation.min + 1,
      );
      const firstSeed = Number(flags.firstSeed);
      if (
        !Number.isSafeInteger(firstSeed) ||
        firstSeed < SEED_RANGES.evaluation.min ||
        firstSeed + seedCount - 1 > SEED_RANGES.evaluation.max
      ) {
        throw new SliceMeshError(
          'config',
          `--first-seed must keep all seeds within the held-out range ${SEED_RANGES.evaluation.min}..${SEED_RANGES.evaluation.max}`,
        );
      }
      const seeds = evaluationSeeds(seedCount).map(
        (s) => s - SEED_RANGES.evaluation.min + firstSeed,
      );
      const text =
        flags.intent === 'text'
          ? await textProfiles(firstSeed + seedCount - SEED_RANGES.evaluation.min)
          : undefined;
      await ensureMethods(methods, flags.plugin, text ? { intents: text.intents } : {});
      const progress = createProgress(process.stderr);
      const report = await evaluate({
        methods,
        requestCounts,
        seeds,
        intent: flags.intent,
        ...(text ? { inferProfile: text.inferProfile } : {}),
        onProgress: (done, total, method, requests) =>
          progress.update(done, total, method, requests),
      });
      progress.finish();
      process.stdout.write(formatReportTable(report));
      if (flags.json !== undefined) {
        await mkdir(path.dirname(path.resolve(flags.json)), { recursive: true });
        await writeFile(flags.json, `${JSON.stringify(report, null, 2)}\n`);
        process.stderr.write(`wrote ${flags.json}\n`);
      }
      if (flags.plot !== undefined) {
        await mkdir(flags.plot, { recursive: true });
        for (const panel of await renderFigure5(report)) {
          const file = path.join(flags.plot, `${panel.name}.svg`);
          await writeFile(file, panel.svg);
          process.stderr.write(`wrote ${file}\n`);
        }
      }
    });
}
