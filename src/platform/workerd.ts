/**
 * The entry for workerd / Cloudflare Workers (the "workerd" export condition; dist/workerd.js).
 * Those hosts forbid compiling WebAssembly from bytes at run time, so this entry imports the SIMD
 * kernels as a wasm module (`import ... from './daa.simd.wasm'`, which wrangler and workerd turn into a
 * WebAssembly.Module) and passes it as the default `wasmModule`. Everything else is the browser
 * entry. An explicit `wasmModule` option still wins.
 */
import simd from '../../build/daa.simd.wasm';
import {
  Estimator,
  readImage,
  type DetectFacesOptions,
  type Estimate,
  type EstimateOptions,
  type EstimatorOptions,
  type Face,
  type FaceEstimate,
  type ImageSource,
} from '../index.ts';

export * from '../index.ts';

/** Load a model once and estimate many images with it; call dispose() when done. */
export function createEstimator(options: EstimatorOptions = {}): Promise<Estimator> {
  const useSimd = options.wasmModule === undefined && (options.backend === undefined || options.backend === 'simd');
  return Estimator.create(useSimd ? { ...options, wasmModule: simd, backend: 'simd' } : options);
}

let shared: Promise<Estimator> | null = null;

function sharedEstimator(): Promise<Estimator> {
  if (!shared) {
    shared = createEstimator();
    shared.catch(() => (shared = null));
  }
  return shared;
}

/** Estimate the age of the most prominent face with the embedded default model (loaded on the first call and kept). */
export async function estimate(image: ImageSource, options?: EstimateOptions): Promise<Estimate> {
  const pixels = await readImage(image);
  return (await sharedEstimator()).estimate(pixels, options);
}

/** Every face of an image with its age, largest first. */
export async function estimateAll(image: ImageSource, options?: EstimateOptions): Promise<FaceEstimate[]> {
  const pixels = await readImage(image);
  return (await sharedEstimator()).estimateAll(pixels, options);
}

/** The faces of an image without ages, largest first. */
export async function detectFaces(image: ImageSource, options?: DetectFacesOptions): Promise<Face[]> {
  const pixels = await readImage(image);
  return (await sharedEstimator()).detectFaces(pixels, options);
}
