// f32_warp_affine_u8, SIMD build: the scalar kernel (image/warp.ts) with the three channels of a
// pixel as lanes 0-2 of one f32x4 (lane 3 is alpha or the next pixel's first byte, never stored).
// Coordinates are the scalar kernel's, in the same f64 operations, and every lane does the same
// f32 multiplies and adds in the same order (no fused multiply-add), so the two builds agree bit for
// bit: what is saved is the per-channel loads and arithmetic (one 4-byte load and conversion per tap
// instead of three byte loads, one vector multiply-add chain instead of three; the two taps of a row
// in one 8-byte load, rowLerp), and on the general path the scalar f64 coordinate work (x and y of a
// sub-sample as one f64x2: floor, clamp and fraction once for both).
//
// Axis-aligned maps (m1 = m3 = 0: the detector's letterbox and its pass-1 windows) take a second
// path with the same results: a sub-sample's source column then depends only on (j, sj) and its row
// only on (i, si), so the floor, the fraction and the range class of each are computed once into
// tables instead of once per sub-sample. The tables need no memory of their own: they sit in the
// last rows of dst (8 bytes an entry: the cell as i32, the fraction as f32; dstW * ss column
// entries, then ss row entries rewritten per output row), and those rows are computed last, by the
// general path, over the tables.
import { checkWarpArgs } from "./warp.common";
import { pixel } from "./pixel.simd";

/** A floored coordinate as an i32 cell, clamped to [-2, n]: every cell below -1 (or at or above n)
 *  takes the same branch of `sample` as the unclamped one (the border), and so does NaN (-2); the
 *  clamp keeps the conversion in range. */
@inline function cell(f: f64, n: i32): i32 {
  return f >= -2.0 && f <= <f64>n ? <i32>f : (f > <f64>n ? n : -2);
}

/** Two horizontally adjacent pixels at p and p + pxB, as pixel() reads them, blended l * bx + r * ax.
 *  RGBA: both in one 8-byte load (bytes 0-3 and 4-7). RGB: bytes 0-6 in one 8-byte load when it
 *  stays inside src, spread to bytes 0-3 and 3-6 (each lane 3 is a neighbour's byte, as in pixel()).
 *  The values are the same integers as pixel()'s, so the blend is bit-identical. */
@inline function rowLerp(p: usize, pxB: usize, srcC: i32, srcEnd: usize, AX: v128, BX: v128): v128 {
  let l: v128, r: v128;
  if (srcC == 4) {
    const u = v128.load8x8_u(p);
    l = f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(u));
    r = f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(u));
  } else if (srcC == 3 && p + 8 <= srcEnd) {
    const v = v128.load64_zero(p);
    const u = i16x8.extend_low_i8x16_u(i8x16.shuffle(v, v, 0, 1, 2, 3, 3, 4, 5, 6, 8, 8, 8, 8, 8, 8, 8, 8));
    l = f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(u));
    r = f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(u));
  } else {
    l = pixel(p, srcC, srcEnd);
    r = pixel(p + pxB, srcC, srcEnd);
  }
  return f32x4.add(f32x4.mul(l, BX), f32x4.mul(r, AX));
}

/** acc + the bilinear sample at cell (x0, y0) with fractions (ax, ay), taps outside src reading
 *  vBorder; the scalar kernel's tap4 / edge arithmetic, lane-wise. */
@inline function sample(
  acc: v128, src: usize, rowB: usize, pxB: usize, srcC: i32, srcEnd: usize, srcW: i32, srcH: i32,
  x0: i32, y0: i32, ax: f32, ay: f32, vBorder: v128,
): v128 {
  const bx = <f32>1.0 - ax, by = <f32>1.0 - ay;
  if (x0 >= 0 && y0 >= 0 && x0 < srcW - 1 && y0 < srcH - 1) {
    // all four taps inside: (tl bx + tr ax) by + (bl bx + br ax) ay, as the scalar tap4
    const p = src + <usize>y0 * rowB + <usize>x0 * pxB;
    const AX = f32x4.splat(ax), BX = f32x4.splat(bx);
    const t = rowLerp(p, pxB, srcC, srcEnd, AX, BX);
    const b = rowLerp(p + rowB, pxB, srcC, srcEnd, AX, BX);
    return f32x4.add(acc, f32x4.add(f32x4.mul(t, f32x4.splat(by)), f32x4.mul(b, f32x4.splat(ay))));
  }
  if (x0 >= -1 && y0 >= -1 && x0 < srcW && y0 < srcH) {
    // straddles the edge: each tap from the image or the border value, as the scalar edge()
    const p = src + <usize>y0 * rowB + <usize>x0 * pxB; // address arithmetic wraps like the index; read only when inside
    const v00 = x0 >= 0 && y0 >= 0 ? pixel(p, srcC, srcEnd) : vBorder;
    const v10 = x0 + 1 < srcW && y0 >= 0 ? pixel(p + pxB, srcC, srcEnd) : vBorder;
    const v01 = x0 >= 0 && y0 + 1 < srcH ? pixel(p + rowB, srcC, srcEnd) : vBorder;
    const v11 = x0 + 1 < srcW && y0 + 1 < srcH ? pixel(p + rowB + pxB, srcC, srcEnd) : vBorder;
    const w00 = f32x4.splat(bx * by), w10 = f32x4.splat(ax * by), w01 = f32x4.splat(bx * ay), w11 = f32x4.splat(ax * ay);
    return f32x4.add(acc, f32x4.add(f32x4.add(f32x4.mul(v00, w00), f32x4.mul(v10, w10)), f32x4.add(f32x4.mul(v01, w01), f32x4.mul(v11, w11))));
  }
  return f32x4.add(acc, vBorder);
}

