// Shared (scalar-only) helpers for f32_conv2d: output size and debug-build argument checks.
import { checkF32, check, checkNoOverlap } from "../util/check";

/** floor((n + 2 pad - K) / stride) + 1, or 0 when the padded input is smaller than the kernel. */
@inline export function convOut(n: i32, K: i32, stride: i32, pad: i32): i32 {
  const span = n + 2 * pad - K;
  return span < 0 ? 0 : span / stride + 1;
}

/** Debug-build validation of f32_conv2d arguments (compiles to nothing with --noAssert). */
@inline export function checkConvArgs(
  x: usize, H: i32, W: i32, Cin: i32, w: usize, b: usize, y: usize, Cout: i32,
  K: i32, stride: i32, pad: i32, act: i32, res: usize, packed: bool = false,
): void {
  if (!ASC_NO_ASSERT) {
    check(H >= 1 && W >= 1 && Cin >= 1 && Cout >= 1, "f32_conv2d: H, W, Cin, Cout must be >= 1");
    check(K == 1 || K == 3, "f32_conv2d: K must be 1 or 3");
    check(stride == 1 || stride == 2, "f32_conv2d: stride must be 1 or 2");
    check(pad == 0 || pad == 1, "f32_conv2d: pad must be 0 or 1");
    check(act >= 0 && act <= 3, "f32_conv2d: act must be 0..3");
    const OH = convOut(H, K, stride, pad), OW = convOut(W, K, stride, pad);
    checkF32(x, H * W * Cin, "f32_conv2d: x out of bounds or misaligned");
    checkF32(w, K * K * Cin * (packed ? (Cout + 7) & ~7 : Cout), "f32_conv2d: w out of bounds or misaligned");
    checkF32(b, Cout, "f32_conv2d: b out of bounds or misaligned");
    checkF32(y, OH * OW * Cout, "f32_conv2d: y out of bounds or misaligned");
    if (res != 0) {
      checkF32(res, OH * OW * Cout, "f32_conv2d: res out of bounds or misaligned");
      check(res == y || res + (<usize>(OH * OW * Cout) << 2) <= y || y + (<usize>(OH * OW * Cout) << 2) <= res,
        "f32_conv2d: res must be y or not overlap y");
    }
    checkNoOverlap(x, <usize>(H * W * Cin) << 2, y, <usize>(OH * OW * Cout) << 2, "f32_conv2d: y must not alias x");
  }
}
