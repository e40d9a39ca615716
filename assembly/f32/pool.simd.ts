// Pooling and channel scaling, SIMD (f32x4 over channels, scalar tail for C % 4).
// Every output element is computed with exactly the same operation order as the scalar twin
// (pool.scalar.ts), so both builds give bit-identical results.
import { checkF32, check } from "../util/check";

/**
 * 2x2 average pool, stride 2, floor mode (OH = H >> 1, OW = W >> 1; a trailing odd row/column
 * is dropped). x: H x W x C f32 (HWC), y: OH x OW x C f32; must not partially overlap x.
 * y = ((x00 + x01) + (x10 + x11)) * 0.25. Vectorised over C (f32x4), scalar tail for C % 4.
 * 4-byte alignment required (16 recommended).
 */
export function f32_avgpool2x2__wasmsimd(x: usize, H: i32, W: i32, C: i32, y: usize): void {
  if (!ASC_NO_ASSERT) {
    check(H >= 1 && W >= 1 && C >= 1, "f32_avgpool2x2: H, W, C must be >= 1");
    checkF32(x, H * W * C, "f32_avgpool2x2: x out of bounds or misaligned");
    checkF32(y, (H >> 1) * (W >> 1) * C, "f32_avgpool2x2: y out of bounds or misaligned");
  }
  const OH = H >> 1, OW = W >> 1;
  const cB = <usize>C << 2, rowB = <usize>W * cB;
  const C4 = C & ~3;
  const q = f32x4.splat(0.25);
  let yp = y;
  for (let oy = 0; oy < OH; oy++) {
    let p00 = x + <usize>(2 * oy) * rowB;
    for (let ox = 0; ox < OW; ox++) {
      const p01 = p00 + cB, p10 = p00 + rowB, p11 = p10 + cB;
      let c = 0;
      for (; c < C4; c += 4) {
        const o = <usize>c << 2;
        const s = f32x4.add(f32x4.add(v128.load(p00 + o), v128.load(p01 + o)),
                            f32x4.add(v128.load(p10 + o), v128.load(p11 + o)));
        v128.store(yp + o, f32x4.mul(s, q));
      }
      for (; c < C; c++) {
        const o = <usize>c << 2;
        store<f32>(yp + o, ((load<f32>(p00 + o) + load<f32>(p01 + o)) + (load<f32>(p10 + o) + load<f32>(p11 + o))) * <f32>0.25);
      }
      p00 += cB << 1;
      yp += cB;
    }
  }
}

/**
 * Global average pool: y[c] = (sum over the HW positions of x[p, c], in p order) / HW.
 * x: HW x C f32, y: C f32. HW >= 1. Vectorised over C: blocks of 16 channels (4 accumulators),
 * then 4, then a scalar tail.
 */
export function f32_global_avgpool__wasmsimd(x: usize, HW: i32, C: i32, y: usize): void {
  if (!ASC_NO_ASSERT) {
    check(HW >= 1 && C >= 1, "f32_global_avgpool: HW, C must be >= 1");
    checkF32(x, HW * C, "f32_global_avgpool: x out of bounds or misaligned");
    checkF32(y, C, "f32_global_avgpool: y out of bounds or misaligned");
  }
  const cB = <usize>C << 2;
  const n = f32x4.splat(<f32>HW);
  const nf = <f32>HW;
  let c = 0;
  for (; c + 16 <= C; c += 16) {
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    let xp = x + (<usize>c << 2);
    for (let p = 0; p < HW; p++) {
      a0 = f32x4.add(a0, v128.load(xp)); a1 = f32x4.add(a1, v128.load(xp, 16));
      a2 = f32x4.add(a2, v128.load(xp, 32)); a3 = f32x4.add(a3, v128.load(xp, 48));
      xp += cB;
    }
    const yp = y + (<usize>c << 2);
    v128.store(yp, f32x4.div(a0, n)); v128.store(yp, f32x4.div(a1, n), 16);
    v128.store(yp, f32x4.div(a2, n), 32); v128.store(yp, f32x4.div(a3, n), 48);
  }
  for (; c + 4 <= C; c += 4) {
    let a0 = f32x4.splat(0);
    let xp = x + (<usize>c << 2);
    for (let p = 0; p < HW; p++) { a0 = f32x4.add(a0, v128.load(xp)); xp += cB; }
    v128.store(y + (<usize>c << 2), f32x4.div(a0, n));
  }
  for (; c < C; c++) {
    let a: f32 = 0;
    let xp = x + (<usize>c << 2);
    for (let p = 0; p < HW; p++) { a += load<f32>(xp); xp += cB; }
    store<f32>(y + (<usize>c << 2), a / nf);
  }
}

/**
 * In place squeeze-excitation scaling: x[p, c] *= s[c]. x: HW x C f32, s: C f32 (must not
 * overlap x). Vectorised over C, scalar tail for C % 4.
 */
export function f32_scale_channels__wasmsimd(x: usize, HW: i32, C: i32, s: usize): void {
  if (!ASC_NO_ASSERT) {
    check(HW >= 1 && C >= 1, "f32_scale_channels: HW, C must be >= 1");
    checkF32(x, HW * C, "f32_scale_channels: x out of bounds or misaligned");
    checkF32(s, C, "f32_scale_channels: s out of bounds or misaligned");
  }
  const cB = <usize>C << 2;
  const C4 = C & ~3;
  let xp = x;
  for (let p = 0; p < HW; p++) {
    let c = 0;
    for (; c < C4; c += 4) {
      const o = <usize>c << 2;
      v128.store(xp + o, f32x4.mul(v128.load(xp + o), v128.load(s + o)));
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      store<f32>(xp + o, load<f32>(xp + o) * load<f32>(s + o));
    }
    xp += cB;
  }
}
