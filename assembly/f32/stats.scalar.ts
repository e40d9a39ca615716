// Per-channel statistics and normalisation, scalar twins of stats.simd.ts (bit-identical results).
import { checkF32, check } from "../util/check";

/** Per-channel mean and std (unbiased variance, two passes, f32 sums in p order); scalar twin
 *  of `f32_channel_stats__wasmsimd`. std[c] = sqrt(var + eps), var = 0 when HW == 1. */
export function f32_channel_stats__scalar(x: usize, HW: i32, C: i32, mean: usize, std: usize, eps: f32): void {
  if (!ASC_NO_ASSERT) {
    check(HW >= 1 && C >= 1, "f32_channel_stats: HW, C must be >= 1");
    checkF32(x, HW * C, "f32_channel_stats: x out of bounds or misaligned");
    checkF32(mean, C, "f32_channel_stats: mean out of bounds or misaligned");
    checkF32(std, C, "f32_channel_stats: std out of bounds or misaligned");
  }
  const cB = <usize>C << 2;
  const nf = <f32>HW, df = <f32>(HW - 1);
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2;
    let a: f32 = 0;
    let xp = x + o;
    for (let p = 0; p < HW; p++) { a += load<f32>(xp); xp += cB; }
    const m = a / nf;
    store<f32>(mean + o, m);
    let s: f32 = 0;
    xp = x + o;
    for (let p = 0; p < HW; p++) { const e = load<f32>(xp) - m; s += e * e; xp += cB; }
    const v: f32 = HW > 1 ? s / df : 0;
    store<f32>(std + o, Mathf.sqrt(v + eps));
  }
}

/** y[p, c] = (x[p, c] - mean[c]) / std[c]; scalar twin of `f32_normalize__wasmsimd` (y may equal x). */
export function f32_normalize__scalar(x: usize, HW: i32, C: i32, mean: usize, std: usize, y: usize): void {
  if (!ASC_NO_ASSERT) {
    check(HW >= 1 && C >= 1, "f32_normalize: HW, C must be >= 1");
    checkF32(x, HW * C, "f32_normalize: x out of bounds or misaligned");
    checkF32(y, HW * C, "f32_normalize: y out of bounds or misaligned");
    checkF32(mean, C, "f32_normalize: mean out of bounds or misaligned");
    checkF32(std, C, "f32_normalize: std out of bounds or misaligned");
  }
  const cB = <usize>C << 2;
  let xp = x, yp = y;
  for (let p = 0; p < HW; p++) {
    for (let c = 0; c < C; c++) {
      const o = <usize>c << 2;
      store<f32>(yp + o, (load<f32>(xp + o) - load<f32>(mean + o)) / load<f32>(std + o));
    }
    xp += cB; yp += cB;
  }
}
