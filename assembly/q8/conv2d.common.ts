// Shared (scalar-only, all builds) parts of qs8_conv2d / qs8_quantize: output size, the
// per-element epilogue (dequantise + bias + residual + activation + requantise), debug checks, and
// the convolution driver `qconv2d<T>` (argument checks, geometry, loop order, the per-row pixel loop
// and its tail) that the scalar, SIMD and relaxed-SIMD variants instantiate with their register
// tiles (the class T; see `qconv2d`).
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

/**
 * The qs8_conv2d driver of all three variants (ABI: docs/kernels.md `qs8_conv2d`, summarised at
 * `qs8_conv2d__scalar`). The caller stores the zero padding, so every pixel is "interior". Weights
 * are packed [ceil(Cout/8)][K][K*Cs/4][8][4] i8 (src/quant.ts packQ8Weights): a block of 8 output
 * channels is blkB bytes, its kernel row ky is kyB = 32 * nQ bytes, nQ = K*Cs/4 quads of 4
 * reduction bytes x 8 channels. For one output pixel and ky, the taps (kx, ci) are one contiguous run
 * of K*Cs input bytes at xb + ky*rowB (rowB = xW*Cs bytes), read one quad (4 bytes) at a time.
 *
 * Loop order: for each (block of 8 output channels, output row) -- channel blocks outermost when
 * the weights outweigh the input (K*K*Cout > OH*OW*stride^2), so one block's weights are reused by
 * every row; rows outermost otherwise -- the row's pixels in tiles of T.width, then 1-pixel tiles.
 *
 * T holds the variant's register tiles: an `@final @unmanaged` class that is never instantiated
 * (the methods are called on a null phantom and ignore `this`; the release build's dead-argument
 * pass drops it), so the tiles are bound at compile time, without a table or an indirect call:
 *   get width(): i32  pixels of the wide tile, a constant (1: none, and tileN is never compiled)
 *   tileN(xb, pxStep, rowB, nQ, K, wb, kyB, co, n, opix, Cout, ms, bias, act, res, y, yqp, yqStep, yInv, yOff)
 *       width pixels at xb, xb + pxStep, ... (outputs opix, opix + 1, ...; codes at yqp, yqp + yqStep,
 *       ..., none if yqp = 0) x channels co .. co+n-1 (n <= 8, weights at wb): exact accumulation,
 *       then the epilogue (`qepi1`, or `qepi8` of epilogue.simd.ts)
 *   tile1(xb, rowB, nQ, K, wb, kyB, co, n, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff)
 *       the same for one pixel
 */
@inline export function qconv2d<T>(
  xq: usize, Hi: i32, Wi: i32, xW: i32, Cs: i32, wq: usize, Cout: i32, K: i32, stride: i32,
  ms: usize, bias: usize, act: i32, res: usize, y: usize,
  yq: usize, yW: i32, yCs: i32, yInv: f32, yOff: f32,
): void {
  checkQConvArgs(xq, Hi, Wi, xW, Cs, wq, Cout, K, stride, ms, bias, act, res, y, yq, yW, yCs);
  const OH = qconvOut(Hi, K, stride), OW = qconvOut(Wi, K, stride);
  if (OH <= 0 || OW <= 0) return;
  const rowB = <usize>xW * <usize>Cs;
  const nQ = (K * Cs) >> 2;
  const kyB = <usize>nQ << 5;
  const blkB = qBlockBytes(K, Cs);
  if (K * K * Cout > OH * OW * stride * stride) {
    for (let co = 0; co < Cout; co += 8)
      for (let oy = 0; oy < OH; oy++)
        qconvRow<T>(xq, rowB, Cs, stride, nQ, K, wq, kyB, blkB, oy, OW, co, Cout, ms, bias, act, res, y, yq, yW, yCs, yInv, yOff);
  } else {
    for (let oy = 0; oy < OH; oy++)
      for (let co = 0; co < Cout; co += 8)
        qconvRow<T>(xq, rowB, Cs, stride, nQ, K, wq, kyB, blkB, oy, OW, co, Cout, ms, bias, act, res, y, yq, yW, yCs, yInv, yOff);
  }
}

/** Output row oy x channels co .. co+n-1 of `qconv2d`: tiles of T.width pixels, then single pixels. */
function qconvRow<T>(
  xq: usize, rowB: usize, Cs: i32, stride: i32, nQ: i32, K: i32, wq: usize, kyB: usize, blkB: usize,
  oy: i32, OW: i32, co: i32, Cout: i32, ms: usize, bias: usize, act: i32, res: usize, y: usize,
  yq: usize, yW: i32, yCs: i32, yInv: f32, yOff: f32,
): void {
  const t = changetype<T>(0);
  const n = min(8, Cout - co);
  const wb = wq + <usize>(co >> 3) * blkB;
  const pxStep = <usize>(stride * Cs);
  const xRow = xq + <usize>(oy * stride) * rowB;
  const yqRow = yq != 0 ? yq + <usize>(oy * yW) * <usize>yCs : 0;
  const yqStep = <usize>yCs;
  let ox = 0;
  if (t.width > 1) {
    for (; ox + t.width <= OW; ox += t.width) {
      t.tileN(xRow + <usize>ox * pxStep, pxStep, rowB, nQ, K, wb, kyB, co, n, oy * OW + ox, Cout, ms, bias, act, res, y,
        yqRow != 0 ? yqRow + <usize>ox * yqStep : 0, yqStep, yInv, yOff);
    }
  }
  for (; ox < OW; ox++) {
    t.tile1(xRow + <usize>ox * pxStep, rowB, nQ, K, wb, kyB, co, n, oy * OW + ox, Cout, ms, bias, act, res, y,
      yqRow != 0 ? yqRow + <usize>ox * yqStep : 0, yInv, yOff);
    // width 2 leaves at most 1 pixel: no back edge (a loop here measured ~0.5-1% slower in the simd build)
    if (t.width == 2) break;
  }
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
