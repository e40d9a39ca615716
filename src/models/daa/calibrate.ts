/**
 * Activation scales of an int8 DAA model, measured by running its f32 plan (src/quant.ts describes
 * the scheme; this file only runs the model). Lives with the family, not in src/quant.ts, so that
 * the packing code does not depend on the planner.
 */
import { Arena } from '../../arena.ts';
import { encoderGraph, type ModelConfig } from '../../arch.ts';
import { instantiateKernels } from '../../kernels.ts';
import { calibrationImages, HEADROOM, qparams, quantisedTensors, type ActivationScales } from '../../quant.ts';
import { DaaModel } from './model.ts';
import { planDaa } from './plan.ts';

/**
 * Activation quantisation parameters of a model: run the f32 model (its own memory and kernel
 * instance, dropped afterwards) over `images` (default: calibrationImages(inputSize)), record
 * every quantised tensor's [min, max], return { name: [scale, offset] }. The result can be stored
 * as `meta.activationScales` in a weight file to skip this step at load.
 */
export async function calibrate(
  module: WebAssembly.Module, cfg: ModelConfig, weights: Map<string, Float32Array>, images?: Float32Array[],
): Promise<ActivationScales> {
  const imgs = images ?? calibrationImages(cfg.inputSize);
  const memory = new WebAssembly.Memory({ initial: 32, maximum: 16384 });
  const k = await instantiateKernels(module, memory);
  const arena = new Arena(memory, k.heap_base(), 1024 * 1024 * 1024);
  const model = new DaaModel(planDaa(cfg, weights, { winograd: true }), k, arena, weights);
  const names = quantisedTensors(cfg);
  const g = encoderGraph(cfg);
  const lo = new Map<string, number>(names.map((n) => [n, Infinity]));
  const hi = new Map<string, number>(names.map((n) => [n, -Infinity]));
  const S = cfg.inputSize;
  for (const img of imgs) {
    if (img.length !== S * S * 3) throw new Error(`calibrate: image of ${img.length} values, expected ${S * S * 3}`);
    arena.f32(model.input, img.length).set(img);
    model.runEncoder();
    for (const n of names) {
      const [h, w, c] = g.shapes[n];
      const v = arena.f32(model.tensor(n), h * w * c);
      let a = lo.get(n)!, b = hi.get(n)!;
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x < a) a = x;
        if (x > b) b = x;
      }
      lo.set(n, a);
      hi.set(n, b);
    }
  }
  const out: ActivationScales = {};
  for (const n of names) out[n] = qparams(HEADROOM * lo.get(n)!, HEADROOM * hi.get(n)!);
  return out;
}

