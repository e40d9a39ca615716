// Bilinear resize of a u8 image to f32 RGB in [0, 1], scalar (the scalar build's kernel and the
// reference procedure); image/resize.simd.ts computes the same bits with one f32x4 per pixel.
import { checkF32, checkU8, check } from "../util/check";

/**
 * Bilinear resize with half-pixel centres, bit-for-bit the procedure of docs/kernels.md (tfjs CPU
 * `resizeBilinear(alignCorners=false, halfPixelCenters=true)` with f32 pixel arithmetic).
 * - src: srcH x srcW x srcC u8 (row-major, channels interleaved; srcC 1, 3 or 4; any alignment).
 *   Note the argument order: width before height.
 * - dst: dstH x dstW x 3 f32 (4-byte alignment). Gray (srcC 1) is replicated to RGB; alpha is dropped.
 * - Per axis, in f64: ratio = src / dst; f = ratio * (i + 0.5) - 0.5; lo = max(0, floor(f));
 *   hi = min(size - 1, ceil(f)); frac = f - lo (negative at the first row/column when f < 0),
 *   then frac is rounded to f32.
 * - In f32: top = tl + (tr - tl) * cf; bot = bl + (br - bl) * cf; v = top + (bot - top) * rf;
 *   dst = v / 255.
 */
export function f32_resize_bilinear_u8(src: usize, srcW: i32, srcH: i32, srcC: i32, dst: usize, dstW: i32, dstH: i32): void {
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
  const g1: usize = srcC == 1 ? 0 : 1;
  const g2: usize = srcC == 1 ? 0 : 2;
  let dp = dst;
  for (let i = 0; i < dstH; i++) {
    const fy = ry * (<f64>i + 0.5) - 0.5;
    const y0 = Math.max(0.0, Math.floor(fy));
    const rf = <f32>(fy - y0);
    const y1 = Math.min(<f64>(srcH - 1), Math.ceil(fy));
    const top = src + <usize>(<i32>y0) * rowB;
    const bot = src + <usize>(<i32>y1) * rowB;
    for (let j = 0; j < dstW; j++) {
      const fx = rx * (<f64>j + 0.5) - 0.5;
      const x0 = Math.max(0.0, Math.floor(fx));
      const cf = <f32>(fx - x0);
      const x1 = Math.min(<f64>(srcW - 1), Math.ceil(fx));
      const o0 = <usize>(<i32>x0) * pxB, o1 = <usize>(<i32>x1) * pxB;
      const tl = top + o0, tr = top + o1, bl = bot + o0, br = bot + o1;
      store<f32>(dp, lerp2(tl, tr, bl, br, 0, cf, rf));
      store<f32>(dp, lerp2(tl, tr, bl, br, g1, cf, rf), 4);
      store<f32>(dp, lerp2(tl, tr, bl, br, g2, cf, rf), 8);
      dp += 12;
    }
  }
}

@inline function lerp2(tl: usize, tr: usize, bl: usize, br: usize, ch: usize, cf: f32, rf: f32): f32 {
  const vtl = <f32>load<u8>(tl + ch), vtr = <f32>load<u8>(tr + ch);
  const vbl = <f32>load<u8>(bl + ch), vbr = <f32>load<u8>(br + ch);
  const t = vtl + (vtr - vtl) * cf;
  const b = vbl + (vbr - vbl) * cf;
  return (t + (b - t) * rf) / <f32>255.0;
}
