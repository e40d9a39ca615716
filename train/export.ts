/**
 * Exporter: the TensorFlow.js reference model -> weight file. Folds every BatchNorm into the conv
 * before it (w' = w * g, b' = (b - mean) * g + beta with g = gamma / sqrt(var + eps)) and writes fp32
 * or int8 (per-output-channel symmetric codes for every `.w` tensor, see quantize.ts) files.
 */
import * as tf from '@tensorflow/tfjs';
import { BN_EPS, weightShapes } from '../src/arch.ts';
import type { Precision, StoredTensor } from '../src/format.ts';
import { writeWeightFile } from './format-writer.ts';
import type { DaaModel } from './model.ts';
import { quantizePerChannel } from './quantize.ts';

function values(t: tf.Tensor): Float32Array {
  return new Float32Array(t.dataSync());
}

/** The folded fp32 tensors of a model, in weightShapes() order. */
export function foldedTensors(model: DaaModel): StoredTensor[] {
  const shapes = weightShapes(model.cfg);
  const out: StoredTensor[] = [];
  const has = (n: string) => model.vars.has(n);
  const f32 = (name: string, data: Float32Array) => out.push({ name, dtype: 'f32', shape: shapes.get(name)!, data });
  for (const [name, shape] of shapes) {
    if (!name.endsWith('.w') && !name.endsWith('.b')) {
      f32(name, values(model.v(name))); // tmpl.*
      continue;
    }
    const layer = name.slice(0, -2);
    const isW = name.endsWith('.w');
    if (!has(`${layer}.bn.gamma`)) {
      // no BN: weights as they are; a conv without its own bias gets zeros
      f32(name, has(name) ? values(model.v(name)) : new Float32Array(shape[shape.length - 1]));
      continue;
    }
    const gamma = values(model.v(`${layer}.bn.gamma`));
    const beta = values(model.v(`${layer}.bn.beta`));
    const mean = values(model.v(`${layer}.bn.mean`));
    const variance = values(model.v(`${layer}.bn.var`));
    const cout = gamma.length;
    const g = new Float64Array(cout);
    for (let c = 0; c < cout; c++) g[c] = gamma[c] / Math.sqrt(variance[c] + BN_EPS);
    if (isW) {
      const w = values(model.v(name));
      for (let i = 0; i < w.length; i++) w[i] = w[i] * g[i % cout];
      f32(name, w);
    } else {
      const b = has(name) ? values(model.v(name)) : new Float32Array(cout);
      for (let c = 0; c < cout; c++) b[c] = (b[c] - mean[c]) * g[c] + beta[c];
      f32(name, b);
    }
  }
  return out;
}

export function quantizeTensors(tensors: StoredTensor[]): StoredTensor[] {
  return tensors.map((t) => {
    if (!t.name.endsWith('.w') || t.shape.length < 2) return t;
    const { codes, scales } = quantizePerChannel(t.data as Float32Array, t.shape[t.shape.length - 1]);
    return { name: t.name, dtype: 'i8', shape: t.shape, data: codes, scales };
  });
}

export function exportWeights(model: DaaModel, precision: Precision, meta: Record<string, unknown> = {}): Uint8Array {
  const folded = foldedTensors(model);
  return writeWeightFile(model.cfg, precision, precision === 'int8' ? quantizeTensors(folded) : folded, meta);
}
