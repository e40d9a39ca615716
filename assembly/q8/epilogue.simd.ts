// SIMD epilogue of the int8 convolution (simd and relaxed builds): 4 output channels of one pixel
// from an i32x4 accumulator. Lane for lane the same f32 operations as `qepi1` (conv2d.common.ts),
// so the result is bit-identical to the scalar twin.
import { actv } from "../f32/activation.simd";
import { qepi1 } from "./conv2d.common";

/** acc holds channels co .. co+3 of pixel opix; only the first n (1..4) are real. */
@inline export function qepi4(
  acc: v128, co: i32, n: i32, opix: i32, Cout: i32, ms: usize, bias: usize, act: i32, res: usize, y: usize,
  yqp: usize, yInv: f32, yOff: f32,
): void {
  if (n >= 4) {
    const coB = <usize>co << 2;
    let v = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc), v128.load(ms + coB)), v128.load(bias + coB));
    const e = (<usize>opix * <usize>Cout + <usize>co) << 2;
    if (res != 0) v = f32x4.add(v, v128.load(res + e));
    v = actv(v, act);
    if (y != 0) v128.store(y + e, v);
    if (yqp != 0) {
      let q = f32x4.nearest(f32x4.mul(f32x4.sub(v, f32x4.splat(yOff)), f32x4.splat(yInv)));
      q = f32x4.pmin(f32x4.splat(127.0), f32x4.pmax(f32x4.splat(0.0), q)); // pseudo-min/max: one instruction each
      const qi = i32x4.trunc_sat_f32x4_s(q);
      const q16 = i16x8.narrow_i32x4_s(qi, qi);
      v128.store32_lane(yqp + <usize>co, i8x16.narrow_i16x8_s(q16, q16), 0);
    }
    return;
  }
  qepi1(i32x4.extract_lane(acc, 0), co, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
  if (n > 1) qepi1(i32x4.extract_lane(acc, 1), co + 1, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
  if (n > 2) qepi1(i32x4.extract_lane(acc, 2), co + 2, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
}

/** Both halves of an 8-channel block (lo = co .. co+3, hi = co+4 .. co+7; n real channels). */
@inline export function qepi8(
  lo: v128, hi: v128, co: i32, n: i32, opix: i32, Cout: i32, ms: usize, bias: usize, act: i32, res: usize,
  y: usize, yqp: usize, yInv: f32, yOff: f32,
): void {
  qepi4(lo, co, n, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
  if (n > 4) qepi4(hi, co + 4, n - 4, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
}
