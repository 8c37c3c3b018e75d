/** A tensor outside tfjs: its shape and values (optimiser state in checkpoints). */
export interface SavedTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}
