/**
 * Checkpoints on disk: a directory with
 *   checkpoint.json  metadata, network shape, normaliser statistics, file manifest
 *   weights.bin      actor then critic parameters, float32 little-endian
 *   optimizer.bin    Adam moments (only needed to resume training)
 * The binaries are written first and checkpoint.json last, each through a
 * temporary file and a rename, and the JSON carries the binaries' SHA-256:
 * a reader either sees a complete checkpoint or detects a torn one.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SliceMeshError } from '../../../shared/contracts/errors.js';
import { PpoHyperparameters } from './hyperparameters.js';
import type { SavedTensor } from './learner-types.js';
import { NormalizerState, RunningNormalizer } from './normalizer.js';
import type { ActorCriticWeights, DenseLayer, MlpWeights } from './network.js';
import type { CurvePoint, TrainerState } from './trainer.js';

export const CHECKPOINT_FILE = 'checkpoint.json';
export const WEIGHTS_FILE = 'weights.bin';
export const OPTIMIZER_FILE = 'optimizer.bin';
export const CHECKPOINT_FORMAT = 'slicemesh.ppo-checkpoint.v1';

const LayerShape = z
  .object({ inputSize: z.number().int().positive(), outputSize: z.number().int().positive() })
  .strict();
const TensorEntry = z
  .object({
    name: z.string(),
    shape: z.array(z.number().int().nonnegative()),
  })
  .strict();

const CurvePointSchema = z
  .object({
    steps: z.number(),
    episodes: z.number(),
    meanReward: z.number(),
    meanScore: z.number(),
    availability: z.number(),
  })
  .strict();

export const CheckpointMetadata = z
  .object({
    format: z.literal(CHECKPOINT_FORMAT),
    method: z.string().min(1).max(64),
    /** Version of the environment model the policy was trained on. */
    modelVersion: z.string().min(1),
    seed: z.number().int().nonnegative(),
    steps: z.number().int().nonnegative(),
    updates: z.number().int().nonnegative(),
    episodes: z.number().int().nonnegative(),
    backend: z.string(),
    wallTimeMs: z.number().nonnegative(),
    createdAt: z.string(),
    hyperparameters: PpoHyperparameters,
    inputSize: z.number().int().positive(),
    actionNames: z.array(z.string()).min(2),
    /** Where the preference vectors used in training came from. */
    preferenceSource: z.string(),
    /** Free-form, method-specific facts (feature layout, reward definition, eval seeds...). */
    extra: z.record(z.string(), z.unknown()),
    normalizer: NormalizerState,
    actor: z.array(LayerShape).min(1),
    critic: z.array(LayerShape).min(1),
    weightsSha256: z.string(),
    optimizer: z
      .object({ actor: z.array(TensorEntry), critic: z.array(TensorEntry), sha256: z.string() })
      .strict()
      .nullable(),
    curve: z.array(CurvePointSchema),
  })
  .strict();
export type CheckpointMetadata = z.infer<typeof CheckpointMetadata>;

/** The facts a checkpoint records besides the trainer state. */
export type CheckpointInfo = Pick<
  CheckpointMetadata,
  | 'method'
  | 'modelVersion'
  | 'seed'
  | 'backend'
  | 'hyperparameters'
  | 'actionNames'
  | 'preferenceSource'
  | 'extra'
>;

