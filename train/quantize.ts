/**
 * The reference int8 quantiser, for deterministic creation of weight files: symmetric, per output
 * channel (the last axis of HWIO conv weights and of [Cin, Cout] fully connected weights),
 * scale = max|w| / 127, code = roundHalfToEven(w / scale) in [-127, 127]. An all-zero channel gets
 * scale 0 and codes 0.
 */

/** Round half to even on an f32 value (what f32x4.nearest does). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; step back to the even neighbour on exact ties
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function quantizePerChannel(w: Float32Array, outChannels: number): { codes: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(outChannels);
  for (let i = 0; i < w.length; i++) {
    const c = i % outChannels;
    scales[c] = Math.max(scales[c], Math.abs(w[i]));
  }
  for (let c = 0; c < outChannels; c++) scales[c] = Math.fround(scales[c] / 127);
  const codes = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const s = scales[i % outChannels];
    if (s === 0) continue;
    const q = roundHalfEven(Math.fround(w[i] / s));
    codes[i] = Math.max(-127, Math.min(127, q));
  }
  return { codes, scales };
}
