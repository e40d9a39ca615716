// Shared (scalar-only, both builds) helpers of qs8_conv2d / qs8_quantize: output size, the
// per-element epilogue (dequantise + bias + residual + activation + requantise), debug checks.
//
// Numeric contract (docs/kernels.md "int8"): activation codes are u7 values 0..127 stored in i8
// bytes (x = scale * q + offset), weights are symmetric per-output-channel i8 codes -127..127, the
// accumulator is an exact i32 sum of code products. Every f32 step below is one IEEE operation in
// a fixed order, so the SIMD, relaxed-SIMD and scalar builds give bit-identical f32 outputs and
// codes (the only exception is act 3, sigmoid, which is evaluated by the same scalar expf in all
// builds and therefore also identical).
import { actf } from "../f32/activation";
import { check, checkF32, checkU8 } from "../util/check";

/** Output size of a valid convolution over an already padded region: (n - K) / stride + 1, or 0. */
@inline export function qconvOut(n: i32, K: i32, stride: i32): i32 {
  return n < K ? 0 : (n - K) / stride + 1;
}

/** Bytes of packed weights per block of 8 output channels: K * (K * Cs / 4) quads of 32 bytes. */
@inline export function qBlockBytes(K: i32, Cs: i32): usize {
  return <usize>(K * K * Cs) << 3;
}

/**
 * Requantise one f32 value to a u7 code: nearest((v - off) * inv) (round half to even), clamped
 * to [0, 127]; NaN gives 0 (what i32x4.trunc_sat_f32x4_s gives after f32x4.max/min).
 */
@inline export function quant1(v: f32, inv: f32, off: f32): i32 {
  const q = nearest<f32>((v - off) * inv);
  return q >= <f32>0.0 ? <i32>Mathf.min(q, <f32>127.0) : 0;
}

/**
 * Epilogue of one output element (pixel opix, channel co): v = f32(acc) * ms[co] + b[co]
 * (+ res), act; store to y if y != 0; store the code to yqp[co] if yqp != 0.
 */
@inline export function qepi1(
  acc: i32, co: i32, opix: i32, Cout: i32, ms: usize, bias: usize, act: i32, res: usize, y: usize,
  yqp: usize, yInv: f32, yOff: f32,
): void {
  const coB = <usize>co << 2;
  let v = <f32>acc * load<f32>(ms + coB) + load<f32>(bias + coB);
  const e = (<usize>opix * <usize>Cout + <usize>co) << 2;
  if (res != 0) v += load<f32>(res + e);
  v = actf(v, act);
  if (y != 0) store<f32>(y + e, v);
  if (yqp != 0) store<i8>(yqp + <usize>co, <i8>quant1(v, yInv, yOff));
}

/** Debug-build validation of qs8_conv2d arguments (compiles to nothing with --noAssert). */
@inline export function checkQConvArgs(
  xq: usize, Hi: i32, Wi: i32, xW: i32, Cs: i32, wq: usize, Cout: i32, K: i32, stride: i32,
  ms: usize, bias: usize, act: i32, res: usize, y: usize, yq: usize, yW: i32, yCs: i32,
): void {
  if (!ASC_NO_ASSERT) {
    check(Hi >= 1 && Wi >= 1 && Cs >= 4 && Cout >= 1, "qs8_conv2d: Hi, Wi, Cout must be >= 1, Cs >= 4");
    check((Cs & 3) == 0, "qs8_conv2d: Cs must be a multiple of 4");
    check(xW >= Wi, "qs8_conv2d: xW must be >= Wi");
    check(K == 1 || K == 3, "qs8_conv2d: K must be 1 or 3");
    check(stride == 1 || stride == 2, "qs8_conv2d: stride must be 1 or 2");
    check(act >= 0 && act <= 3, "qs8_conv2d: act must be 0..3");
    check(y != 0 || yq != 0, "qs8_conv2d: y and yq are both 0");
    const OH = qconvOut(Hi, K, stride), OW = qconvOut(Wi, K, stride);
    checkU8(xq, ((Hi - 1) * xW + Wi) * Cs, "qs8_conv2d: xq out of bounds");
    checkU8(wq, <i32>qBlockBytes(K, Cs) * ((Cout + 7) >> 3), "qs8_conv2d: wq out of bounds");
    checkF32(ms, Cout, "qs8_conv2d: ms out of bounds or misaligned");
    checkF32(bias, Cout, "qs8_conv2d: bias out of bounds or misaligned");
    if (y != 0) checkF32(y, OH * OW * Cout, "qs8_conv2d: y out of bounds or misaligned");
    if (res != 0) checkF32(res, OH * OW * Cout, "qs8_conv2d: res out of bounds or misaligned");
    if (yq != 0 && OH > 0 && OW > 0) {
      check(yW >= OW && yCs >= Cout && (yCs & 3) == 0, "qs8_conv2d: yW >= OW, yCs >= Cout and yCs % 4 == 0 required");
      checkU8(yq, ((OH - 1) * yW + OW) * yCs, "qs8_conv2d: yq out of bounds");
    }
  }
}

/** Debug-build validation of qs8_quantize arguments. */
@inline export function checkQuantArgs(x: usize, H: i32, W: i32, C: i32, yq: usize, yW: i32, yCs: i32): void {
  if (!ASC_NO_ASSERT) {
    check(H >= 1 && W >= 1 && C >= 1, "qs8_quantize: H, W, C must be >= 1");
    check(yW >= W && yCs >= C, "qs8_quantize: yW >= W and yCs >= C required");
    checkF32(x, H * W * C, "qs8_quantize: x out of bounds or misaligned");
    checkU8(yq, ((H - 1) * yW + W) * yCs, "qs8_quantize: yq out of bounds");
  }
}
