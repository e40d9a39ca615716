/**
 * Latency of candidate default models (random weights: speed does not depend on their values) on
 * the WebAssembly runtime, fp32 and int8 with the build the engine picks, after 15 warm-up
 * estimates (the relaxed build times its int8 kernels over the first 12). Sizes the accuracy work
 * against its latency budget (half of face-api AgeGenderNet, bench section 4).
 * `npx tsx bench/candidates.ts`
 */
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CONFIG, type ModelConfig } from '../src/arch.ts';
import { createEstimator } from '../src/index.ts';
import { exportWeights } from '../train/export.ts';
import { DaaModel } from '../train/model.ts';
await tf.setBackend('cpu');
const models: Array<[string, ModelConfig]> = [
  ['c3ae w32 64', { ...DEFAULT_CONFIG, inputSize: 64 }],
  ['r18 w16 96', { ...DEFAULT_CONFIG, encoder: 'resnet18', inputSize: 96, width: 16 }],
  ['r18 w20 96', { ...DEFAULT_CONFIG, encoder: 'resnet18', inputSize: 96, width: 20 }],
  ['r18 w16 112', { ...DEFAULT_CONFIG, encoder: 'resnet18', inputSize: 112, width: 16 }],
  ['r18 w24 96', { ...DEFAULT_CONFIG, encoder: 'resnet18', inputSize: 96, width: 24 }],
  ['r18 w32 96', { ...DEFAULT_CONFIG, encoder: 'resnet18', inputSize: 96, width: 32 }],
  ['c3ae w64 96', { ...DEFAULT_CONFIG, inputSize: 96, width: 64 }],
];
const img = { data: new Uint8ClampedArray(128 * 128 * 4).map((_, i) => (i * 2654435761) >>> 24), width: 128, height: 128 };
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const [label, cfg] of models) {
  const m = new DaaModel(cfg, 1);
  const files = { fp32: exportWeights(m, 'fp32'), int8: exportWeights(m, 'int8') };
  m.dispose();
  const out: string[] = [label];
  for (const precision of ['fp32', 'int8'] as const) {
    // crop 'chip': the test image is noise, which the default crop 'auto' would refuse (NoFaceError)
    const est = await createEstimator({ model: files[precision], crop: 'chip' });
    for (let i = 0; i < 15; i++) est.estimate(img);
    const t: number[] = [];
    for (let i = 0; i < 40; i++) { const t0 = performance.now(); est.estimate(img); t.push(performance.now() - t0); }
    out.push(`${precision} ${median(t).toFixed(2)} ms`);
    est.dispose();
  }
  console.log(out.join('  '), `int8 file ${files.int8.length} B`);
}
