// Shared (scalar-only) code of f32_conv5x5s2_c3, for both builds: debug-build argument checks and
// the per-channel loop of one output pixel (the scalar twin's whole body, the SIMD twin's channel tail).
import { actf } from "./activation";
import { sameOut } from "./same.common";
import { checkF32, check, checkNoOverlap } from "../util/check";

/** Debug-build validation of f32_conv5x5s2_c3 arguments (compiles to nothing with --noAssert). */
@inline export function checkConv5x5s2Args(x: usize, H: i32, W: i32, w: usize, b: usize, y: usize, Cout: i32, act: i32): void {
  if (!ASC_NO_ASSERT) {
    const OH = sameOut(H, 2), OW = sameOut(W, 2);
    check(H >= 1 && W >= 1 && Cout >= 1 && act >= 0 && act <= 3, "f32_conv5x5s2_c3: bad sizes or act");
    checkF32(x, H * W * 3, "f32_conv5x5s2_c3: x out of bounds or misaligned");
    checkF32(w, 75 * Cout, "f32_conv5x5s2_c3: w out of bounds or misaligned");
    checkF32(b, Cout, "f32_conv5x5s2_c3: b out of bounds or misaligned");
    checkF32(y, OH * OW * Cout, "f32_conv5x5s2_c3: y out of bounds or misaligned");
    checkNoOverlap(x, <usize>(H * W * 3) << 2, y, <usize>(OH * OW * Cout) << 2, "f32_conv5x5s2_c3: y must not alias x");
  }
}

/**
 * Output channels co..Cout of the output pixel at yp, one at a time: bias, then taps ky0..ky1,
 * kx0..kx1 (the part inside x), ci ascending. iy0 / ix0: input row / column of tap (0, 0).
 */
@inline export function conv5x5s2Channels(x: usize, W: i32, iy0: i32, ix0: i32, ky0: i32, ky1: i32, kx0: i32, kx1: i32, w: usize, coutB: usize, b: usize, yp: usize, co: i32, Cout: i32, act: i32): void {
  for (; co < Cout; co++) {
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
}
