// Shared (scalar-only) code of f32_warp_affine_u8, for both builds (image/warp.ts, image/warp.simd.ts).
import { checkF32, checkU8, check } from "../util/check";

/** Debug-build validation of f32_warp_affine_u8 arguments (compiles to nothing with --noAssert). */
@inline export function checkWarpArgs(src: usize, srcW: i32, srcH: i32, srcC: i32, dst: usize, dstW: i32, dstH: i32, ss: i32): void {
  if (!ASC_NO_ASSERT) {
    check(srcW >= 1 && srcH >= 1 && dstW >= 1 && dstH >= 1, "f32_warp_affine_u8: sizes must be >= 1");
    check(srcC == 1 || srcC == 3 || srcC == 4, "f32_warp_affine_u8: srcC must be 1, 3 or 4");
    check(ss >= 1 && ss <= 64, "f32_warp_affine_u8: ss must be 1..64");
    checkU8(src, srcW * srcH * srcC, "f32_warp_affine_u8: src out of bounds");
    checkF32(dst, dstW * dstH * 3, "f32_warp_affine_u8: dst out of bounds or misaligned");
  }
}
