/**
 * The int8 compute path's TypeScript side: weight packing for qs8_conv2d, activation quantisation
 * parameters and their calibration. Scheme (docs/kernels.md "int8"):
 *
 * - weights: the file's symmetric per-output-channel int8 codes (-127..127, round half to even),
 *   value = code * wscale[co]; packed at load into [ceil(Cout/8)][K][K*Cs/4][8][4] (packQ8Weights).
 * - activations: per-tensor u7 codes q in 0..127 with x ~ scale * q + offset. offset is 0 for
 *   tensors that cannot be negative on the calibration set (image, ReLU outputs); a tensor with
 *   negative values (hard-swish outputs reach -0.375) gets offset = its calibrated minimum. 7 bits,
 *   not 8, so that the relaxed-SIMD i8 x i7 dot product is exact on every engine; the same codes
 *   are used by every build, so all three give the same answer.
 * - calibration: per-tensor [min, max] over a fixed set of synthetic images (calibrationImages, src/models/daa/calibrate.ts),
 *   run through the f32 model at load (src/models/daa/calibrate.ts); or `meta.activationScales` from the weight file
 *   ({ buffer name: [scale, offset] }, what `calibrate()` returns) when it covers every tensor.
 */
import { encoderGraph, type ModelConfig } from './arch.ts';

/** x ~ scale * q + offset, q in 0..127 */
export type QParams = [scale: number, offset: number];
export type ActivationScales = Record<string, QParams>;

export const Q_MAX = 127;

/** Channel stride (bytes per pixel) of a code tensor with C channels: C rounded up to 4. */
export const codeStride = (c: number) => (c + 3) & ~3;

/** Bytes of packed weights for one conv. */
export const packedQ8Bytes = (K: number, Cin: number, Cout: number) => Math.ceil(Cout / 8) * K * K * codeStride(Cin) * 8;

/**
 * HWIO int8 codes (K x K x Cin x Cout) -> the qs8_conv2d layout [ceil(Cout/8)][ky][q][8][4]:
 * reduction index r = kx * Cs + ci (Cs = codeStride(Cin)) grouped in quads q = r >> 2; channel
 * padding (ci >= Cin) and block padding (co >= Cout) are zero.
 */
export function packQ8Weights(codes: Int8Array, K: number, Cin: number, Cout: number): Int8Array {
  const Cs = codeStride(Cin);
  const nQ = (K * Cs) >> 2;
  const nb = Math.ceil(Cout / 8);
  const out = new Int8Array(packedQ8Bytes(K, Cin, Cout));
  for (let b = 0; b < nb; b++)
    for (let ky = 0; ky < K; ky++)
      for (let q = 0; q < nQ; q++)
        for (let j = 0; j < 8; j++) {
          const co = b * 8 + j;
          if (co >= Cout) continue;
          for (let t = 0; t < 4; t++) {
            const r = q * 4 + t;
            const kx = Math.floor(r / Cs);
            const ci = r % Cs;
            if (ci >= Cin) continue;
            out[(((b * K + ky) * nQ + q) * 8 + j) * 4 + t] = codes[((ky * K + kx) * Cin + ci) * Cout + co];
          }
        }
  return out;
}

/**
 * HWIO int8 codes (3 x 3 x Cin x Cout, as packQ8Weights takes them) -> the qs8_conv3x3_winograd
 * weights: per (ci, co) U' = (2G) g (2G)^T = 4 G g G^T with 2G = [2 0 0; 1 1 1; 1 -1 1; 0 0 2]
 * (integers, |U'| <= 9 * 127 = 1143), packed i16 [ceil(Cout/8)][16][Cs/2][8][2]
 * (Cs = codeStride(Cin); position xi = 4 r + c; for channel pair p the 8 output channels each hold
 * (ci = 2p, ci = 2p + 1), so one v128 is 4 output channels x 2 input channels). Channel padding
 * (ci >= Cin) and block padding (co >= Cout) are zero. `into` (q8WinogradPackedLength values, e.g. a
 * view of wasm memory) receives the result instead of a new array.
 */
