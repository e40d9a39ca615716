// Scalar activation helpers shared by both builds (no v128 here: the scalar build imports it).
//
// Activation codes (docs/kernels.md): 0 identity, 1 ReLU, 2 hard-swish, 3 sigmoid.
// Hard-swish is computed as `x * min(max(x + 3, 0), 6) / 6` - a true division by 6 (not a
// multiply by 1/6), evaluated left to right, identically in the scalar and SIMD builds and
// in the TypeScript reference.

// the codes themselves are generated from assembly/kernels.manifest.json (one definition for the
// kernels and src/kernel-abi.ts)
import { ACT_IDENTITY, ACT_RELU, ACT_HSWISH, ACT_SIGMOID } from "./activation.codes";
export { ACT_IDENTITY, ACT_RELU, ACT_HSWISH, ACT_SIGMOID };

/**
 * exp(x) in f32 without lookup tables. AssemblyScript's `Mathf.exp` uses a table placed in a
 * data segment at -O3 (shrinkLevel 0), which the ABI forbids, so this is a Cephes-style
 * range reduction (x = n ln2 + r, |r| <= ln2/2, ln2 split in two constants) plus a degree-6
 * polynomial. Max error about 1-2 ulp on the normal range; returns 0 below -87 (where the
 * true result is < 1.7e-38) and +Infinity above 88.72.
 */
const EXP_HI: f32 = 88.72283;
const EXP_LO: f32 = -87.0;
const LOG2E: f32 = 1.44269504089;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = 2.12194440e-4;

export function expf(x: f32): f32 {
  if (x != x) return x;
  if (x > EXP_HI) return Infinity;
  if (x < EXP_LO) return 0;
  const n: f32 = nearest<f32>(x * LOG2E);
  const r = x - n * LN2_HI + n * LN2_LO;
  let p: f32 = 1.9875691500e-4;
  p = p * r + 1.3981999507e-3;
  p = p * r + 8.3334519073e-3;
  p = p * r + 4.1665795894e-2;
  p = p * r + 1.6666665459e-1;
  p = p * r + 5.0000001201e-1;
  let e = p * r * r + r + 1.0;
  let k = <i32>n; // in [-126, 128]
  if (k > 127) { e *= 2.0; k -= 1; }
  return e * reinterpret<f32>((k + 127) << 23);
}

/** 1 / (1 + exp(-x)) in f32. */
@inline export function sigmoidf(x: f32): f32 {
  return <f32>1.0 / (<f32>1.0 + expf(-x));
}

/** x * min(max(x + 3, 0), 6) / 6 in f32. */
@inline export function hswishf(x: f32): f32 {
  return x * Mathf.min(Mathf.max(x + <f32>3.0, <f32>0.0), <f32>6.0) / <f32>6.0;
}

/** Applies activation code `act` to one scalar. Unknown codes act as identity. */
@inline export function actf(v: f32, act: i32): f32 {
  if (act == ACT_RELU) return Mathf.max(v, <f32>0.0);
  if (act == ACT_HSWISH) return hswishf(v);
  if (act == ACT_SIGMOID) return sigmoidf(v);
  return v;
}
