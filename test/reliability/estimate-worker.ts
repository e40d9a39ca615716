/** worker_threads body of test/reliability/lifecycle.test.ts: estimate the given images, return the age bits. */
import { parentPort, workerData } from 'node:worker_threads';
import { createEstimator } from '../../src/index.ts';
import { f32Fnv, f64Hex } from './determinism-fixture.ts';

const { weights, backend, images, repeat } = workerData as {
  weights: Uint8Array;
  backend: 'simd' | 'scalar';
  images: Array<{ data: Uint8ClampedArray; width: number; height: number }>;
  repeat: number;
};
const est = await createEstimator({ crop: 'chip', model: weights, backend });
const bits: string[] = [];
for (let r = 0; r < repeat; r++)
  for (const im of images) {
    const e = est.estimate(im);
    bits.push(`${f64Hex(e.age)}:${f32Fnv(e.perTemplate)}`);
  }
est.dispose();
parentPort!.postMessage(bits);
