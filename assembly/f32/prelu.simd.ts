// f32_prelu, WebAssembly SIMD (scalar twin: prelu.scalar.ts): f32x4 over channels, scalar tail of
// C % 4 per pixel. One f32 multiply per negative element and a select, so both builds agree bit for bit.
import { checkF32, check, checkNoOverlap } from "../util/check";

/**
 * In place per-channel PReLU: x[p, c] = x[p, c] > 0 ? x[p, c] : alpha[c] * x[p, c].
 * x: HW x C f32 (HWC, channels innermost, pixel stride C floats); alpha: C f32 slopes, must not
 * overlap x. Byte offsets, 4-byte alignment (16 recommended). Channels 0..(C & ~3) in f32x4 blocks
 * (f32x4.gt mask, v128.bitselect of x and alpha * x), the C % 4 tail scalar, for every pixel.
 * NaN is not > 0, so it takes alpha * NaN (a NaN); -0 and +0 give alpha * x (a signed zero).
 */
export function f32_prelu__wasmsimd(x: usize, HW: i32, C: i32, alpha: usize): void {
  if (!ASC_NO_ASSERT) {
    check(HW >= 1 && C >= 1, "f32_prelu: HW, C must be >= 1");
    checkF32(x, HW * C, "f32_prelu: x out of bounds or misaligned");
    checkF32(alpha, C, "f32_prelu: alpha out of bounds or misaligned");
    checkNoOverlap(x, <usize>(HW * C) << 2, alpha, <usize>C << 2, "f32_prelu: alpha must not alias x");
  }
  const cB = <usize>C << 2;
  const C4 = C & ~3;
  const zero = f32x4.splat(0);
  let xp = x;
  for (let p = 0; p < HW; p++) {
    let c = 0;
    for (; c < C4; c += 4) {
      const o = <usize>c << 2;
      const v = v128.load(xp + o);
      v128.store(xp + o, v128.bitselect(v, f32x4.mul(v, v128.load(alpha + o)), f32x4.gt(v, zero)));
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const v = load<f32>(xp + o);
      store<f32>(xp + o, v > 0 ? v : v * load<f32>(alpha + o));
    }
    xp += cB;
  }
}
