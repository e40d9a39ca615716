// Pooling and channel scaling, scalar twins of pool.simd.ts (bit-identical results).
import { checkF32, check } from "../util/check";

/** 2x2 average pool, stride 2, floor mode; scalar twin of `f32_avgpool2x2__wasmsimd`
 *  (x HWC, y (H>>1) x (W>>1) x C; y = ((x00 + x01) + (x10 + x11)) * 0.25). */
export function f32_avgpool2x2__scalar(x: usize, H: i32, W: i32, C: i32, y: usize): void {
  if (!ASC_NO_ASSERT) {
    check(H >= 1 && W >= 1 && C >= 1, "f32_avgpool2x2: H, W, C must be >= 1");
    checkF32(x, H * W * C, "f32_avgpool2x2: x out of bounds or misaligned");
    checkF32(y, (H >> 1) * (W >> 1) * C, "f32_avgpool2x2: y out of bounds or misaligned");
  }
  const OH = H >> 1, OW = W >> 1;
  const cB = <usize>C << 2, rowB = <usize>W * cB;
  let yp = y;
  for (let oy = 0; oy < OH; oy++) {
    let p00 = x + <usize>(2 * oy) * rowB;
    for (let ox = 0; ox < OW; ox++) {
      const p01 = p00 + cB, p10 = p00 + rowB, p11 = p10 + cB;
      for (let c = 0; c < C; c++) {
        const o = <usize>c << 2;
        store<f32>(yp + o, ((load<f32>(p00 + o) + load<f32>(p01 + o)) + (load<f32>(p10 + o) + load<f32>(p11 + o))) * <f32>0.25);
      }
      p00 += cB << 1;
      yp += cB;
    }
  }
}

/** Global average pool, scalar twin of `f32_global_avgpool__wasmsimd`: y[c] = (sum_p x[p, c]) / HW. */
export function f32_global_avgpool__scalar(x: usize, HW: i32, C: i32, y: usize): void {
  if (!ASC_NO_ASSERT) {
    check(HW >= 1 && C >= 1, "f32_global_avgpool: HW, C must be >= 1");
    checkF32(x, HW * C, "f32_global_avgpool: x out of bounds or misaligned");
    checkF32(y, C, "f32_global_avgpool: y out of bounds or misaligned");
  }
  const cB = <usize>C << 2;
  const nf = <f32>HW;
  for (let c = 0; c < C; c++) {
    let a: f32 = 0;
    let xp = x + (<usize>c << 2);
    for (let p = 0; p < HW; p++) { a += load<f32>(xp); xp += cB; }
    store<f32>(y + (<usize>c << 2), a / nf);
  }
}

/** In place x[p, c] *= s[c]; scalar twin of `f32_scale_channels__wasmsimd`. */
export function f32_scale_channels__scalar(x: usize, HW: i32, C: i32, s: usize): void {
  if (!ASC_NO_ASSERT) {
    check(HW >= 1 && C >= 1, "f32_scale_channels: HW, C must be >= 1");
    checkF32(x, HW * C, "f32_scale_channels: x out of bounds or misaligned");
    checkF32(s, C, "f32_scale_channels: s out of bounds or misaligned");
  }
  const cB = <usize>C << 2;
  let xp = x;
  for (let p = 0; p < HW; p++) {
    for (let c = 0; c < C; c++) {
      const o = <usize>c << 2;
      store<f32>(xp + o, load<f32>(xp + o) * load<f32>(s + o));
    }
    xp += cB;
  }
}
