// The f32 weight layout of f32_conv2d_packed (docs/kernels.md), packed once at load. The int8
// layouts are in src/quant.ts, the f32 Winograd transform in src/winograd.ts.

/**
 * HWIO f32 weights (K x K x Cin x Cout) -> the f32_conv2d_packed layout [ceil(Cout/8)][K][K][Cin][8]
 * (each block of 8 output channels contiguous, the tail block zero-padded).
 */
export function packF32Weights(w: Float32Array, K: number, Cin: number, Cout: number): Float32Array {
  const nb = Math.ceil(Cout / 8);
  const taps = K * K * Cin;
  const out = new Float32Array(nb * taps * 8);
  for (let t = 0; t < taps; t++)
    for (let co = 0; co < Cout; co++) out[((co >> 3) * taps + t) * 8 + (co & 7)] = w[t * Cout + co];
  return out;
}
