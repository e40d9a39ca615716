// f32_dwconv3x3: depthwise 3x3 convolution, scalar twin of dwconv3x3.simd.ts.
import { sameOut, samePadBefore } from "./same.common";
import { checkDwconv3x3Args, dwconv3x3Channels } from "./dwconv3x3.common";

/**
 * Depthwise 3x3 convolution, stride 1 or 2, TensorFlow "SAME" padding, fused bias and activation.
 * x: H x W x C f32 (HWC); w: [3][3][C] (tap-major, channels contiguous); b: [C];
 * y: OH x OW x C with OH = ceil(H / stride), OW = ceil(W / stride); taps outside x are skipped
 * (zero padding; before = floor(total / 2), the odd pixel after). act: 0..3 as f32_conv2d.
 * Any C >= 1; 4-byte alignment. Accumulation order: bias, then ky, kx ascending.
 */
export function f32_dwconv3x3__scalar(x: usize, H: i32, W: i32, C: i32, w: usize, b: usize, y: usize, stride: i32, act: i32): void {
  const OH = sameOut(H, stride), OW = sameOut(W, stride);
  checkDwconv3x3Args(x, H, W, C, w, b, y, stride, act);
  const pt = samePadBefore(H, 3, stride), pl = samePadBefore(W, 3, stride);
  const cB = <usize>C << 2, rowB = <usize>W * cB;
  let yp = y;
  for (let oy = 0; oy < OH; oy++) {
    const iy0 = oy * stride - pt;
    const ky0 = iy0 < 0 ? -iy0 : 0, ky1 = min(3, H - iy0);
    for (let ox = 0; ox < OW; ox++) {
      const ix0 = ox * stride - pl;
      const kx0 = ix0 < 0 ? -ix0 : 0, kx1 = min(3, W - ix0);
      dwconv3x3Channels(x + <usize>(iy0 * W + ix0) * cB, rowB, cB, ky0, ky1, kx0, kx1, w, b, yp, 0, C, act);
      yp += cB;
    }
  }
}
