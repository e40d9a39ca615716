/**
 * The benchmarked models: random weights (speed does not depend on their values) with random BN
 * statistics (so that the folded weights are not trivial and the parity checks mean something),
 * exported through the real weight-file writer, fp32 and int8. The tfjs reference model is kept for
 * the tfjs-backend-wasm peer, and the folded tensors for the ONNX export.
 */
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CONFIG, type ModelConfig } from '../../src/arch.ts';
import { dequantize, readWeightFile } from '../../src/format.ts';
import { exportWeights } from '../../train/export.ts';
import { calibrate } from '../../src/models/daa/index.ts';
import { compileBackend } from '../../src/wasm.ts';
import { DaaModel } from '../../train/model.ts';

export interface BenchModel {
  key: 'c3ae' | 'resnet18';
  label: string;
  cfg: ModelConfig;
  /** the same encoder with daa 'none' (GAP + linear): the encoder-only timing model */
  encCfg: ModelConfig;
  files: { fp32: Uint8Array; int8: Uint8Array };
  encFiles: { fp32: Uint8Array; int8: Uint8Array };
  /** BN-folded f32 weights by name, as the fp32 file stores them */
  folded: Map<string, Float32Array>;
  encFolded: Map<string, Float32Array>;
  /** the tfjs reference model (inference mode); dispose when done */
  ref: DaaModel;
  encRef: DaaModel;
}

export const MODEL_CONFIGS: Record<'c3ae' | 'resnet18', { label: string; cfg: ModelConfig }> = {
  c3ae: { label: 'C3AE-DAA 96px (32x8x8)', cfg: { ...DEFAULT_CONFIG } },
  resnet18: { label: 'ResNet18-DAA 128px (512x8x8)', cfg: { ...DEFAULT_CONFIG, encoder: 'resnet18', inputSize: 128, width: 64 } },
};

function foldedOf(bytes: Uint8Array): Map<string, Float32Array> {
  const f = readWeightFile(bytes);
  const m = new Map<string, Float32Array>();
  for (const [name, t] of f.tensors) m.set(name, dequantize(t));
  return m;
}

async function make(cfg: ModelConfig, seed: number) {
  const prev = tf.getBackend();
  // the export reads tensors synchronously: the plain CPU backend
  if (prev !== 'cpu') await tf.setBackend('cpu');
  const ref = new DaaModel(cfg, seed);
  ref.randomizeBatchNorm(seed + 6);
  // the output layers start near zero (std 0.01); larger values make the parity checks between
  // runtimes meaningful (Delta_y of a few years instead of a few hundredths)
  for (const n of ['dec.fc.w', 'reg.fc.w'])
    if (ref.vars.has(n)) {
      const v = ref.v(n);
      v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', seed + 11));
    }
  const fp32 = exportWeights(ref, 'fp32', { bench: 'random weights' });
  const folded = foldedOf(fp32);
  // int8 files carry their activation scales, as shipped ones do (train/ship.ts), so that loading
  // one does not calibrate; these come from the runtime's own synthetic calibration images
  const activationScales = await calibrate(await compileBackend('simd'), cfg, folded);
  const files = { fp32, int8: exportWeights(ref, 'int8', { bench: 'random weights', activationScales }) };
  if (prev && prev !== 'cpu') await tf.setBackend(prev);
  return { ref, files, folded };
}

export async function makeModel(key: 'c3ae' | 'resnet18', seed = 1): Promise<BenchModel> {
  const { label, cfg } = MODEL_CONFIGS[key];
  const a = await make(cfg, seed);
  const encCfg: ModelConfig = { ...cfg, daa: 'none' };
  const b = await make(encCfg, seed); // same seed: the same encoder weights
  return { key, label, cfg, encCfg, files: a.files, encFiles: b.files, folded: a.folded, encFolded: b.folded, ref: a.ref, encRef: b.ref };
}

/** The benchmark input: a deterministic 128x128 RGBA image (speed does not depend on its content). */
export function benchImage(side = 128): { data: Uint8ClampedArray; width: number; height: number } {
  const data = new Uint8ClampedArray(side * side * 4);
  for (let i = 0; i < data.length; i++) data[i] = (Math.imul(i, 2654435761) >>> 24) & 0xff;
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return { data, width: side, height: side };
}
