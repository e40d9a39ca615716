/**
 * Which kernel build runs: the relaxed-SIMD build where WebAssembly.validate accepts a relaxed-SIMD
 * instruction, else the SIMD build where it accepts a SIMD instruction, otherwise the scalar build.
 * Modules are compiled once per process and instantiated once per
 * Estimator (each has its own memory, released by dispose()).
 */
import { DaaError } from './errors.ts';
import { relaxedSupported, simdSupported } from './kernels.ts';
import { KERNEL_B64 } from './generated/assets.ts';
import { base64ToBytes } from './base64.ts';

export type Backend = 'relaxed' | 'simd' | 'scalar';

const compiled = new Map<Backend, Promise<WebAssembly.Module>>();

export function defaultBackend(): Backend {
  return relaxedSupported() ? 'relaxed' : simdSupported() ? 'simd' : 'scalar';
}

export function compileBackend(backend: Backend): Promise<WebAssembly.Module> {
  let p = compiled.get(backend);
  if (!p) {
    // each build is its own chunk (src/generated/): only the one used is fetched
    p = KERNEL_B64[backend]().then((b64) => WebAssembly.compile(base64ToBytes(b64))).catch((e: Error) => {
      compiled.delete(backend);
      throw new DaaError('WASM', `could not compile the ${backend} kernel build: ${e.message}`);
    });
    compiled.set(backend, p);
  }
  return p;
}
