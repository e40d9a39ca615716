// qs8_conv2d and qs8_quantize, WebAssembly SIMD variant (build/daa.simd.wasm).
//
// Reduction: per output pixel and kernel row ky, the taps (kx, ci) are one contiguous run of
// K * Cs code bytes (the input is stored padded, so every pixel is "interior"). Weights are packed
// [block of 8 co][ky][quad of 4 reduction bytes][8 co][4] (src/quant.ts packQ8Weights). One quad:
//   x  = i16x8.extend_low_i8x16_s(v128.load32_splat(xp))       -> (x0 x1 x2 x3 x0 x1 x2 x3) i16
//   wj = v128.load8x8_s(wp + 8 j)                              -> (co 2j: r0..r3, co 2j+1: r0..r3) i16
//   i32x4.dot_i16x8_s(x, wj)                                   -> (2j: r0r1, 2j: r2r3, 2j+1: r0r1, 2j+1: r2r3)
// so one accumulator holds two channels split in halves; they are added pairwise once per output.
// Codes are u7 (0..127) and weights -127..127, so each i16 pair sum is at most 32258: exact.
// Tile: 2 pixels x 8 channels (8 i32x4 accumulators, 4 weight vectors reused by both pixels),
// then a 1-pixel tail. The driver (argument checks, loop order -- channel blocks outermost when the
// weights outweigh the input -- and the per-row pixel loop) is `qconv2d` in conv2d.common.ts; this
// file holds only the register tiles (class SimdTiles).
import { qconv2d, quant1, checkQuantArgs } from "./conv2d.common";
import { qepi8 } from "./epilogue.simd";

/** (a lanes 0+1, a lanes 2+3, b lanes 0+1, b lanes 2+3): the 4 channels of two split accumulators. */
@inline function hsum2(a: v128, b: v128): v128 {
  return i32x4.add(i32x4.shuffle(a, b, 0, 2, 4, 6), i32x4.shuffle(a, b, 1, 3, 5, 7));
}

/** Register tiles of the SIMD build: the type argument of `qconv2d` (conv2d.common.ts), never instantiated. */
@final @unmanaged class SimdTiles {
  @inline get width(): i32 { return 2; }

  /** 2 pixels (xb, xb + pxStep) x 8 channels: 8 i32x4 accumulators, 4 weight vectors per quad. */
  tileN(
    xb: usize, pxStep: usize, rowB: usize, nQ: i32, K: i32, wb: usize, kyB: usize,
    co: i32, n: i32, opix: i32, Cout: i32, ms: usize, bias: usize, act: i32, res: usize, y: usize,
    yqp: usize, yqStep: usize, yInv: f32, yOff: f32,
  ): void {
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    let b0 = i32x4.splat(0), b1 = i32x4.splat(0), b2 = i32x4.splat(0), b3 = i32x4.splat(0);
    for (let ky = 0; ky < K; ky++) {
      let xp = xb + <usize>ky * rowB, wp = wb + <usize>ky * kyB;
      for (let q = 0; q < nQ; q++) {
        const x0 = i16x8.extend_low_i8x16_s(v128.load32_splat(xp));
        const x1 = i16x8.extend_low_i8x16_s(v128.load32_splat(xp + pxStep));
        const w0 = v128.load8x8_s(wp), w1 = v128.load8x8_s(wp, 8), w2 = v128.load8x8_s(wp, 16), w3 = v128.load8x8_s(wp, 24);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(x0, w0)); b0 = i32x4.add(b0, i32x4.dot_i16x8_s(x1, w0));
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(x0, w1)); b1 = i32x4.add(b1, i32x4.dot_i16x8_s(x1, w1));
        a2 = i32x4.add(a2, i32x4.dot_i16x8_s(x0, w2)); b2 = i32x4.add(b2, i32x4.dot_i16x8_s(x1, w2));
        a3 = i32x4.add(a3, i32x4.dot_i16x8_s(x0, w3)); b3 = i32x4.add(b3, i32x4.dot_i16x8_s(x1, w3));
        xp += 4; wp += 32;
      }
    }
    qepi8(hsum2(a0, a1), hsum2(a2, a3), co, n, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
    qepi8(hsum2(b0, b1), hsum2(b2, b3), co, n, opix + 1, Cout, ms, bias, act, res, y, yqp != 0 ? yqp + yqStep : 0, yInv, yOff);
  }

  /** 1 pixel x 8 channels: 4 accumulators (the tail of a row of odd width). */
  tile1(
    xb: usize, rowB: usize, nQ: i32, K: i32, wb: usize, kyB: usize,
    co: i32, n: i32, opix: i32, Cout: i32, ms: usize, bias: usize, act: i32, res: usize, y: usize,
    yqp: usize, yInv: f32, yOff: f32,
  ): void {
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    for (let ky = 0; ky < K; ky++) {
      let xp = xb + <usize>ky * rowB, wp = wb + <usize>ky * kyB;
      for (let q = 0; q < nQ; q++) {
        const x0 = i16x8.extend_low_i8x16_s(v128.load32_splat(xp));
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(x0, v128.load8x8_s(wp)));
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(x0, v128.load8x8_s(wp, 8)));
        a2 = i32x4.add(a2, i32x4.dot_i16x8_s(x0, v128.load8x8_s(wp, 16)));
        a3 = i32x4.add(a3, i32x4.dot_i16x8_s(x0, v128.load8x8_s(wp, 24)));
        xp += 4; wp += 32;
      }
    }
    qepi8(hsum2(a0, a1), hsum2(a2, a3), co, n, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
  }
}

/** Quantised convolution, SIMD variant. Same ABI and bit-identical results as `qs8_conv2d__scalar`. */
export function qs8_conv2d__wasmsimd(
  xq: usize, Hi: i32, Wi: i32, xW: i32, Cs: i32, wq: usize, Cout: i32, K: i32, stride: i32,
  ms: usize, bias: usize, act: i32, res: usize, y: usize,
  yq: usize, yW: i32, yCs: i32, yInv: f32, yOff: f32,
): void {
  qconv2d<SimdTiles>(xq, Hi, Wi, xW, Cs, wq, Cout, K, stride, ms, bias, act, res, y, yq, yW, yCs, yInv, yOff);
}

/** f32 -> u7 codes, SIMD variant (4 channels at a time, scalar tail); bit-identical to the scalar twin. */
export function qs8_quantize__wasmsimd(x: usize, H: i32, W: i32, C: i32, yq: usize, yW: i32, yCs: i32, inv: f32, off: f32): void {
  checkQuantArgs(x, H, W, C, yq, yW, yCs);
  const vi = f32x4.splat(inv), vo = f32x4.splat(off), lo = f32x4.splat(0.0), hi = f32x4.splat(127.0);
  for (let iy = 0; iy < H; iy++) {
    for (let ix = 0; ix < W; ix++) {
      const xp = x + (<usize>(iy * W + ix) * <usize>C << 2);
      const qp = yq + <usize>(iy * yW + ix) * <usize>yCs;
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        let q = f32x4.nearest(f32x4.mul(f32x4.sub(v128.load(xp + (<usize>c << 2)), vo), vi));
        const qi = i32x4.trunc_sat_f32x4_s(f32x4.pmin(hi, f32x4.pmax(lo, q)));
        const q16 = i16x8.narrow_i32x4_s(qi, qi);
        v128.store32_lane(qp + <usize>c, i8x16.narrow_i16x8_s(q16, q16), 0);
      }
      for (; c < C; c++) store<i8>(qp + <usize>c, <i8>quant1(load<f32>(xp + (<usize>c << 2)), inv, off));
    }
  }
}
