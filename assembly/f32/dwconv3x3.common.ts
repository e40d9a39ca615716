// Shared (scalar-only) code of f32_dwconv3x3, for both builds: debug-build argument checks and the
// per-channel loop of one output pixel (the scalar twin's whole body, the SIMD twin's channel tail).
import { actf } from "./activation";
import { sameOut } from "./same.common";
import { checkF32, check, checkNoOverlap } from "../util/check";

/** Debug-build validation of f32_dwconv3x3 arguments (compiles to nothing with --noAssert). */
@inline export function checkDwconv3x3Args(x: usize, H: i32, W: i32, C: i32, w: usize, b: usize, y: usize, stride: i32, act: i32): void {
  if (!ASC_NO_ASSERT) {
    const OH = sameOut(H, stride), OW = sameOut(W, stride);
    check(H >= 1 && W >= 1 && C >= 1 && (stride == 1 || stride == 2) && act >= 0 && act <= 3, "f32_dwconv3x3: bad sizes, stride or act");
    checkF32(x, H * W * C, "f32_dwconv3x3: x out of bounds or misaligned");
    checkF32(w, 9 * C, "f32_dwconv3x3: w out of bounds or misaligned");
    checkF32(b, C, "f32_dwconv3x3: b out of bounds or misaligned");
    checkF32(y, OH * OW * C, "f32_dwconv3x3: y out of bounds or misaligned");
    checkNoOverlap(x, <usize>(H * W * C) << 2, y, <usize>(OH * OW * C) << 2, "f32_dwconv3x3: y must not alias x");
  }
}

/**
 * Channels c..C of the output pixel at yp, one at a time: bias, then taps ky0..ky1, kx0..kx1 (the
 * part inside x) ascending. xb: byte offset of the input pixel under tap (0, 0) (it may lie outside
 * x; only taps inside are read); rowB = W * cB.
 */
@inline export function dwconv3x3Channels(xb: usize, rowB: usize, cB: usize, ky0: i32, ky1: i32, kx0: i32, kx1: i32, w: usize, b: usize, yp: usize, c: i32, C: i32, act: i32): void {
  for (; c < C; c++) {
    const o = <usize>c << 2;
    let acc = load<f32>(b + o);
    for (let ky = ky0; ky < ky1; ky++) {
      const xr = xb + <usize>ky * rowB + o;
      const wr = w + <usize>(ky * 3) * cB + o;
      for (let kx = kx0; kx < kx1; kx++) acc += load<f32>(xr + <usize>kx * cB) * load<f32>(wr + <usize>kx * cB);
    }
    store<f32>(yp + o, actf(acc, act));
  }
}
