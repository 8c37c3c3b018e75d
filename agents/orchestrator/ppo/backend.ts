/**
 * Picks the fastest tfjs backend that loads here: tfjs-node (native
 * TensorFlow, optional — its install needs a download that is not always
 * possible), else WebAssembly (ships inside its npm package), else plain JS.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

let selected: Promise<BackendName> | undefined;

/** The optional native package; a variable keeps bundlers and tsc from resolving it. */
const TFJS_NODE = '@tensorflow/tfjs-node';

async function tryNative(): Promise<boolean> {
  try {
    await import(TFJS_NODE);
    return await tf.setBackend('tensorflow');
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the .wasm binaries are read from disk: point at the package's dist folder.
    const require = createRequire(import.meta.url);
    const dist = path.join(
      path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')),
      'dist',
    );
    wasm.setWasmPaths(dist + path.sep);
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

/**
 * Initialises tfjs once per process and returns the backend in use.
 * `prefer` forces a backend (e.g. `cpu` for bit-for-bit comparisons).
 */
export function initBackend(
  log: (line: string) => void = () => undefined,
  prefer?: BackendName,
): Promise<BackendName> {
  selected ??= (async () => {
    let name: BackendName = 'cpu';
    if (prefer === undefined || prefer === 'tensorflow') {
      if (await tryNative()) name = 'tensorflow';
      else if (prefer === undefined && (await tryWasm())) name = 'wasm';
    } else if (prefer === 'wasm' && (await tryWasm())) {
      name = 'wasm';
    }
    if (name === 'cpu') await tf.setBackend('cpu');
    await tf.ready();
    log(`tfjs backend: ${tf.getBackend()}`);
    return tf.getBackend() as BackendName;
  })();
  return selected;
}
