/**
 * The entry for workerd / Cloudflare Workers (the "workerd" export condition; dist/workerd.js).
 * Those hosts forbid compiling WebAssembly from bytes at run time, so this entry imports the SIMD
 * kernels as a wasm module (`import ... from './daa.simd.wasm'`, which wrangler and workerd turn into a
 * WebAssembly.Module) and passes it as the default `wasmModule`. Everything else is the browser
 * entry. An explicit `wasmModule` option still wins.
 */
import simd from '../../build/daa.simd.wasm';
import { Estimator, readImage, type Estimate, type EstimateOptions, type EstimatorOptions, type ImageSource } from '../index.ts';

export * from '../index.ts';

/** Load a model once and estimate many images with it; call dispose() when done. */
export function createEstimator(options: EstimatorOptions = {}): Promise<Estimator> {
  const useSimd = options.wasmModule === undefined && (options.backend === undefined || options.backend === 'simd');
  return Estimator.create(useSimd ? { ...options, wasmModule: simd, backend: 'simd' } : options);
}

let shared: Promise<Estimator> | null = null;

/** Estimate the age of a face crop with the embedded default model (loaded on the first call and kept). */
export async function estimate(image: ImageSource, options?: EstimateOptions): Promise<Estimate> {
  const pixels = await readImage(image);
  if (!shared) {
    shared = createEstimator();
    shared.catch(() => (shared = null));
  }
  return (await shared).estimate(pixels, options);
}
