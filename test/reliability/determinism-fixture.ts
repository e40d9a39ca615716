/**
 * Determinism fixture, usable from any JavaScript runtime (Node, Deno, Bun, browsers, workerd):
 * pure TypeScript, no `node:` imports, no tfjs. It builds
 *
 * - `makeWeights()`: a C3AE-DAA 64 px fp32 weight file (the real writer, train/format-writer.ts) whose
 *   tensors are seeded uniform values sized by `weightShapes(cfg)` (src/arch.ts);
 * - `makeImage()`: a seeded 80x72 RGBA face-crop-sized image (smooth gradient plus noise);
 * - `expected`: the bits of the age (f64, hex) and of every per-template estimate (f32, FNV-1a over
 *   the little-endian bytes) that the SIMD and the scalar kernel builds give for them, as measured on
 *   Node 20 (test/reliability/determinism.test.ts checks them on every run);
 * - `fixtureCrc`: the CRC-32 of the weight file and of the image bytes, to tell a generator problem
 *   from a kernel difference.
 *
 * Only +, -, *, / and Math.sqrt (all correctly rounded by IEEE 754) and Math.fround/Math.floor are
 * used to make the data, so every engine makes the same bytes. The kernels contain no relaxed-SIMD
 * instruction, so the wasm arithmetic is the same on every engine; only NaN payloads may differ, and
 * a NaN is never produced here.
 *
 * Usage on another runtime:
 *   const est = await createEstimator({ crop: 'chip', model: makeWeights(), backend: 'simd' });
 *   const r = est.estimate(makeImage());
 *   f64Hex(r.age) === expected.simd.age && f32Fnv(r.perTemplate) === expected.simd.perTemplate
 *
 * The expected values belong to one build of the kernels: a change of any f32 kernel's arithmetic
 * order changes them (rerun this test with DAA_PRINT_FIXTURE=1 to print the new ones).
 */
import { DEFAULT_CONFIG, weightShapes, type ModelConfig } from '../../src/arch.ts';
import type { StoredTensor } from '../../src/format.ts';
import { writeWeightFile } from '../../train/format-writer.ts';

export const FIXTURE_CONFIG: ModelConfig = { ...DEFAULT_CONFIG, inputSize: 64 };
export const WEIGHT_SEED = 20240601;
export const IMAGE_SEED = 77;
export const IMAGE_WIDTH = 80;
export const IMAGE_HEIGHT = 72;

/** mulberry32: 32-bit state, integer arithmetic only, so identical on every engine */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seeded tensors of a config, uniform in +-sqrt(6 / fan_in) for weights (He-uniform), +-0.1 for biases. */
export function makeTensors(cfg: ModelConfig = FIXTURE_CONFIG, seed = WEIGHT_SEED): StoredTensor[] {
  const rnd = mulberry32(seed);
  const out: StoredTensor[] = [];
  for (const [name, shape] of weightShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (name === 'tmpl.age') {
      for (let i = 0; i < n; i++) data[i] = i;
    } else if (name === 'tmpl.s') {
      for (let i = 0; i < n; i++) data[i] = 0.5 + rnd();
    } else {
      const fanIn = shape.length === 1 ? 0 : shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const a = fanIn ? Math.sqrt(6 / fanIn) : 0.1;
      for (let i = 0; i < n; i++) data[i] = (2 * rnd() - 1) * a;
    }
    out.push({ name, dtype: 'f32', shape: shape.slice(), data });
  }
  return out;
}

/** The fixture's weight file (fp32, C3AE-DAA 64 px, binary mapping); a fresh copy per call. */
export function makeWeights(cfg: ModelConfig = FIXTURE_CONFIG, seed = WEIGHT_SEED): Uint8Array {
  return writeWeightFile(cfg, 'fp32', makeTensors(cfg, seed), { fixture: 'determinism', seed });
}

/** The fixture's image: IMAGE_WIDTH x IMAGE_HEIGHT RGBA, a smooth gradient with seeded noise; a fresh copy per call. */
export function makeImage(width = IMAGE_WIDTH, height = IMAGE_HEIGHT, seed = IMAGE_SEED): { data: Uint8ClampedArray; width: number; height: number } {
  const rnd = mulberry32(seed);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const base = (x * 160) / width + (y * 80) / height;
      data[i] = Math.floor(base + 16 * rnd());
      data[i + 1] = Math.floor(base * 0.8 + 32 * rnd());
      data[i + 2] = Math.floor(200 - base * 0.5 + 24 * rnd());
      data[i + 3] = 255;
    }
  return { data, width, height };
}

/** The IEEE 754 bits of a double, as 16 hex digits. */
export function f64Hex(x: number): string {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x, false);
  return dv.getBigUint64(0, false).toString(16).padStart(16, '0');
}

/** FNV-1a (32-bit) over the little-endian bytes of f32 values, as 8 hex digits. */
export function f32Fnv(values: Float32Array): string {
  const dv = new DataView(new ArrayBuffer(4));
  let h = 0x811c9dc5;
  for (let i = 0; i < values.length; i++) {
    dv.setFloat32(0, values[i], true);
    for (let b = 0; b < 4; b++) h = Math.imul(h ^ dv.getUint8(b), 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** CRC-32 (src/crc32.ts) of makeWeights() and of makeImage().data: a runtime that makes other bytes has a broken generator, not broken kernels. */
export const fixtureCrc = { weights: 'efa92a14', image: '725cba1a' };

export interface ExpectedBits {
  /** f64Hex(result.age) */
  age: string;
  /** f32Fnv(result.perTemplate) */
  perTemplate: string;
  /** the age itself, for reading (the hex is the reference) */
  approxAge: number;
}

/** Measured on Node 20 (V8) with the kernel builds of this commit; interval 1 (all 100 templates). */
export const expected: { simd: ExpectedBits; scalar: ExpectedBits } = {
  simd: { age: '4048eb6f0f0e6666', perTemplate: '4379037a', approxAge: 49.83932674601674 },
  scalar: { age: '4048eb6f0f233333', perTemplate: '90e18f07', approxAge: 49.839326755702494 },
};
