// f32_dwconv3x3: depthwise 3x3 convolution, scalar twin of dwconv3x3.simd.ts.
import { actf } from "./activation";
import { sameOut, samePadBefore } from "./same.common";
import { checkF32, check, checkNoOverlap } from "../util/check";

/**
 * Depthwise 3x3 convolution, stride 1 or 2, TensorFlow "SAME" padding, fused bias and activation.
 * x: H x W x C f32 (HWC); w: [3][3][C] (tap-major, channels contiguous); b: [C];
 * y: OH x OW x C with OH = ceil(H / stride), OW = ceil(W / stride); taps outside x are skipped
 * (zero padding; before = floor(total / 2), the odd pixel after). act: 0..3 as f32_conv2d.
 * Any C >= 1; 4-byte alignment. Accumulation order: bias, then ky, kx ascending.
 */
export function f32_dwconv3x3__scalar(x: usize, H: i32, W: i32, C: i32, w: usize, b: usize, y: usize, stride: i32, act: i32): void {
  const OH = sameOut(H, stride), OW = sameOut(W, stride);
  if (!ASC_NO_ASSERT) {
    check(H >= 1 && W >= 1 && C >= 1 && (stride == 1 || stride == 2) && act >= 0 && act <= 3, "f32_dwconv3x3: bad sizes, stride or act");
    checkF32(x, H * W * C, "f32_dwconv3x3: x out of bounds or misaligned");
    checkF32(w, 9 * C, "f32_dwconv3x3: w out of bounds or misaligned");
    checkF32(b, C, "f32_dwconv3x3: b out of bounds or misaligned");
    checkF32(y, OH * OW * C, "f32_dwconv3x3: y out of bounds or misaligned");
    checkNoOverlap(x, <usize>(H * W * C) << 2, y, <usize>(OH * OW * C) << 2, "f32_dwconv3x3: y must not alias x");
  }
  const pt = samePadBefore(H, 3, stride), pl = samePadBefore(W, 3, stride);
  const cB = <usize>C << 2;
  let yp = y;
  for (let oy = 0; oy < OH; oy++) {
    const iy0 = oy * stride - pt;
    const ky0 = iy0 < 0 ? -iy0 : 0, ky1 = min(3, H - iy0);
    for (let ox = 0; ox < OW; ox++) {
      const ix0 = ox * stride - pl;
      const kx0 = ix0 < 0 ? -ix0 : 0, kx1 = min(3, W - ix0);
      for (let c = 0; c < C; c++) {
        const o = <usize>c << 2;
        let acc = load<f32>(b + o);
        for (let ky = ky0; ky < ky1; ky++) {
          const xr = x + <usize>((iy0 + ky) * W + ix0) * cB + o;
          const wr = w + <usize>(ky * 3) * cB + o;
          for (let kx = kx0; kx < kx1; kx++) acc += load<f32>(xr + <usize>kx * cB) * load<f32>(wr + <usize>kx * cB);
        }
        store<f32>(yp + o, actf(acc, act));
      }
      yp += cB;
    }
  }
}
