// f32_conv5x5s2_c3: the detector's stem, scalar twin of conv5x5s2.simd.ts.
import { actf } from "./activation";
import { sameOut, samePadBefore } from "./same.common";
import { checkF32, check, checkNoOverlap } from "../util/check";

/**
 * 5x5 / stride 2 convolution of a 3-channel image with TensorFlow "SAME" padding, fused bias and
 * activation. x: H x W x 3 f32 (HWC); w: HWIO [5][5][3][Cout]; b: [Cout]; y: OH x OW x Cout with
 * OH = ceil(H / 2), OW = ceil(W / 2); taps outside x read zero (padding before = floor(total / 2),
 * src/same.common.ts). act: 0 identity, 1 ReLU, 2 hard-swish, 3 sigmoid. Any Cout >= 1 (no tail
 * requirement); 4-byte alignment. Accumulation order: bias, then taps ky, kx, ci ascending.
 */
export function f32_conv5x5s2_c3__scalar(x: usize, H: i32, W: i32, w: usize, b: usize, y: usize, Cout: i32, act: i32): void {
  const OH = sameOut(H, 2), OW = sameOut(W, 2);
  if (!ASC_NO_ASSERT) {
    check(H >= 1 && W >= 1 && Cout >= 1 && act >= 0 && act <= 3, "f32_conv5x5s2_c3: bad sizes or act");
    checkF32(x, H * W * 3, "f32_conv5x5s2_c3: x out of bounds or misaligned");
    checkF32(w, 75 * Cout, "f32_conv5x5s2_c3: w out of bounds or misaligned");
    checkF32(b, Cout, "f32_conv5x5s2_c3: b out of bounds or misaligned");
    checkF32(y, OH * OW * Cout, "f32_conv5x5s2_c3: y out of bounds or misaligned");
    checkNoOverlap(x, <usize>(H * W * 3) << 2, y, <usize>(OH * OW * Cout) << 2, "f32_conv5x5s2_c3: y must not alias x");
  }
  const pt = samePadBefore(H, 5, 2), pl = samePadBefore(W, 5, 2);
  const coutB = <usize>Cout << 2;
  let yp = y;
  for (let oy = 0; oy < OH; oy++) {
    const iy0 = oy * 2 - pt;
    const ky0 = iy0 < 0 ? -iy0 : 0, ky1 = min(5, H - iy0);
    for (let ox = 0; ox < OW; ox++) {
      const ix0 = ox * 2 - pl;
      const kx0 = ix0 < 0 ? -ix0 : 0, kx1 = min(5, W - ix0);
      for (let co = 0; co < Cout; co++) {
        let acc = load<f32>(b + (<usize>co << 2));
        for (let ky = ky0; ky < ky1; ky++) {
          const xr = x + (<usize>((iy0 + ky) * W + ix0) * 12);
          const wr = w + <usize>(ky * 15) * coutB + (<usize>co << 2);
          for (let kx = kx0; kx < kx1; kx++) {
            const xp = xr + <usize>kx * 12, wp = wr + <usize>(kx * 3) * coutB;
            acc += load<f32>(xp) * load<f32>(wp);
            acc += load<f32>(xp, 4) * load<f32>(wp + coutB);
            acc += load<f32>(xp, 8) * load<f32>(wp + 2 * coutB);
          }
        }
        store<f32>(yp + (<usize>co << 2), actf(acc, act));
      }
      yp += coutB;
    }
  }
}
