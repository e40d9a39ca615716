/**
 * Kernels the project registers into tfjs-backend-wasm for training (see README.md). Returns the
 * kernel names it registered. Pinned to @tensorflow/tfjs-backend-wasm 4.22 (it reads the backend's
 * heap offsets and shares its WebAssembly.Memory).
 */
import * as tf from '@tensorflow/tfjs';
import { registerConv2dBackpropFilterJs, registerConv2dBackpropFilterWasm } from './conv2d-backprop-filter.ts';
import { registerDepthwiseGradJs, registerDepthwiseGradWasm } from './depthwise-grad.ts';
import { registerAcceleratedOps, unregisterAcceleratedOps } from './ops.ts';
import { loadTrainRuntime, TRAIN_WASM_PATH, type WasmBackend } from './runtime.ts';

export async function registerTrainingKernels(): Promise<string[]> {
  if (tf.getBackend() !== 'wasm') throw new Error(`registerTrainingKernels: backend is ${tf.getBackend()}, not wasm`);
  await tf.ready();
  const rt = loadTrainRuntime(tf.backend() as unknown as WasmBackend);
  if (!rt) {
    process.stderr.write(`registerTrainingKernels: ${TRAIN_WASM_PATH} is missing (run node scripts/build-train-wasm.mjs); using the plain JS Conv2DBackpropFilter only\n`);
    registerConv2dBackpropFilterJs();
    registerDepthwiseGradJs();
    return ['Conv2DBackpropFilter(js)', 'DepthwiseConv2dNativeBackprop{Input,Filter}(js)'];
  }
  registerConv2dBackpropFilterWasm(rt);
  registerDepthwiseGradWasm(rt);
  return [`Conv2DBackpropFilter(simd,${rt.mode})`, `DepthwiseConv2dNativeBackprop{Input,Filter}(simd,${rt.mode})`, ...registerAcceleratedOps(rt)];
}

/** Back to the stock tfjs-wasm kernels and gradients plus the plain JS filter gradient (benchmarks, tests). */
export function unregisterTrainingKernels(): void {
  unregisterAcceleratedOps();
  registerConv2dBackpropFilterJs();
  registerDepthwiseGradJs();
}
