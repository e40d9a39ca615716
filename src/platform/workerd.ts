/**
 * The entry for workerd / Cloudflare Workers (the "workerd" export condition; dist/workerd.js).
 * Those hosts forbid compiling WebAssembly from bytes at run time, so this entry imports the SIMD
 * kernels as a wasm module (`import ... from './daa.simd.wasm'`, which wrangler and workerd turn into a
 * WebAssembly.Module) and passes it as the default `wasmModule`. Everything else is the browser
 * entry (estimate(), estimateAll() and detectFaces() included: their default estimator is created
 * here). An explicit `wasmModule` option still wins.
 */
import simd from '../../build/daa.simd.wasm';
import { Estimator, type EstimatorOptions } from '../index.ts';
import { setDefaultEstimatorFactory } from '../default-estimator.ts';

export * from '../index.ts';

/** Load a model once and estimate many images with it; call dispose() when done. */
export function createEstimator(options: EstimatorOptions = {}): Promise<Estimator> {
  const useSimd = options.wasmModule === undefined && (options.backend === undefined || options.backend === 'simd');
  return Estimator.create(useSimd ? { ...options, wasmModule: simd, backend: 'simd' } : options);
}

// estimate(), estimateAll() and detectFaces() (from the browser entry) load their default estimator
// with the imported kernel module too
setDefaultEstimatorFactory(() => createEstimator());
