// f32_dwconv3x3, WebAssembly SIMD (scalar twin: dwconv3x3.scalar.ts).
//
// Layout: x is H x W x C (HWC), so one f32x4 is four channels of one pixel, and a pixel's taps are
// cB = 4 C bytes apart along a row, W cB bytes apart down a column.
// Interior rows (all three kernel rows inside x) are swept in chunks of up to CHUNK output pixels
// between the row's left and right border pixels: per chunk, the channels go in f32x4 blocks
// outermost, so a block's nine weights and its bias are loaded once and held while the chunk's pixels
// are swept: at stride 1 four at a time (four accumulation chains sharing each row's six input loads),
// then two at a time (two chains), then one. A chunk's three input rows (at most
// (2 CHUNK + 1) pixels each) stay in L1 while its channel blocks are swept. The border pixels of those
// rows, the border rows and the C % 4 channel tail go one pixel at a time with the tap range clipped.
// Same accumulation order as the scalar twin (bias, then ky, kx ascending, mul then add, no fused
// multiply-add): the two builds agree bit for bit.
import { actv } from "./activation.simd";
import { sameOut, samePadBefore } from "./same.common";
import { checkDwconv3x3Args, dwconv3x3Channels } from "./dwconv3x3.common";

/** Output pixels per chunk of an interior row (see the layout note above). */
const CHUNK = 16;

/** One output pixel, all channels, taps clipped to ky0..ky1 x kx0..kx1 (border pixels). */
@inline function borderPixel(xb: usize, rowB: usize, cB: usize, ky0: i32, ky1: i32, kx0: i32, kx1: i32, w: usize, b: usize, yp: usize, C: i32, C4: i32, act: i32): void {
  let c = 0;
  for (; c < C4; c += 4) {
    const o = <usize>c << 2;
    let a = v128.load(b + o);
    for (let ky = ky0; ky < ky1; ky++) {
      const xr = xb + <usize>ky * rowB + o;
      const wr = w + <usize>(ky * 3) * cB + o;
      for (let kx = kx0; kx < kx1; kx++) a = f32x4.add(a, f32x4.mul(v128.load(xr + <usize>kx * cB), v128.load(wr + <usize>kx * cB)));
    }
    v128.store(yp + o, actv(a, act));
  }
  dwconv3x3Channels(xb, rowB, cB, ky0, ky1, kx0, kx1, w, b, yp, c, C, act);
}

