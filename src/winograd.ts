// Winograd F(2x2, 3x3) weight transform for f32_conv3x3_winograd (docs/kernels.md).
//
// A valid 3x3 / stride 1 convolution computes each 2x2 output block from a 4x4 input tile d as
//   Y = A^T [ (G g G^T) .* (B^T d B) ] A            (Lavin & Gray 2016, F(2x2, 3x3))
// with, for one (input channel, output channel) pair of 3x3 taps g:
//   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],  B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
//   A^T = [1 1 1 0; 0 1 -1 -1].
// 16 multiplies per output channel and input channel give 4 outputs, against 36 for the direct
// convolution: the per-tile products become 16 small matrix products over the channels.

/** Winograd positions per tile (4 x 4). */
export const WINO_POS = 16;

/**
 * U = G g G^T of HWIO 3x3 weights (w[((ky * 3 + kx) * Cin + ci) * Cout + co]), computed in f64 and
 * rounded once, packed [ceil(Cout / 8)][16][Cin][8] (position xi = 4 r + c; the last block's missing
 * channels are zero): the layout f32_conv3x3_winograd streams, 8 output channels per vector pair.
 * `into` (winogradPackedFloats(Cin, Cout) floats, e.g. a view of wasm memory) receives the result
 * instead of a new array: packing in place spares a second copy of the weights in fresh memory,
 * whose first touch dominates a large model's load.
 */
export function packWinogradWeights(w: Float32Array, Cin: number, Cout: number, into?: Float32Array): Float32Array {
  if (w.length !== 9 * Cin * Cout) throw new Error(`packWinogradWeights: expected ${9 * Cin * Cout} weights, got ${w.length}`);
  const n = winogradPackedFloats(Cin, Cout);
  if (into && into.length !== n) throw new Error(`packWinogradWeights: expected an output of ${n} floats, got ${into.length}`);
  const out = into ?? new Float32Array(n);
  if (into && Cout % 8 !== 0) into.fill(0); // the last block's missing channels
  const tap = Cin * Cout; // HWIO stride between the 9 taps of one (ci, co)
  // G g G^T as t = G g (4 x 3), then t G^T (4 x 4). Every term is an f32 tap times +-1 or +-1/2 and
  // at most 9 are summed, so the f64 sums are exact (for taps within 2^29 of each other in
  // magnitude) and the one rounding to f32 gives the value of the textbook triple sum.
  const t = new Float64Array(12);
  for (let ci = 0; ci < Cin; ci++)
    for (let co = 0; co < Cout; co++) {
      const i0 = ci * Cout + co;
      for (let kx = 0; kx < 3; kx++) {
        const g0 = w[i0 + kx * tap], g1 = w[i0 + (3 + kx) * tap], g2 = w[i0 + (6 + kx) * tap];
        t[kx] = g0;
        t[3 + kx] = (g0 + g1 + g2) * 0.5;
        t[6 + kx] = (g0 - g1 + g2) * 0.5;
        t[9 + kx] = g2;
      }
      const o = ((co >> 3) * WINO_POS * Cin + ci) * 8 + (co & 7);
      const posStride = Cin * 8;
      for (let r = 0; r < 4; r++) {
        const a = t[3 * r], b = t[3 * r + 1], c = t[3 * r + 2];
        const p = o + r * 4 * posStride;
        out[p] = a;
        out[p + posStride] = (a + b + c) * 0.5;
        out[p + 2 * posStride] = (a - b + c) * 0.5;
        out[p + 3 * posStride] = c;
      }
    }
  return out;
}

/** f32 elements of packWinogradWeights's output. */
export function winogradPackedFloats(Cin: number, Cout: number): number {
  return Math.ceil(Cout / 8) * WINO_POS * Cin * 8;
}

/** f32 elements of scratch f32_conv3x3_winograd needs: V [16][4][Cin] and M [16][4][8 ceil(Cout / 8)]. */
export function winogradScratchFloats(Cin: number, Cout: number): number {
  return WINO_POS * 4 * (Cin + 8 * Math.ceil(Cout / 8));
}
