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
  type EnsembleOptions,
  type Estimate,
  type EstimateOptions,
  type EstimatorOptions,
  type Face,
  type FaceEstimate,
  type FaceScan,
  type ImageInput,
  type RefineFaceOptions,
  type ScanFacesOptions,
} from './estimator.ts';

export { Estimator };
export type { CropMode, DetectFacesOptions, EnsembleOptions, Estimate, EstimateOptions, EstimatorOptions, Face, FaceEstimate, FaceScan, ImageInput, RefineFaceOptions, ScanFacesOptions };
export {
  DaaError,
  WeightFormatError,
  ImageInputError,
  OptionsError,
  ModelNotFoundError,
  DisposedError,
  NoFaceError,
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
import { defaultEstimator } from './default-estimator.ts';

/** Load a model once and estimate many images with it; call dispose() when done. */
export function createEstimator(options: EstimatorOptions = {}): Promise<Estimator> {
  return Estimator.create(options);
}

/**
 * Estimate the age of the most prominent face of an image (a photo, a webcam frame, or an aligned
 * face crop) with the embedded default model (loaded on the first call and kept). The image: raw
 * pixels, JPEG/PNG bytes, a Blob/File, a Response, a URL or file path, or a DOM image
 * (src/input.ts). Throws NoFaceError when there is no face. Options: `crop` ('auto' | 'chip' |
 * 'detect'), `interval` (interval sampling of the template ages), `minScore` (detector threshold),
 * `minFaceSize`.
 */
export async function estimate(image: ImageSource, options?: EstimateOptions): Promise<Estimate> {
  const pixels = await readImage(image);
  return (await defaultEstimator()).estimate(pixels, options);
}

/** Every face of an image with its age: `[{ box, keypoints, score, age, spread, perTemplate }]`, largest first. */
export async function estimateAll(image: ImageSource, options?: EstimateOptions): Promise<FaceEstimate[]> {
  const pixels = await readImage(image);
  return (await defaultEstimator()).estimateAll(pixels, options);
}

/** The faces of an image (boxes, six keypoints and scores in pixels), largest first, without ages. */
export async function detectFaces(image: ImageSource, options?: DetectFacesOptions): Promise<Face[]> {
  const pixels = await readImage(image);
  return (await defaultEstimator()).detectFaces(pixels, options);
}
