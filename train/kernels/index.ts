/**
 * Kernels the project registers into tfjs-backend-wasm for training. Returns the kernel names it
 * registered. Pinned to @tensorflow/tfjs-backend-wasm 4.22 (it reads the backend's heap offsets).
 */
import { registerConv2dBackpropFilterJs } from './conv2d-backprop-filter.ts';

export async function registerTrainingKernels(): Promise<string[]> {
  registerConv2dBackpropFilterJs();
  return ['Conv2DBackpropFilter(js)'];
}
