/**
 * daa-wasm: facial age estimation with DAA (Delta Age AdaIN) on WebAssembly SIMD kernels.
 *
 *   import { estimate, estimateAll } from 'daa-wasm';
 *   const { age, spread } = await estimate(imageData);   // the most prominent face of a photo or frame
 *   const faces = await estimateAll(imageData);          // [{ box, keypoints, score, age, spread }]
 */
import {
  Estimator,
  type CropMode,
  type DetectFacesOptions,
  type Estimate,
  type EstimateOptions,
  type EstimatorOptions,
  type Face,
  type FaceEstimate,
  type ImageInput,
} from './estimator.ts';

export { Estimator };
export type { CropMode, DetectFacesOptions, Estimate, EstimateOptions, EstimatorOptions, Face, FaceEstimate, ImageInput };
export {
  DaaError,
  WeightFormatError,
  ImageInputError,
  OptionsError,
  ModelNotFoundError,
  DisposedError,
  NoFaceError,
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

function sharedEstimator(): Promise<Estimator> {
  if (!shared) {
    shared = Estimator.create();
    shared.catch(() => (shared = null));
  }
  return shared;
}

/**
 * Estimate the age of the most prominent face of an image (a photo, a webcam frame, or an aligned
 * face crop) with the embedded default model (loaded on the first call and kept). Throws
 * NoFaceError when there is no face. `options.crop` ('auto' | 'chip' | 'detect'), `options.interval`
 * (interval sampling of the template ages), `options.minScore` (detector threshold).
 */
export async function estimate(image: ImageInput, options?: EstimateOptions): Promise<Estimate> {
  return (await sharedEstimator()).estimate(image, options);
}

/** Every face of an image with its age: `[{ box, keypoints, score, age, spread, perTemplate }]`, largest first. */
export async function estimateAll(image: ImageInput, options?: EstimateOptions): Promise<FaceEstimate[]> {
  return (await sharedEstimator()).estimateAll(image, options);
}

/** The faces of an image (boxes, six keypoints and scores in pixels), largest first, without ages. */
export async function detectFaces(image: ImageInput, options?: DetectFacesOptions): Promise<Face[]> {
  return (await sharedEstimator()).detectFaces(image, options);
}
