/**
 * The default, offline embedding provider: wink's pre-trained 100-d word
 * vectors composed into sentence vectors by `SifComposer`. No network, no
 * native code; the first use builds the binary word-vector cache.
 */
import { DEFAULT_SIF_OPTIONS, SifComposer, type SifComposerOptions } from './sif-composer.js';
import type { EmbeddingProvider } from './types.js';
import { DEFAULT_PRECISION, DEFAULT_VOCABULARY, loadWordVectors } from './word-vector-cache.js';
import type { VectorPrecision } from './word-vector-file.js';

export interface WinkProviderOptions {
  /** Directory of the binary word-vector cache (e.g. `.data/embeddings`). */
  readonly cacheDir: string;
  readonly vocabulary?: number;
  readonly precision?: VectorPrecision;
  readonly composer?: Partial<SifComposerOptions>;
  readonly onProgress?: (message: string) => void;
}

export interface WinkEmbeddingProvider extends EmbeddingProvider {
  /** Synchronous single-text embedding (the interpreter's hot path). */
  embedOne(text: string): Float32Array;
  /** How the word vectors were obtained: load time and whether the cache was built. */
  readonly load: {
    readonly ms: number;
    readonly built: boolean;
    readonly path: string;
    readonly words: number;
  };
}

/** Creates the offline wink provider (synchronous work: loads or builds the cache). */
export function createWinkEmbeddingProvider(options: WinkProviderOptions): WinkEmbeddingProvider {
  const vocabulary = options.vocabulary ?? DEFAULT_VOCABULARY;
  const precision = options.precision ?? DEFAULT_PRECISION;
  const composerOptions: SifComposerOptions = { ...DEFAULT_SIF_OPTIONS, ...options.composer };
  const loaded = loadWordVectors({
    cacheDir: options.cacheDir,
    vocabulary,
    precision,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const composer = new SifComposer(loaded.table, composerOptions);
  const { sifA, ngramBuckets, ngramWeight, ngramMin, ngramMax } = composerOptions;
  const id =
    `${loaded.table.header.source}/sif${sifA}-ng${ngramMin}${ngramMax}x${ngramBuckets}w${ngramWeight}` +
    `/${loaded.table.count}-${precision}`;
  return {
    id,
    dimensions: composer.dimensions,
    load: { ms: loaded.loadMs, built: loaded.built, path: loaded.path, words: loaded.table.count },
    embedOne: (text) => composer.compose(text),
    embed: (texts) => Promise.resolve(texts.map((t) => Array.from(composer.compose(t)))),
    close: () => Promise.resolve(),
  };
}
