// Shared set-up of the train-kernel tests: tfjs-wasm (1 thread) and build/daa.train.wasm, which the
// tests do not build (run `node scripts/build-train-wasm.mjs` first).
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../train/backend.ts';
import { loadTrainRuntime, TRAIN_WASM_PATH, type TrainRuntime, type WasmBackend } from '../../train/kernels/runtime.ts';

if (!existsSync(TRAIN_WASM_PATH)) {
  throw new Error(`${TRAIN_WASM_PATH} is missing: run \`node scripts/build-train-wasm.mjs\` before these tests`);
}

export async function wasmBackend(): Promise<WasmBackend> {
  if (tf.getBackend() !== 'wasm') await selectBackend('wasm', 1);
  return tf.backend() as unknown as WasmBackend;
}

export async function runtimes(): Promise<{ shared: TrainRuntime; copy: TrainRuntime }> {
  const be = await wasmBackend();
  const shared = loadTrainRuntime(be)!;
  const copy = loadTrainRuntime(be, true)!;
  return { shared, copy };
}

/** mulberry32, the trainer's own seeded generator */
export { makeRng as rng } from '../../train/data.ts';

export function randArray(n: number, r: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r() * 2 - 1;
  return a;
}
