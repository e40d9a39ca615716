// f32_prelu, scalar twin of prelu.simd.ts (bit-identical results).
import { checkF32, check, checkNoOverlap } from "../util/check";

/**
 * In place per-channel PReLU: x[p, c] = x[p, c] > 0 ? x[p, c] : alpha[c] * x[p, c]; scalar twin of
 * `f32_prelu__wasmsimd`. x: HW x C f32 (HWC, channels innermost); alpha: C f32, must not overlap x.
 * Byte offsets, 4-byte alignment. No tail: one element at a time. NaN stays NaN (alpha * NaN),
 * -0 and +0 give alpha * x.
 */
export function f32_prelu__scalar(x: usize, HW: i32, C: i32, alpha: usize): void {
  if (!ASC_NO_ASSERT) {
    check(HW >= 1 && C >= 1, "f32_prelu: HW, C must be >= 1");
    checkF32(x, HW * C, "f32_prelu: x out of bounds or misaligned");
    checkF32(alpha, C, "f32_prelu: alpha out of bounds or misaligned");
    checkNoOverlap(x, <usize>(HW * C) << 2, alpha, <usize>C << 2, "f32_prelu: alpha must not alias x");
  }
  const cB = <usize>C << 2;
  let xp = x;
  for (let p = 0; p < HW; p++) {
    for (let c = 0; c < C; c++) {
      const o = <usize>c << 2;
      const v = load<f32>(xp + o);
      store<f32>(xp + o, v > 0 ? v : v * load<f32>(alpha + o));
    }
    xp += cB;
  }
}