/** The mean of the sub-samples, scaled and biased, stored as the output pixel's three floats. */
@inline function put(dp: usize, acc: v128, vInv: v128, vScale: v128, vBias: v128): void {
  const v = f32x4.add(f32x4.mul(f32x4.mul(acc, vInv), vScale), vBias);
  store<f32>(dp, f32x4.extract_lane(v, 0));
  store<f32>(dp, f32x4.extract_lane(v, 1), 4);
  store<f32>(dp, f32x4.extract_lane(v, 2), 8);
}

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
  const dstRowB = <usize>dstW * 12;
  let i0 = 0;
  if (m1 == 0 && m3 == 0) {
    const tableRows = <i32>((<usize>(dstW * ss + ss) * 8 + dstRowB - 1) / dstRowB);
    if (tableRows < dstH) {
      i0 = dstH - tableRows;
      const xTab = dst + <usize>i0 * dstRowB, yTab = xTab + (<usize>(dstW * ss) << 3);
      // column entries (j, sj): the general path's fx for row 0, which with m1 = 0 is every row's
      let px = m0 * (0.5 * step) + m1 * (0.5 * step) + m2 - 0.5;
      let e = xTab;
      for (let j = 0; j < dstW; j++, px += m0) {
        let fx = px;
        for (let sj = 0; sj < ss; sj++, fx += dxj, e += 8) {
          const x0f = Math.floor(fx);
          store<i32>(e, cell(x0f, srcW));
          store<f32>(e, <f32>(fx - x0f), 4);
        }
      }
      let dp = dst;
      for (let i = 0; i < i0; i++) {
        // row entries si: the general path's fy (with m3 = 0 it does not move along the row)
        let ry = m3 * (0.5 * step) + m4 * (<f64>i + 0.5 * step) + m5 - 0.5;
        for (let si = 0; si < ss; si++, ry += dyi) {
          const y0f = Math.floor(ry);
          store<i32>(yTab + (<usize>si << 3), cell(y0f, srcH));
          store<f32>(yTab + (<usize>si << 3), <f32>(ry - y0f), 4);
        }
        let xe = xTab;
        for (let j = 0; j < dstW; j++) {
          let acc = f32x4.splat(0);
          for (let si = 0; si < ss; si++) {
            const ye = yTab + (<usize>si << 3);
            const y0 = load<i32>(ye), ay = load<f32>(ye, 4);
            for (let sj = 0; sj < ss; sj++) {
              const xs = xe + (<usize>sj << 3);
              acc = sample(acc, src, rowB, pxB, srcC, srcEnd, srcW, srcH, load<i32>(xs), y0, load<f32>(xs, 4), ay, vBorder);
            }
          }
          xe += <usize>ss << 3;
          put(dp, acc, vInv, vScale, vBias);
          dp += 12;
        }
      }
    }
  }
  // general path: rows i0 .. dstH - 1 (all rows unless the axis-aligned path ran). The point (fx, fy)
  // is one f64x2: floor, clamp (cell()'s, as pmax / pmin: NaN -> -2) and fraction for x and y at once.
  const vStep = f64x2.replace_lane(f64x2.splat(dxj), 1, dyj);
  const vLo = f64x2.splat(-2.0), vHi = f64x2.replace_lane(f64x2.splat(<f64>srcW), 1, <f64>srcH);
  let dp = dst + <usize>i0 * dstRowB;
  for (let i = i0; i < dstH; i++) {
    let px = m0 * (0.5 * step) + m1 * (<f64>i + 0.5 * step) + m2 - 0.5;
    let py = m3 * (0.5 * step) + m4 * (<f64>i + 0.5 * step) + m5 - 0.5;
    for (let j = 0; j < dstW; j++) {
      let rx = px, ry = py;
      let acc = f32x4.splat(0);
      for (let si = 0; si < ss; si++) {
        let f = f64x2.replace_lane(f64x2.splat(rx), 1, ry);
        for (let sj = 0; sj < ss; sj++, f = f64x2.add(f, vStep)) {
          const fl = f64x2.floor(f);
          const c = i32x4.trunc_sat_f64x2_s_zero(f64x2.pmin(vHi, f64x2.pmax(vLo, fl)));
          const fr = f32x4.demote_f64x2_zero(f64x2.sub(f, fl));
          acc = sample(acc, src, rowB, pxB, srcC, srcEnd, srcW, srcH, i32x4.extract_lane(c, 0), i32x4.extract_lane(c, 1),
            f32x4.extract_lane(fr, 0), f32x4.extract_lane(fr, 1), vBorder);
        }
        rx += dxi;
        ry += dyi;
      }
      px += m0;
      py += m3;
      put(dp, acc, vInv, vScale, vBias);
      dp += 12;
    }
  }
}
