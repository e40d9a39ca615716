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
  FaceInputError,
  type DaaErrorCode,
} from './errors.ts';
export type { ModelConfig, DaaVariant, EncoderName } from './arch.ts';
export { MAX_MODEL_BYTES, MAX_MODEL_MACS, modelCost, type Precision } from './format.ts';
export { MAX_SIDE, MAX_PIXELS } from './image.ts';
export {
  createTracker,
  type Tracker,
  type TrackerOptions,
  type TrackerStats,
  type TrackedFace,
  type FaceObservation,
  type AgeReading,
} from './track/tracker.ts';
export type { Box, Point } from './track/geometry.ts';
export type { PixelFrame } from './track/frame-diff.ts';
export { readImage, MAX_FILE_BYTES, type ImageSource, type SyncImageSource, type Drawable } from './input.ts';
import { readImage, type ImageSource } from './input.ts';

/** Load a model once and estimate many images with it; call dispose() when done. */
export function createEstimator(options: EstimatorOptions = {}): Promise<Estimator> {
  return Estimator.create(options);
}

let shared: Promise<Estimator> | null = null;

/**
 * Estimate the age of a face crop with the embedded default model (loaded on the first call and
 * kept): raw pixels, JPEG/PNG bytes, a Blob/File, a Response, a URL or file path, or a DOM image
 * (src/input.ts). `options.interval` picks interval sampling of the template ages.
 */
export async function estimate(image: ImageSource, options?: EstimateOptions): Promise<Estimate> {
  const pixels = await readImage(image);
  if (!shared) {
    shared = Estimator.create();
    shared.catch(() => (shared = null));
  }
  return (await shared).estimate(pixels, options);
}
