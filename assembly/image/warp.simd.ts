// f32_warp_affine_u8, SIMD build: the scalar kernel (image/warp.ts) with the three channels of a
// pixel as lanes 0-2 of one f32x4 (lane 3 is alpha or the next pixel's first byte, never stored).
// Coordinates are the scalar kernel's, in the same f64 operations, and every lane does the same
// f32 multiplies and adds in the same order (no fused multiply-add), so the two builds agree bit for
// bit: what is saved is the per-channel loads and arithmetic (one 4-byte load and conversion per tap
// instead of three byte loads, one vector multiply-add chain instead of three).
import { checkWarpArgs } from "./warp.common";
import { pixel } from "./pixel.simd";

/** See image/warp.ts: same arguments, same results (bit for bit). */
export function f32_warp_affine_u8__wasmsimd(
  src: usize, srcW: i32, srcH: i32, srcC: i32, dst: usize, dstW: i32, dstH: i32,
  m0: f64, m1: f64, m2: f64, m3: f64, m4: f64, m5: f64, ss: i32, scale: f32, bias: f32, border: f32,
): void {
  checkWarpArgs(src, srcW, srcH, srcC, dst, dstW, dstH, ss);
  const rowB = <usize>srcW * <usize>srcC;
  const pxB = <usize>srcC;
  const srcEnd = src + rowB * <usize>srcH;
  const inv = <f32>1.0 / <f32>(ss * ss);
  const step = 1.0 / <f64>ss;
  const vBorder = f32x4.splat(border);
  const vInv = f32x4.splat(inv), vScale = f32x4.splat(scale), vBias = f32x4.splat(bias);
  // Source coordinates by additions (f64; the drift over a 4096-pixel row is ~1e-12 px): per output pixel the
  // first sub-sample's point, then +dxj / dyj along a sub-row and +dxi / dyi to the next sub-row.
  const dxj = m0 * step, dyj = m3 * step, dxi = m1 * step, dyi = m4 * step;
  let dp = dst;
  for (let i = 0; i < dstH; i++) {
    let px = m0 * (0.5 * step) + m1 * (<f64>i + 0.5 * step) + m2 - 0.5;
    let py = m3 * (0.5 * step) + m4 * (<f64>i + 0.5 * step) + m5 - 0.5;
    for (let j = 0; j < dstW; j++) {
      let rx = px, ry = py;
      let acc = f32x4.splat(0);
      for (let si = 0; si < ss; si++) {
        let fx = rx, fy = ry;
        for (let sj = 0; sj < ss; sj++, fx += dxj, fy += dyj) {
          const x0f = Math.floor(fx), y0f = Math.floor(fy);
          const ax = <f32>(fx - x0f), ay = <f32>(fy - y0f);
          const bx = <f32>1.0 - ax, by = <f32>1.0 - ay;
          if (x0f >= 0 && y0f >= 0 && x0f < <f64>(srcW - 1) && y0f < <f64>(srcH - 1)) {
            // all four taps inside: (tl bx + tr ax) by + (bl bx + br ax) ay, as the scalar tap4
            const p = src + <usize>(<i32>y0f) * rowB + <usize>(<i32>x0f) * pxB;
            const q = p + rowB;
            const AX = f32x4.splat(ax), BX = f32x4.splat(bx);
            const t = f32x4.add(f32x4.mul(pixel(p, srcC, srcEnd), BX), f32x4.mul(pixel(p + pxB, srcC, srcEnd), AX));
            const b = f32x4.add(f32x4.mul(pixel(q, srcC, srcEnd), BX), f32x4.mul(pixel(q + pxB, srcC, srcEnd), AX));
            acc = f32x4.add(acc, f32x4.add(f32x4.mul(t, f32x4.splat(by)), f32x4.mul(b, f32x4.splat(ay))));
          } else if (x0f >= -1 && y0f >= -1 && x0f < <f64>srcW && y0f < <f64>srcH) {
            // straddles the edge: each tap from the image or the border value, as the scalar edge()
            const x0 = <i32>x0f, y0 = <i32>y0f;
            const p = src + <usize>y0 * rowB + <usize>x0 * pxB; // address arithmetic wraps like the index; read only when inside
            const v00 = x0 >= 0 && y0 >= 0 ? pixel(p, srcC, srcEnd) : vBorder;
            const v10 = x0 + 1 < srcW && y0 >= 0 ? pixel(p + pxB, srcC, srcEnd) : vBorder;
            const v01 = x0 >= 0 && y0 + 1 < srcH ? pixel(p + rowB, srcC, srcEnd) : vBorder;
            const v11 = x0 + 1 < srcW && y0 + 1 < srcH ? pixel(p + rowB + pxB, srcC, srcEnd) : vBorder;
            const w00 = f32x4.splat(bx * by), w10 = f32x4.splat(ax * by), w01 = f32x4.splat(bx * ay), w11 = f32x4.splat(ax * ay);
            acc = f32x4.add(acc, f32x4.add(f32x4.add(f32x4.mul(v00, w00), f32x4.mul(v10, w10)), f32x4.add(f32x4.mul(v01, w01), f32x4.mul(v11, w11))));
          } else {
            acc = f32x4.add(acc, vBorder);
          }
        }
        rx += dxi;
        ry += dyi;
      }
      px += m0;
      py += m3;
      const v = f32x4.add(f32x4.mul(f32x4.mul(acc, vInv), vScale), vBias);
      store<f32>(dp, f32x4.extract_lane(v, 0));
      store<f32>(dp, f32x4.extract_lane(v, 1), 4);
      store<f32>(dp, f32x4.extract_lane(v, 2), 8);
      dp += 12;
    }
  }
}
