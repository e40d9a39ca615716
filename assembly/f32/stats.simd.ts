// Per-channel statistics and normalisation (AdaIN building blocks), SIMD over channels.
// Operation order per element matches stats.scalar.ts exactly (bit-identical results).
import { checkF32, check } from "../util/check";

/**
 * Per-channel mean and std over HW positions (two passes). x: HW x C f32; mean, std: C f32 each.
 * mean[c] = (sum_p x[p, c]) / HW; std[c] = sqrt(var + eps) with the unbiased variance
 * var = (sum_p (x[p, c] - mean[c])^2) / (HW - 1), var = 0 when HW == 1. Sums are f32, in p order.
 * mean/std must not overlap x or each other. Vectorised over C (blocks of 16, 4, scalar tail).
 */
export function f32_channel_stats__wasmsimd(x: usize, HW: i32, C: i32, mean: usize, std: usize, eps: f32): void {
  if (!ASC_NO_ASSERT) {
    check(HW >= 1 && C >= 1, "f32_channel_stats: HW, C must be >= 1");
    checkF32(x, HW * C, "f32_channel_stats: x out of bounds or misaligned");
    checkF32(mean, C, "f32_channel_stats: mean out of bounds or misaligned");
    checkF32(std, C, "f32_channel_stats: std out of bounds or misaligned");
  }
  const cB = <usize>C << 2;
  const n = f32x4.splat(<f32>HW), nf = <f32>HW;
  const d = f32x4.splat(<f32>(HW - 1)), df = <f32>(HW - 1);
  const ve = f32x4.splat(eps);
  const zero = f32x4.splat(0);
  let c = 0;
  for (; c + 16 <= C; c += 16) {
    const o = <usize>c << 2;
    let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
    let xp = x + o;
    for (let p = 0; p < HW; p++) {
      a0 = f32x4.add(a0, v128.load(xp)); a1 = f32x4.add(a1, v128.load(xp, 16));
      a2 = f32x4.add(a2, v128.load(xp, 32)); a3 = f32x4.add(a3, v128.load(xp, 48));
      xp += cB;
    }
    const m0 = f32x4.div(a0, n), m1 = f32x4.div(a1, n), m2 = f32x4.div(a2, n), m3 = f32x4.div(a3, n);
    v128.store(mean + o, m0); v128.store(mean + o, m1, 16); v128.store(mean + o, m2, 32); v128.store(mean + o, m3, 48);
    let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
    xp = x + o;
    for (let p = 0; p < HW; p++) {
      const e0 = f32x4.sub(v128.load(xp), m0), e1 = f32x4.sub(v128.load(xp, 16), m1);
      const e2 = f32x4.sub(v128.load(xp, 32), m2), e3 = f32x4.sub(v128.load(xp, 48), m3);
      s0 = f32x4.add(s0, f32x4.mul(e0, e0)); s1 = f32x4.add(s1, f32x4.mul(e1, e1));
      s2 = f32x4.add(s2, f32x4.mul(e2, e2)); s3 = f32x4.add(s3, f32x4.mul(e3, e3));
      xp += cB;
    }
    if (HW > 1) { s0 = f32x4.div(s0, d); s1 = f32x4.div(s1, d); s2 = f32x4.div(s2, d); s3 = f32x4.div(s3, d); }
    else { s0 = zero; s1 = zero; s2 = zero; s3 = zero; }
    v128.store(std + o, f32x4.sqrt(f32x4.add(s0, ve)));
    v128.store(std + o, f32x4.sqrt(f32x4.add(s1, ve)), 16);
    v128.store(std + o, f32x4.sqrt(f32x4.add(s2, ve)), 32);
    v128.store(std + o, f32x4.sqrt(f32x4.add(s3, ve)), 48);
  }
  for (; c + 4 <= C; c += 4) {
    const o = <usize>c << 2;
    let a0 = zero;
    let xp = x + o;
    for (let p = 0; p < HW; p++) { a0 = f32x4.add(a0, v128.load(xp)); xp += cB; }
    const m0 = f32x4.div(a0, n);
    v128.store(mean + o, m0);
    let s0 = zero;
    xp = x + o;
    for (let p = 0; p < HW; p++) { const e0 = f32x4.sub(v128.load(xp), m0); s0 = f32x4.add(s0, f32x4.mul(e0, e0)); xp += cB; }
    s0 = HW > 1 ? f32x4.div(s0, d) : zero;
    v128.store(std + o, f32x4.sqrt(f32x4.add(s0, ve)));
  }
  for (; c < C; c++) {
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

/**
 * y[p, c] = (x[p, c] - mean[c]) / std[c] (a true division). x, y: HW x C f32 (y may equal x,
 * must not partially overlap it); mean, std: C f32. Vectorised over C, scalar tail for C % 4.
 */
export function f32_normalize__wasmsimd(x: usize, HW: i32, C: i32, mean: usize, std: usize, y: usize): void {
  if (!ASC_NO_ASSERT) {
    check(HW >= 1 && C >= 1, "f32_normalize: HW, C must be >= 1");
    checkF32(x, HW * C, "f32_normalize: x out of bounds or misaligned");
    checkF32(y, HW * C, "f32_normalize: y out of bounds or misaligned");
    checkF32(mean, C, "f32_normalize: mean out of bounds or misaligned");
    checkF32(std, C, "f32_normalize: std out of bounds or misaligned");
  }
  const cB = <usize>C << 2;
  const C4 = C & ~3;
  let xp = x, yp = y;
  for (let p = 0; p < HW; p++) {
    let c = 0;
    for (; c < C4; c += 4) {
      const o = <usize>c << 2;
      v128.store(yp + o, f32x4.div(f32x4.sub(v128.load(xp + o), v128.load(mean + o)), v128.load(std + o)));
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      store<f32>(yp + o, (load<f32>(xp + o) - load<f32>(mean + o)) / load<f32>(std + o));
    }
    xp += cB; yp += cB;
  }
}
