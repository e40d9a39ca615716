// Bilinear resize of a u8 image to f32 RGB in [0, 1], SIMD variant (simd and relaxed builds):
// the three channels of one output pixel are lanes 0-2 of one f32x4 (lane 3 is alpha or a
// neighbour's byte, computed and thrown away). Per lane the arithmetic is exactly the scalar
// procedure of image/resize.ts (same f32 operations in the same order), so both give the same bits.
import { checkF32, checkU8, check } from "../util/check";
import { pixel } from "./pixel.simd";


/** One output pixel from the four source pixels at top/bot + o0/o1, weights cf (columns), rf (rows). */
@inline function lerp(top: usize, bot: usize, o0: usize, o1: usize, cf: v128, rf: v128, srcC: i32, srcEnd: usize): v128 {
  const tl = pixel(top + o0, srcC, srcEnd), tr = pixel(top + o1, srcC, srcEnd);
  const bl = pixel(bot + o0, srcC, srcEnd), br = pixel(bot + o1, srcC, srcEnd);
  const t = f32x4.add(tl, f32x4.mul(f32x4.sub(tr, tl), cf));
  const b = f32x4.add(bl, f32x4.mul(f32x4.sub(br, bl), cf));
  return f32x4.div(f32x4.add(t, f32x4.mul(f32x4.sub(b, t), rf)), f32x4.splat(<f32>255.0));
}

/**
 * Same ABI, procedure and results as `f32_resize_bilinear_u8` (image/resize.ts, docs/kernels.md).
 * The column terms (byte offsets of x0 and x1, the f32 weight cf) depend on the column only, so
 * they are computed once per call into a table of 12 bytes per column, kept in dst's last row
 * (exactly dstW x 12 bytes; no scratch memory needed). Rows 0 .. dstH-2 read it; the last row
 * reads entry j before writing pixel j over it, lane by lane, so no entry is overwritten unread.
 * Other pixels are written with one 16-byte store whose lane 3 lands on the next pixel's first
 * value and is overwritten by the next store (pixels are written in order), except the last pixel
 * of row dstH-2, whose next value is table entry 0.
 */
export function f32_resize_bilinear_u8__wasmsimd(src: usize, srcW: i32, srcH: i32, srcC: i32, dst: usize, dstW: i32, dstH: i32): void {
  if (!ASC_NO_ASSERT) {
    check(srcW >= 1 && srcH >= 1 && dstW >= 1 && dstH >= 1, "f32_resize_bilinear_u8: sizes must be >= 1");
    check(srcC == 1 || srcC == 3 || srcC == 4, "f32_resize_bilinear_u8: srcC must be 1, 3 or 4");
    checkU8(src, srcW * srcH * srcC, "f32_resize_bilinear_u8: src out of bounds");
    checkF32(dst, dstW * dstH * 3, "f32_resize_bilinear_u8: dst out of bounds or misaligned");
  }
  const ry = <f64>srcH / <f64>dstH;
  const rx = <f64>srcW / <f64>dstW;
  const rowB = <usize>srcW * <usize>srcC;
  const pxB = <usize>srcC;
  const srcEnd = src + <usize>srcH * rowB;
  const dRowB = <usize>dstW * 12;
  const table = dst + <usize>(dstH - 1) * dRowB;
  for (let j = 0; j < dstW; j++) {
    const fx = rx * (<f64>j + 0.5) - 0.5;
    const x0 = Math.max(0.0, Math.floor(fx));
    const x1 = Math.min(<f64>(srcW - 1), Math.ceil(fx));
    const e = table + <usize>j * 12;
    store<u32>(e, <u32>(<i32>x0) * <u32>pxB);
    store<u32>(e, <u32>(<i32>x1) * <u32>pxB, 4);
    store<f32>(e, <f32>(fx - x0), 8);
  }
  let dp = dst;
  for (let i = 0; i < dstH; i++) {
    const fy = ry * (<f64>i + 0.5) - 0.5;
    const y0 = Math.max(0.0, Math.floor(fy));
    const rf = f32x4.splat(<f32>(fy - y0));
    const y1 = Math.min(<f64>(srcH - 1), Math.ceil(fy));
    const top = src + <usize>(<i32>y0) * rowB;
    const bot = src + <usize>(<i32>y1) * rowB;
    let e = table;
    // a whole-vector store overruns by one value into the next pixel; the last pixel of row
    // dstH-2 would overrun into table entry 0 and every pixel of the last row into entry j+1
    const nFull = i < dstH - 2 ? dstW : i == dstH - 2 ? dstW - 1 : 0;
    for (let j = 0; j < dstW; j++) {
      const v = lerp(top, bot, <usize>load<u32>(e), <usize>load<u32>(e, 4), f32x4.splat(load<f32>(e, 8)), rf, srcC, srcEnd);
      if (j < nFull) {
        v128.store(dp, v);
      } else {
        store<f32>(dp, f32x4.extract_lane(v, 0));
        store<f32>(dp, f32x4.extract_lane(v, 1), 4);
        store<f32>(dp, f32x4.extract_lane(v, 2), 8);
      }
      dp += 12; e += 12;
    }
  }
}
