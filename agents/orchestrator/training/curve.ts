/**
 * The reward curve (the paper's Fig. 4): CSV rows plus an SVG rendered
 * headless with Vega-Lite → Vega `View.toSVG()`. Learned methods are lines
 * over training steps; heuristics are flat dashed lines at their mean.
 */
import { readFile } from 'node:fs/promises';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { SliceMeshError } from '../../../shared/contracts/errors.js';

export interface CurveRow {
  method: string;
  /** `training` for a learned method's curve, `baseline` for a heuristic's flat line. */
  kind: 'training' | 'baseline';
  steps: number;
  /** Mean per-episode sum of the method's own training reward. */
  meanReward: number;
  /** Mean per-episode sum of the shared, preference-weighted score (comparable across methods). */
  meanScore: number;
  availability: number;
}

const HEADER = 'method,kind,steps,mean_episode_reward,mean_episode_score,availability';

export function curveToCsv(rows: readonly CurveRow[]): string {
  const lines = rows.map((r) =>
    [
      r.method,
      r.kind,
      r.steps,
      r.meanReward.toFixed(5),
      r.meanScore.toFixed(5),
      r.availability.toFixed(5),
    ].join(','),
  );
  return [HEADER, ...lines].join('\n') + '\n';
}

export function parseCurveCsv(text: string, source = 'curve'): CurveRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines[0] !== HEADER) {
    throw new SliceMeshError(
      'invalid-message',
      `${source} is not a reward-curve CSV (header differs)`,
    );
  }
  return lines.slice(1).map((line, i) => {
    const [method, kind, steps, reward, score, availability] = line.split(',');
    const row: CurveRow = {
      method: method ?? '',
      kind: kind === 'baseline' ? 'baseline' : 'training',
      steps: Number(steps),
      meanReward: Number(reward),
      meanScore: Number(score),
      availability: Number(availability),
    };
    if (
      !row.method ||
      [row.steps, row.meanScore, row.availability].some((n) => !Number.isFinite(n))
    ) {
      throw new SliceMeshError('invalid-message', `${source} line ${i + 2} is malformed`);
    }
    return row;
  });
}

export async function readCurveCsv(file: string): Promise<CurveRow[]> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new SliceMeshError('config', `cannot read reward curve ${file}`, { cause: error });
  });
  return parseCurveCsv(text, file);
}

/** Renders the curve rows to an SVG string (smoothed over a few updates). */
export async function renderCurveSvg(rows: readonly CurveRow[], title: string): Promise<string> {
  const spec: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 560,
    height: 320,
    data: { values: rows.map((r) => ({ ...r })) },
    transform: [
      {
        window: [{ op: 'mean', field: 'meanScore', as: 'smoothed' }],
        frame: [-4, 0],
        groupby: ['method'],
        sort: [{ field: 'steps' }],
      },
    ],
    mark: { type: 'line', interpolate: 'monotone', strokeWidth: 2 },
    encoding: {
      x: { field: 'steps', type: 'quantitative', title: 'training steps' },
      y: {
        field: 'smoothed',
        type: 'quantitative',
        title: 'mean episode reward (preference-weighted QoE)',
        scale: { zero: false },
      },
      color: { field: 'method', type: 'nominal', title: 'method' },
      strokeDash: {
        field: 'kind',
        type: 'nominal',
        title: null,
        scale: {
          domain: ['training', 'baseline'],
          range: [
            [1, 0],
            [6, 4],
          ],
        },
      },
    },
  };
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