/** See f32_dwconv3x3__scalar for the contract. */
export function f32_dwconv3x3__wasmsimd(x: usize, H: i32, W: i32, C: i32, w: usize, b: usize, y: usize, stride: i32, act: i32): void {
  const OH = sameOut(H, stride), OW = sameOut(W, stride);
  checkDwconv3x3Args(x, H, W, C, w, b, y, stride, act);
  const pt = samePadBefore(H, 3, stride), pl = samePadBefore(W, 3, stride);
  const cB = <usize>C << 2;
  const rowB = <usize>W * cB;
  const sB = <usize>stride * cB; // input bytes between neighbouring output pixels of a row
  const C4 = C & ~3;
  // interior columns: ox * stride - pl >= 0 and ox * stride - pl + 2 <= W - 1
  const oxLo = min((pl + stride - 1) / stride, OW);
  const oxHi = max(oxLo, min(OW, (W - 3 + pl) / stride + 1));
  for (let oy = 0; oy < OH; oy++) {
    const iy0 = oy * stride - pt;
    const ky0 = iy0 < 0 ? -iy0 : 0, ky1 = min(3, H - iy0);
    const yrow = y + <usize>(oy * OW) * cB;
    const xrow = x + <usize>iy0 * rowB; // may lie outside x; only taps inside are read
    if (ky1 - ky0 < 3 || W < 3) {
      for (let ox = 0; ox < OW; ox++) {
        const ix0 = ox * stride - pl;
        borderPixel(xrow + <usize>ix0 * cB, rowB, cB, ky0, ky1, ix0 < 0 ? -ix0 : 0, min(3, W - ix0), w, b, yrow + <usize>ox * cB, C, C4, act);
      }
      continue;
    }
    for (let ox = 0; ox < oxLo; ox++) {
      const ix0 = ox * stride - pl;
      borderPixel(xrow + <usize>ix0 * cB, rowB, cB, 0, 3, ix0 < 0 ? -ix0 : 0, min(3, W - ix0), w, b, yrow + <usize>ox * cB, C, C4, act);
    }
    for (let ox0 = oxLo; ox0 < oxHi; ox0 += CHUNK) {
      const ox1 = min(ox0 + CHUNK, oxHi);
      const xc = xrow + <usize>(ox0 * stride - pl) * cB, yc = yrow + <usize>ox0 * cB;
      for (let c = 0; c < C4; c += 4) {
        const o = <usize>c << 2;
        const wp = w + o;
        const w00 = v128.load(wp), w01 = v128.load(wp + cB), w02 = v128.load(wp + 2 * cB);
        const w10 = v128.load(wp + 3 * cB), w11 = v128.load(wp + 4 * cB), w12 = v128.load(wp + 5 * cB);
        const w20 = v128.load(wp + 6 * cB), w21 = v128.load(wp + 7 * cB), w22 = v128.load(wp + 8 * cB);
        const bias = v128.load(b + o);
        let p = xc + o, q = yc + o;
        let ox = ox0;
        // stride 1, four pixels at a time: four independent accumulation chains (a pixel's chain is
        // nine dependent adds), and neighbouring pixels share taps, so a kernel row's six input
        // vectors are loaded once each and every product is added as soon as its input is loaded.
        // Each pixel still sums its taps in (ky, kx) order: input j of a row meets pixel i's tap
        // kx = j - i, and j only grows. The three kernel rows are written out: a helper cannot hand
        // four accumulators back, and a ky loop picking each row's weights measured 5 % slower.
        if (stride == 1)
          for (; ox + 4 <= ox1; ox += 4) {
            let a = bias, e = bias, f = bias, g = bias;
            let v: v128;
            const r0 = p;
            v = v128.load(r0);
            a = f32x4.add(a, f32x4.mul(v, w00));
            v = v128.load(r0 + cB);
            a = f32x4.add(a, f32x4.mul(v, w01)); e = f32x4.add(e, f32x4.mul(v, w00));
            v = v128.load(r0 + 2 * cB);
            a = f32x4.add(a, f32x4.mul(v, w02)); e = f32x4.add(e, f32x4.mul(v, w01)); f = f32x4.add(f, f32x4.mul(v, w00));
            v = v128.load(r0 + 3 * cB);
            e = f32x4.add(e, f32x4.mul(v, w02)); f = f32x4.add(f, f32x4.mul(v, w01)); g = f32x4.add(g, f32x4.mul(v, w00));
            v = v128.load(r0 + 4 * cB);
            f = f32x4.add(f, f32x4.mul(v, w02)); g = f32x4.add(g, f32x4.mul(v, w01));
            v = v128.load(r0 + 5 * cB);
            g = f32x4.add(g, f32x4.mul(v, w02));
            const r1 = p + rowB;
            v = v128.load(r1);
            a = f32x4.add(a, f32x4.mul(v, w10));
            v = v128.load(r1 + cB);
            a = f32x4.add(a, f32x4.mul(v, w11)); e = f32x4.add(e, f32x4.mul(v, w10));
            v = v128.load(r1 + 2 * cB);
            a = f32x4.add(a, f32x4.mul(v, w12)); e = f32x4.add(e, f32x4.mul(v, w11)); f = f32x4.add(f, f32x4.mul(v, w10));
            v = v128.load(r1 + 3 * cB);
            e = f32x4.add(e, f32x4.mul(v, w12)); f = f32x4.add(f, f32x4.mul(v, w11)); g = f32x4.add(g, f32x4.mul(v, w10));
            v = v128.load(r1 + 4 * cB);
            f = f32x4.add(f, f32x4.mul(v, w12)); g = f32x4.add(g, f32x4.mul(v, w11));
            v = v128.load(r1 + 5 * cB);
            g = f32x4.add(g, f32x4.mul(v, w12));
            const r2 = p + 2 * rowB;
            v = v128.load(r2);
            a = f32x4.add(a, f32x4.mul(v, w20));
            v = v128.load(r2 + cB);
            a = f32x4.add(a, f32x4.mul(v, w21)); e = f32x4.add(e, f32x4.mul(v, w20));
            v = v128.load(r2 + 2 * cB);
            a = f32x4.add(a, f32x4.mul(v, w22)); e = f32x4.add(e, f32x4.mul(v, w21)); f = f32x4.add(f, f32x4.mul(v, w20));
            v = v128.load(r2 + 3 * cB);
            e = f32x4.add(e, f32x4.mul(v, w22)); f = f32x4.add(f, f32x4.mul(v, w21)); g = f32x4.add(g, f32x4.mul(v, w20));
            v = v128.load(r2 + 4 * cB);
            f = f32x4.add(f, f32x4.mul(v, w22)); g = f32x4.add(g, f32x4.mul(v, w21));
            v = v128.load(r2 + 5 * cB);
            g = f32x4.add(g, f32x4.mul(v, w22));
            v128.store(q, actv(a, act));
            v128.store(q + cB, actv(e, act));
            v128.store(q + 2 * cB, actv(f, act));
            v128.store(q + 3 * cB, actv(g, act));
            p += cB << 2;
            q += cB << 2;
          }
        for (; ox + 2 <= ox1; ox += 2) {
          const p1 = p + rowB, p2 = p1 + rowB;
          let a = bias, e = bias;
          a = f32x4.add(a, f32x4.mul(v128.load(p), w00));            e = f32x4.add(e, f32x4.mul(v128.load(p + sB), w00));
          a = f32x4.add(a, f32x4.mul(v128.load(p + cB), w01));       e = f32x4.add(e, f32x4.mul(v128.load(p + sB + cB), w01));
          a = f32x4.add(a, f32x4.mul(v128.load(p + 2 * cB), w02));   e = f32x4.add(e, f32x4.mul(v128.load(p + sB + 2 * cB), w02));
          a = f32x4.add(a, f32x4.mul(v128.load(p1), w10));           e = f32x4.add(e, f32x4.mul(v128.load(p1 + sB), w10));
          a = f32x4.add(a, f32x4.mul(v128.load(p1 + cB), w11));      e = f32x4.add(e, f32x4.mul(v128.load(p1 + sB + cB), w11));
          a = f32x4.add(a, f32x4.mul(v128.load(p1 + 2 * cB), w12));  e = f32x4.add(e, f32x4.mul(v128.load(p1 + sB + 2 * cB), w12));
          a = f32x4.add(a, f32x4.mul(v128.load(p2), w20));           e = f32x4.add(e, f32x4.mul(v128.load(p2 + sB), w20));
          a = f32x4.add(a, f32x4.mul(v128.load(p2 + cB), w21));      e = f32x4.add(e, f32x4.mul(v128.load(p2 + sB + cB), w21));
          a = f32x4.add(a, f32x4.mul(v128.load(p2 + 2 * cB), w22));  e = f32x4.add(e, f32x4.mul(v128.load(p2 + sB + 2 * cB), w22));
          v128.store(q, actv(a, act));
          v128.store(q + cB, actv(e, act));
          p += sB << 1;
          q += cB << 1;
        }
        if (ox < ox1) {
          const p1 = p + rowB, p2 = p1 + rowB;
          let a = bias;
          a = f32x4.add(a, f32x4.mul(v128.load(p), w00));
          a = f32x4.add(a, f32x4.mul(v128.load(p + cB), w01));
          a = f32x4.add(a, f32x4.mul(v128.load(p + 2 * cB), w02));
          a = f32x4.add(a, f32x4.mul(v128.load(p1), w10));
          a = f32x4.add(a, f32x4.mul(v128.load(p1 + cB), w11));
          a = f32x4.add(a, f32x4.mul(v128.load(p1 + 2 * cB), w12));
          a = f32x4.add(a, f32x4.mul(v128.load(p2), w20));
          a = f32x4.add(a, f32x4.mul(v128.load(p2 + cB), w21));
          a = f32x4.add(a, f32x4.mul(v128.load(p2 + 2 * cB), w22));
          v128.store(q, actv(a, act));
        }
      }
      if (C4 < C)
        for (let ox = ox0; ox < ox1; ox++)
          dwconv3x3Channels(xrow + <usize>(ox * stride - pl) * cB, rowB, cB, 0, 3, 0, 3, w, b, yrow + <usize>ox * cB, C4, C, act);
    }
    for (let ox = oxHi; ox < OW; ox++) {
      const ix0 = ox * stride - pl;
      borderPixel(xrow + <usize>ix0 * cB, rowB, cB, 0, 3, ix0 < 0 ? -ix0 : 0, min(3, W - ix0), w, b, yrow + <usize>ox * cB, C, C4, act);
    }
  }
}
