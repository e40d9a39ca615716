/**
 * daa-wasm: facial age estimation with DAA (Delta Age AdaIN) on WebAssembly SIMD kernels.
 *
 *   import { estimate } from 'daa-wasm';
 *   const { age, spread } = await estimate(imageData);
 */
import { Estimator, type Estimate, type EstimateOptions, type EstimatorOptions, type ImageInput } from './estimator.ts';

export { Estimator };
export type { Estimate, EstimateOptions, EstimatorOptions, ImageInput };
export {
  DaaError,
  WeightFormatError,
  ImageInputError,
  OptionsError,
  ModelNotFoundError,
  DisposedError,
  type DaaErrorCode,
} from './errors.ts';
export type { ModelConfig, DaaVariant, EncoderName } from './arch.ts';
export { MAX_MODEL_BYTES, MAX_MODEL_MACS, modelCost, type Precision } from './format.ts';
export { MAX_SIDE, MAX_PIXELS } from './image.ts';

/** Load a model once and estimate many images with it; call dispose() when done. */
export function createEstimator(options: EstimatorOptions = {}): Promise<Estimator> {
  return Estimator.create(options);
}

let shared: Promise<Estimator> | null = null;

/**
 * Estimate the age of a face crop with the embedded default model (loaded on the first call and
 * kept). `options.interval` picks interval sampling of the template ages.
 */
export async function estimate(image: ImageInput, options?: EstimateOptions): Promise<Estimate> {
  if (!shared) {
    shared = Estimator.create();
    shared.catch(() => (shared = null));
  }
  return (await shared).estimate(image, options);
}
