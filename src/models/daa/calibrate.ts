/**
 * Activation scales of an int8 DAA model, measured by running its f32 plan (src/quant.ts describes
 * the scheme; this file only runs the model). Lives with the family, not in src/quant.ts, so that
 * the packing code does not depend on the planner.
 */
import { Arena } from '../../arena.ts';
import { encoderGraph, type ModelConfig } from '../../arch.ts';
import { instantiateKernels } from '../../kernels.ts';
import { qparams, quantisedTensors, type ActivationScales } from '../../quant.ts';
import { DaaModel } from './model.ts';
import { planDaa } from './plan.ts';

/** calibrated ranges are widened by this factor: inputs unlike the calibration images saturate less */
export const HEADROOM = 1.25;

/**
 * n deterministic synthetic calibration images (size x size x 3 f32 in [0, 1], HWC), face-like in
 * their statistics: smooth illumination gradients, elliptic blobs of skin-like and dark tones,
 * edges and fine noise. Index 0..n-1 always gives the same image.
 */
export function calibrationImages(size: number, n = 4): Float32Array[] {
  const out: Float32Array[] = [];
  for (let k = 0; k < n; k++) {
    let s = (0x9e3779b9 * (k + 1)) >>> 0;
    const rnd = () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const img = new Float32Array(size * size * 3);
    const base = [0.35 + 0.4 * rnd(), 0.25 + 0.35 * rnd(), 0.2 + 0.3 * rnd()];
    const gx = rnd() - 0.5, gy = rnd() - 0.5;
    const blobs = Array.from({ length: 6 }, () => ({
      cx: rnd(), cy: rnd(), rx: 0.05 + 0.3 * rnd(), ry: 0.05 + 0.3 * rnd(),
      c: [rnd(), rnd() * 0.8, rnd() * 0.7], a: 0.3 + 0.7 * rnd(),
    }));
    const noise = 0.02 + 0.1 * (k % 2) * rnd();
    const stripe = k % 3 === 2 ? 2 + Math.floor(rnd() * 8) : 0;
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const u = x / size, v = y / size;
        for (let c = 0; c < 3; c++) {
          let val = base[c] + 0.4 * (gx * (u - 0.5) + gy * (v - 0.5));
          for (const b of blobs) {
            const d = ((u - b.cx) / b.rx) ** 2 + ((v - b.cy) / b.ry) ** 2;
            if (d < 1) val += (b.c[c] - val) * b.a * (1 - d);
          }
          if (stripe && Math.floor((x + y) / stripe) % 2 === 0) val *= 0.5;
          val += noise * (rnd() * 2 - 1);
          img[(y * size + x) * 3 + c] = Math.min(1, Math.max(0, val));
        }
      }
    out.push(img);
  }
  return out;
}

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