export interface LoadedCheckpoint {
  metadata: CheckpointMetadata;
  state: TrainerState;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function toBytes(arrays: Float32Array[]): Uint8Array {
  let total = 0;
  for (const a of arrays) total += a.length;
  const out = new Float32Array(total);
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  // Float32Array is host-endian; every platform Node runs on today is little-endian.
  return new Uint8Array(out.buffer);
}

function layerArrays(net: MlpWeights): Float32Array[] {
  return net.layers.flatMap((l) => [l.weights, l.bias]);
}

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/** Writes a checkpoint of `state` into `dir` (created if needed). */
export async function saveCheckpoint(
  dir: string,
  state: TrainerState,
  info: CheckpointInfo,
): Promise<CheckpointMetadata> {
  await mkdir(dir, { recursive: true });
  const weightBytes = toBytes([
    ...layerArrays(state.weights.actor),
    ...layerArrays(state.weights.critic),
  ]);
  await writeAtomic(path.join(dir, WEIGHTS_FILE), weightBytes);
  let optimizer: CheckpointMetadata['optimizer'] = null;
  if (state.optimizer) {
    const all = [...state.optimizer.actor, ...state.optimizer.critic];
    const bytes = toBytes(all.map((t) => t.values));
    await writeAtomic(path.join(dir, OPTIMIZER_FILE), bytes);
    const entry = (t: SavedTensor) => ({ name: t.name, shape: t.shape });
    optimizer = {
      actor: state.optimizer.actor.map(entry),
      critic: state.optimizer.critic.map(entry),
      sha256: sha256(bytes),
    };
  }
  const metadata: CheckpointMetadata = {
    format: CHECKPOINT_FORMAT,
    ...info,
    steps: state.steps,
    updates: state.updates,
    episodes: state.episodes,
    wallTimeMs: Math.round(state.wallTimeMs),
    createdAt: new Date().toISOString(),
    inputSize: state.normalizer.size,
    normalizer: state.normalizer.toJSON(),
    actor: state.weights.actor.layers.map((l) => ({
      inputSize: l.inputSize,
      outputSize: l.outputSize,
    })),
    critic: state.weights.critic.layers.map((l) => ({
      inputSize: l.inputSize,
      outputSize: l.outputSize,
    })),
    weightsSha256: sha256(weightBytes),
    optimizer,
    curve: state.curve.map((p) => ({ ...p })),
  };
  await writeAtomic(path.join(dir, CHECKPOINT_FILE), JSON.stringify(metadata, null, 1) + '\n');
  return metadata;
}

/** Reads only the metadata (cheap: for change detection and reports). */
export async function readCheckpointMetadata(dir: string): Promise<CheckpointMetadata> {
  const file = path.join(dir, CHECKPOINT_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SliceMeshError('config', `no checkpoint at ${dir} (${CHECKPOINT_FILE} is missing)`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SliceMeshError('invalid-json', `${file} is not valid JSON`, { cause: error });
  }
  const parsed = CheckpointMetadata.safeParse(json);
  if (!parsed.success) {
    throw new SliceMeshError(
      'config',
      `${file} is not a checkpoint of this version: ${parsed.error.issues[0]?.message ?? ''}`,
    );
  }
  return parsed.data;
}

async function readFloats(
  file: string,
  expectedSha: string,
  expectedLength: number,
): Promise<Float32Array> {
  const bytes = await readFile(file).catch((error: unknown) => {
    throw new SliceMeshError('config', `checkpoint file ${file} is missing`, { cause: error });
  });
  if (sha256(bytes) !== expectedSha || bytes.byteLength !== expectedLength * 4) {
    throw new SliceMeshError(
      'config',
      `checkpoint file ${file} does not match its metadata (torn or edited)`,
      {
        retryable: true,
      },
    );
  }
  // Copy into an aligned buffer of its own.
  const floats = new Float32Array(expectedLength);
  new Uint8Array(floats.buffer).set(bytes);
  return floats;
}

function splitLayers(
  shapes: { inputSize: number; outputSize: number }[],
  data: Float32Array,
  offset: number,
): { net: MlpWeights; offset: number } {
  const layers: DenseLayer[] = [];
  for (const s of shapes) {
    const w = data.slice(offset, offset + s.inputSize * s.outputSize);
    offset += w.length;
    const b = data.slice(offset, offset + s.outputSize);
    offset += b.length;
    layers.push({ ...s, weights: w, bias: b });
  }
  return { net: { layers }, offset };
}

function checkShapes(m: CheckpointMetadata): void {
  for (const net of [m.actor, m.critic]) {
    let width = m.inputSize;
    for (const l of net) {
      if (l.inputSize !== width)
        throw new SliceMeshError('config', 'checkpoint layer shapes do not chain');
      width = l.outputSize;
    }
  }
  if (
    m.actor[m.actor.length - 1]?.outputSize !== m.actionNames.length ||
    m.critic[m.critic.length - 1]?.outputSize !== 1
  ) {
    throw new SliceMeshError('config', 'checkpoint output sizes do not match its action names');
  }
}

/** Loads a checkpoint completely (weights, normaliser and, if present, optimiser state). */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const metadata = await readCheckpointMetadata(dir);
  checkShapes(metadata);
  const count = (shapes: { inputSize: number; outputSize: number }[]) =>
    shapes.reduce((n, s) => n + s.inputSize * s.outputSize + s.outputSize, 0);
  const data = await readFloats(
    path.join(dir, WEIGHTS_FILE),
    metadata.weightsSha256,
    count(metadata.actor) + count(metadata.critic),
  );
  const actor = splitLayers(metadata.actor, data, 0);
  const critic = splitLayers(metadata.critic, data, actor.offset);
  const weights: ActorCriticWeights = { actor: actor.net, critic: critic.net };

  let optimizer: TrainerState['optimizer'] = null;
  if (metadata.optimizer) {
    const entries = [...metadata.optimizer.actor, ...metadata.optimizer.critic];
    const sizes = entries.map((e) => e.shape.reduce((a, b) => a * b, 1));
    const total = sizes.reduce((a, b) => a + b, 0);
    const all = await readFloats(path.join(dir, OPTIMIZER_FILE), metadata.optimizer.sha256, total);
    let offset = 0;
    const tensors: SavedTensor[] = entries.map((e, i) => {
      const values = all.slice(offset, offset + (sizes[i] as number));
      offset += values.length;
      return { ...e, values };
    });
    optimizer = {
      actor: tensors.slice(0, metadata.optimizer.actor.length),
      critic: tensors.slice(metadata.optimizer.actor.length),
    };
  }
  const curve: CurvePoint[] = metadata.curve.map((p) => ({ ...p }));
  return {
    metadata,
    state: {
      weights,
      normalizer: RunningNormalizer.fromJSON(metadata.normalizer),
      optimizer,
      steps: metadata.steps,
      updates: metadata.updates,
      episodes: metadata.episodes,
      curve,
      wallTimeMs: metadata.wallTimeMs,
    },
  };
}
