// f32_warp_affine_u8: affine warp of a u8 image to f32 RGB; the scalar build (image/warp.simd.ts is the SIMD twin, bit for bit the same)
// Per output pixel it gathers from up to ss * ss * 4 source pixels at computed addresses; the
// channels of one pixel are three independent sums.
import { checkWarpArgs } from "./warp.common";

/**
 * dst[i, j, ch] = (mean over the ss x ss sub-samples of bilinear(src, p)) * scale + bias, where a
 * sub-sample of output pixel (j, i) sits at (j + (sj + 0.5) / ss, i + (si + 0.5) / ss) in output
 * coordinates (pixel centres at +0.5) and maps to the source point
 *   u = m0 * X + m1 * Y + m2,  v = m3 * X + m4 * Y + m5   (continuous source coordinates),
 * sampled bilinearly at (u - 0.5, v - 0.5) in pixel-index space; taps outside the source read
 * `border` (a constant border, in source pixel units 0..255). ss = 1 is a plain bilinear warp;
 * ss > 1 is an area prefilter for downscales (about ss source pixels per output pixel per axis).
 * - src: srcH x srcW x srcC u8 (srcC 1, 3 or 4; gray replicated, alpha dropped; any alignment).
 * - dst: dstH x dstW x 3 f32 (4-byte alignment).
 * Coordinates in f64; pixel arithmetic in f32: per sample v = (tl (1 - fx) + tr fx) (1 - fy) + (bl (1 - fx) + br fx) fy.
 */
export function f32_warp_affine_u8(
  src: usize, srcW: i32, srcH: i32, srcC: i32, dst: usize, dstW: i32, dstH: i32,
  m0: f64, m1: f64, m2: f64, m3: f64, m4: f64, m5: f64, ss: i32, scale: f32, bias: f32, border: f32,
): void {
  checkWarpArgs(src, srcW, srcH, srcC, dst, dstW, dstH, ss);
  const rowB = <usize>srcW * <usize>srcC;
  const pxB = <usize>srcC;
  const g1: usize = srcC == 1 ? 0 : 1;
  const g2: usize = srcC == 1 ? 0 : 2;
  const inv = <f32>1.0 / <f32>(ss * ss);
  const step = 1.0 / <f64>ss;
  // Source coordinates by additions (f64; the drift over a 4096-pixel row is ~1e-12 px): per output pixel the
  // first sub-sample's point, then +dxj / dyj along a sub-row and +dxi / dyi to the next sub-row.
  const dxj = m0 * step, dyj = m3 * step, dxi = m1 * step, dyi = m4 * step;
  let dp = dst;
  for (let i = 0; i < dstH; i++) {
    let px = m0 * (0.5 * step) + m1 * (<f64>i + 0.5 * step) + m2 - 0.5;
    let py = m3 * (0.5 * step) + m4 * (<f64>i + 0.5 * step) + m5 - 0.5;
    for (let j = 0; j < dstW; j++) {
      let rx = px, ry = py;
      let r: f32 = 0, g: f32 = 0, bl: f32 = 0;
      for (let si = 0; si < ss; si++) {
        let fx = rx, fy = ry;
        for (let sj = 0; sj < ss; sj++, fx += dxj, fy += dyj) {
          const x0f = Math.floor(fx), y0f = Math.floor(fy);
          const ax = <f32>(fx - x0f), ay = <f32>(fy - y0f);
          const bx = <f32>1.0 - ax, by = <f32>1.0 - ay;
          if (x0f >= 0 && y0f >= 0 && x0f < <f64>(srcW - 1) && y0f < <f64>(srcH - 1)) {
            // all four taps inside
            const p = src + <usize>(<i32>y0f) * rowB + <usize>(<i32>x0f) * pxB;
            const q = p + rowB;
            r += tap4(p, q, pxB, 0, ax, bx, ay, by);
            g += tap4(p, q, pxB, g1, ax, bx, ay, by);
            bl += tap4(p, q, pxB, g2, ax, bx, ay, by);
          } else if (x0f >= -1 && y0f >= -1 && x0f < <f64>srcW && y0f < <f64>srcH) {
            // straddles the edge: each tap from the image or the border value
            const x0 = <i32>x0f, y0 = <i32>y0f;
            const in00 = x0 >= 0 && y0 >= 0, in10 = x0 + 1 < srcW && y0 >= 0;
            const in01 = x0 >= 0 && y0 + 1 < srcH, in11 = x0 + 1 < srcW && y0 + 1 < srcH;
            const p = src + <usize>y0 * rowB + <usize>x0 * pxB; // address arithmetic wraps like the index; read only when inside
            const w00 = bx * by, w10 = ax * by, w01 = bx * ay, w11 = ax * ay;
            r += edge(p, rowB, pxB, 0, in00, in10, in01, in11, w00, w10, w01, w11, border);
            g += edge(p, rowB, pxB, g1, in00, in10, in01, in11, w00, w10, w01, w11, border);
            bl += edge(p, rowB, pxB, g2, in00, in10, in01, in11, w00, w10, w01, w11, border);
          } else {
            r += border; g += border; bl += border;
          }
        }
        rx += dxi;
        ry += dyi;
      }
      px += m0;
      py += m3;
      store<f32>(dp, r * inv * scale + bias);
      store<f32>(dp, g * inv * scale + bias, 4);
      store<f32>(dp, bl * inv * scale + bias, 8);
      dp += 12;
    }
  }
}

@inline function tap4(p: usize, q: usize, pxB: usize, ch: usize, ax: f32, bx: f32, ay: f32, by: f32): f32 {
  const t = <f32>load<u8>(p + ch) * bx + <f32>load<u8>(p + pxB + ch) * ax;
  const b = <f32>load<u8>(q + ch) * bx + <f32>load<u8>(q + pxB + ch) * ax;
  return t * by + b * ay;
}

@inline function edge(
  p: usize, rowB: usize, pxB: usize, ch: usize, in00: bool, in10: bool, in01: bool, in11: bool,
  w00: f32, w10: f32, w01: f32, w11: f32, border: f32,
): f32 {
  const v00 = in00 ? <f32>load<u8>(p + ch) : border;
  const v10 = in10 ? <f32>load<u8>(p + pxB + ch) : border;
  const v01 = in01 ? <f32>load<u8>(p + rowB + ch) : border;
  const v11 = in11 ? <f32>load<u8>(p + rowB + pxB + ch) : border;
  return (v00 * w00 + v10 * w10) + (v01 * w01 + v11 * w11);
}