export function packQ8WinogradWeights(codes: Int8Array, Cin: number, Cout: number, into?: Int16Array): Int16Array {
  if (codes.length !== 9 * Cin * Cout) throw new Error(`packQ8WinogradWeights: expected ${9 * Cin * Cout} codes, got ${codes.length}`);
  const Cs = codeStride(Cin), nP = Cs >> 1;
  const n = q8WinogradPackedLength(Cin, Cout);
  if (into && into.length !== n) throw new Error(`packQ8WinogradWeights: expected an output of ${n} values, got ${into.length}`);
  const out = into ?? new Int16Array(n);
  if (into && (Cin !== Cs || Cout % 8 !== 0)) into.fill(0); // padding channels
  const tap = Cin * Cout; // HWIO stride between the 9 taps of one (ci, co)
  const posStride = nP * 16; // i16 elements between positions xi of one block
  const t = new Int32Array(12); // (2G) g, 4 x 3
  for (let ci = 0; ci < Cin; ci++)
    for (let co = 0; co < Cout; co++) {
      const i0 = ci * Cout + co;
      for (let kx = 0; kx < 3; kx++) {
        const g0 = codes[i0 + kx * tap], g1 = codes[i0 + (3 + kx) * tap], g2 = codes[i0 + (6 + kx) * tap];
        t[kx] = 2 * g0;
        t[3 + kx] = g0 + g1 + g2;
        t[6 + kx] = g0 - g1 + g2;
        t[9 + kx] = 2 * g2;
      }
      const o = (((co >> 3) * 16 * nP + (ci >> 1)) * 8 + (co & 7)) * 2 + (ci & 1);
      for (let r = 0; r < 4; r++) {
        const a = t[3 * r], b = t[3 * r + 1], c = t[3 * r + 2];
        const p = o + r * 4 * posStride;
        out[p] = 2 * a;
        out[p + posStride] = a + b + c;
        out[p + 2 * posStride] = a - b + c;
        out[p + 3 * posStride] = 2 * c;
      }
    }
  return out;
}

/** i16 values of packQ8WinogradWeights's output. */
export const q8WinogradPackedLength = (Cin: number, Cout: number) => Math.ceil(Cout / 8) * 16 * codeStride(Cin) * 8;

/** Tiles per group of qs8_conv3x3_winograd (assembly/q8/winograd.common.ts Q8W_GROUP). */
const Q8W_GROUP = 4;

/**
 * Bytes of scratch qs8_conv3x3_winograd needs: V [16][4 tiles][Cs] i16 and M [16][4 tiles][8] i32
 * (one block of 8 output channels at a time, so Cout does not enter today): 128 Cs + 2048.
 * Pass it 16-byte aligned.
 */
export function q8WinogradScratchBytes(Cs: number, Cout: number): number {
  void Cout;
  return 16 * Q8W_GROUP * Cs * 2 + 16 * Q8W_GROUP * 8 * 4;
}

/** Quantisation parameters for a tensor observed in [min, max]. */
export function qparams(min: number, max: number): QParams {
  const lo = Math.min(0, min);
  const hi = Math.max(max, lo + 1e-6);
  // a tensor whose negative part is within 1/255 of its range is treated as non-negative (offset 0)
  const offset = -lo * 255 < hi - lo ? 0 : lo;
  return [Math.fround((hi - offset) / Q_MAX), Math.fround(offset)];
}

/** Names of the activation tensors the int8 path quantises: the inputs of the encoder's convs. */
export function quantisedTensors(cfg: ModelConfig): string[] {
  const g = encoderGraph(cfg);
  const s = new Set<string>();
  for (const op of g.ops) if (op.kind === 'conv' && op.cin >= 8) s.add(op.src); // RGB stems stay f32 (src/engine/ops.ts)
  return [...s];
}

/**
 * `meta.activationScales` of a weight file when it is well formed and covers every quantised tensor, else
 * null. An entry `null` keeps that tensor f32: the convs that read it compute in f32 on their dequantised
 * int8 weights (weight-only int8, for inputs whose range 7-bit codes cannot hold, such as depthwise outputs
 * whose channels differ widely); it is left out of the result.
 */
export function scalesFromMeta(meta: Record<string, unknown>, cfg: ModelConfig): ActivationScales | null {
  const m = meta.activationScales as Record<string, unknown> | undefined;
  if (!m || typeof m !== 'object') return null;
  const out: ActivationScales = {};
  for (const n of quantisedTensors(cfg)) {
    const v = m[n];
    if (v === null && n in m) continue;
    if (!Array.isArray(v) || v.length !== 2) return null;
    const [s, o] = v as unknown[];
    if (typeof s !== 'number' || typeof o !== 'number' || !(s > 0) || !Number.isFinite(s) || !Number.isFinite(o) || o > 0) return null;
    out[n] = [Math.fround(s), Math.fround(o)];
  }
  return out;
}
