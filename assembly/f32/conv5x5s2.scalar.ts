// f32_conv5x5s2_c3: the detector's stem, scalar twin of conv5x5s2.simd.ts.
import { sameOut, samePadBefore } from "./same.common";
import { checkConv5x5s2Args, conv5x5s2Channels } from "./conv5x5s2.common";

/**
 * 5x5 / stride 2 convolution of a 3-channel image with TensorFlow "SAME" padding, fused bias and
 * activation. x: H x W x 3 f32 (HWC); w: HWIO [5][5][3][Cout]; b: [Cout]; y: OH x OW x Cout with
 * OH = ceil(H / 2), OW = ceil(W / 2); taps outside x read zero (padding before = floor(total / 2),
 * src/same.common.ts). act: 0 identity, 1 ReLU, 2 hard-swish, 3 sigmoid. Any Cout >= 1 (no tail
 * requirement); 4-byte alignment. Accumulation order: bias, then taps ky, kx, ci ascending.
 */
export function f32_conv5x5s2_c3__scalar(x: usize, H: i32, W: i32, w: usize, b: usize, y: usize, Cout: i32, act: i32): void {
  const OH = sameOut(H, 2), OW = sameOut(W, 2);
  checkConv5x5s2Args(x, H, W, w, b, y, Cout, act);
  const pt = samePadBefore(H, 5, 2), pl = samePadBefore(W, 5, 2);
  const coutB = <usize>Cout << 2;
  let yp = y;
  for (let oy = 0; oy < OH; oy++) {
    const iy0 = oy * 2 - pt;
    const ky0 = iy0 < 0 ? -iy0 : 0, ky1 = min(5, H - iy0);
    for (let ox = 0; ox < OW; ox++) {
      const ix0 = ox * 2 - pl;
      const kx0 = ix0 < 0 ? -ix0 : 0, kx1 = min(5, W - ix0);
      conv5x5s2Channels(x, W, iy0, ix0, ky0, ky1, kx0, kx1, w, coutB, b, yp, 0, Cout, act);
      yp += coutB;
    }
  }
}
