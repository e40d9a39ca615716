// f32_conv5x5s2_c3, WebAssembly SIMD: the detector's stem (scalar twin: conv5x5s2.scalar.ts).
// Per output pixel, output channels in blocks of 8 (two f32x4 accumulators), then one block of 4,
// then a scalar tail of Cout % 4; each tap's input value is splatted and multiplied into the block's
// HWIO weights (contiguous across output channels). Same accumulation order as the scalar twin
// (bias, then ky, kx, ci ascending), so without fused multiply-adds the two builds agree bit for bit.
import { actv } from "./activation.simd";
import { sameOut, samePadBefore } from "./same.common";
import { checkConv5x5s2Args, conv5x5s2Channels } from "./conv5x5s2.common";

/** 4 horizontally adjacent output pixels (input columns ix0, ix0 + 2, ix0 + 4, ix0 + 6) x 8 channels. */
@inline function tile4x8(x: usize, W: i32, iy0: i32, ix0: i32, ky0: i32, ky1: i32, w: usize, coutB: usize, b: usize, yp: usize, co: i32, act: i32): void {
  const cb = <usize>co << 2;
  const b0 = v128.load(b + cb), b1 = v128.load(b + cb, 16);
  let a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
  for (let ky = ky0; ky < ky1; ky++) {
    let xp = x + (<usize>((iy0 + ky) * W + ix0) * 12);
    let wp = w + <usize>(ky * 15) * coutB + cb;
    for (let t = 0; t < 15; t++) {
      const w0 = v128.load(wp), w1 = v128.load(wp, 16);
      const x0 = v128.load_splat<f32>(xp), x1 = v128.load_splat<f32>(xp + 24);
      const x2 = v128.load_splat<f32>(xp + 48), x3 = v128.load_splat<f32>(xp + 72);
      a00 = f32x4.add(a00, f32x4.mul(x0, w0)); a01 = f32x4.add(a01, f32x4.mul(x0, w1));
      a10 = f32x4.add(a10, f32x4.mul(x1, w0)); a11 = f32x4.add(a11, f32x4.mul(x1, w1));
      a20 = f32x4.add(a20, f32x4.mul(x2, w0)); a21 = f32x4.add(a21, f32x4.mul(x2, w1));
      a30 = f32x4.add(a30, f32x4.mul(x3, w0)); a31 = f32x4.add(a31, f32x4.mul(x3, w1));
      xp += 4; wp += coutB;
    }
  }
  const y = yp + cb;
  v128.store(y, actv(a00, act)); v128.store(y, actv(a01, act), 16);
  v128.store(y + coutB, actv(a10, act)); v128.store(y + coutB, actv(a11, act), 16);
  v128.store(y + 2 * coutB, actv(a20, act)); v128.store(y + 2 * coutB, actv(a21, act), 16);
  v128.store(y + 3 * coutB, actv(a30, act)); v128.store(y + 3 * coutB, actv(a31, act), 16);
}

/** See f32_conv5x5s2_c3__scalar for the contract (HWC x with 3 channels, HWIO w, SAME padding). */
export function f32_conv5x5s2_c3__wasmsimd(x: usize, H: i32, W: i32, w: usize, b: usize, y: usize, Cout: i32, act: i32): void {
  const OH = sameOut(H, 2), OW = sameOut(W, 2);
  checkConv5x5s2Args(x, H, W, w, b, y, Cout, act);
  const pt = samePadBefore(H, 5, 2), pl = samePadBefore(W, 5, 2);
  const coutB = <usize>Cout << 2;
  const C8 = Cout & ~7, C4 = Cout & ~3;
  let yp = y;
  for (let oy = 0; oy < OH; oy++) {
    const iy0 = oy * 2 - pt;
    const ky0 = iy0 < 0 ? -iy0 : 0, ky1 = min(5, H - iy0);
    for (let ox = 0; ox < OW; ox++) {
      const ix0 = ox * 2 - pl;
      const kx0 = ix0 < 0 ? -ix0 : 0, kx1 = min(5, W - ix0);
      let co = 0;
      // interior runs of 4 output pixels (all five kx taps inside for each): the block's weights are
      // loaded once per tap for the 4 pixels
      if (kx0 == 0 && ox + 3 < OW && ix0 + 6 + 5 <= W) {
        for (; co < C8; co += 8) tile4x8(x, W, iy0, ix0, ky0, ky1, w, coutB, b, yp, co, act);
        if (co == Cout) { yp += 4 * coutB; ox += 3; continue; }
        // the channel tail of these 4 pixels goes through the 1-pixel path below, pixel by pixel
        for (let p = 0; p < 4; p++) conv5x5s2Channels(x, W, iy0, ix0 + 2 * p, ky0, ky1, 0, 5, w, coutB, b, yp + <usize>p * coutB, co, Cout, act);
        yp += 4 * coutB; ox += 3;
        continue;
      }
      for (; co < C8; co += 8) {
        const cb = <usize>co << 2;
        let a0 = v128.load(b + cb), a1 = v128.load(b + cb, 16);
        for (let ky = ky0; ky < ky1; ky++) {
          const xr = x + (<usize>((iy0 + ky) * W + ix0) * 12);
          const wr = w + <usize>(ky * 15) * coutB + cb;
          for (let kx = kx0; kx < kx1; kx++) {
            let xp = xr + <usize>kx * 12, wp = wr + <usize>(kx * 3) * coutB;
            for (let ci = 0; ci < 3; ci++) {
              const xv = v128.load_splat<f32>(xp);
              a0 = f32x4.add(a0, f32x4.mul(xv, v128.load(wp)));
              a1 = f32x4.add(a1, f32x4.mul(xv, v128.load(wp, 16)));
              xp += 4; wp += coutB;
            }
          }
        }
        v128.store(yp + cb, actv(a0, act));
        v128.store(yp + cb, actv(a1, act), 16);
      }
      for (; co < C4; co += 4) {
        const cb = <usize>co << 2;
        let a0 = v128.load(b + cb);
        for (let ky = ky0; ky < ky1; ky++) {
          const xr = x + (<usize>((iy0 + ky) * W + ix0) * 12);
          const wr = w + <usize>(ky * 15) * coutB + cb;
          for (let kx = kx0; kx < kx1; kx++) {
            let xp = xr + <usize>kx * 12, wp = wr + <usize>(kx * 3) * coutB;
            for (let ci = 0; ci < 3; ci++) {
              a0 = f32x4.add(a0, f32x4.mul(v128.load_splat<f32>(xp), v128.load(wp)));
              xp += 4; wp += coutB;
            }
          }
        }
        v128.store(yp + cb, actv(a0, act));
      }
      conv5x5s2Channels(x, W, iy0, ix0, ky0, ky1, kx0, kx1, w, coutB, b, yp, co, Cout, act);
      yp += coutB;
    }
  }
}
