// qs8_conv2d, relaxed-SIMD variant (build/daa.relaxed.wasm only; compiled with --enable relaxed-simd).
//
// One quad of 4 reduction bytes for 4 channels is a single instruction:
//   acc = i32x4.relaxed_dot_i8x16_i7x16_add_s(w, x, acc)
// with w = v128.load(wp) (4 channels x 4 bytes, packed as for the SIMD build) and
// x = v128.load32_splat(xp) (the pixel's 4 codes in every lane). The instruction is only
// deterministic when the second operand's bytes have their top bit clear (engines may read them as
// signed or unsigned) and when the i16 pair sums cannot saturate: activation codes are u7
// (0..127, guaranteed by the quantiser's clamp, the zero border and zero channel padding) and
// weights are -127..127, so every pair sum is at most 2 * 127 * 127 = 32258 < 32767 and the result
// is the exact i32 dot product on every engine: bit-identical to the simd and scalar builds.
// Tile: 4 pixels x 8 channels (8 accumulators, 2 weight vectors per quad), 1-pixel tail. The
// driver (argument checks, loop order, the per-row pixel loop and its tail) is `qconv2d` in
// conv2d.common.ts, shared with the simd and scalar builds; this file holds only the register tiles
// (class RelaxedTiles) and the dot instruction.
import { qconv2d } from "./conv2d.common";
import { qepi8 } from "./epilogue.simd";

@inline function dot(w: v128, x: v128, acc: v128): v128 {
  return i32x4.relaxed_dot_i8x16_i7x16_add_s(w, x, acc);
}

/** Register tiles of the relaxed build: the type argument of `qconv2d` (conv2d.common.ts), never instantiated. */
@final @unmanaged class RelaxedTiles {
  @inline get width(): i32 { return 4; }

  /** 4 pixels (xb + i * pxStep) x 8 channels: 8 accumulators, 2 weight vectors per quad. */
  tileN(
    xb: usize, pxStep: usize, rowB: usize, nQ: i32, K: i32, wb: usize, kyB: usize,
    co: i32, n: i32, opix: i32, Cout: i32, ms: usize, bias: usize, act: i32, res: usize, y: usize,
    yqp: usize, yqStep: usize, yInv: f32, yOff: f32,
  ): void {
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), b0 = i32x4.splat(0), b1 = i32x4.splat(0);
    let c0 = i32x4.splat(0), c1 = i32x4.splat(0), d0 = i32x4.splat(0), d1 = i32x4.splat(0);
    const px2 = pxStep << 1, px3 = pxStep * 3;
    for (let ky = 0; ky < K; ky++) {
      let xp = xb + <usize>ky * rowB, wp = wb + <usize>ky * kyB;
      for (let q = 0; q < nQ; q++) {
        const w0 = v128.load(wp), w1 = v128.load(wp, 16);
        const x0 = v128.load32_splat(xp), x1 = v128.load32_splat(xp + pxStep);
        const x2 = v128.load32_splat(xp + px2), x3 = v128.load32_splat(xp + px3);
        a0 = dot(w0, x0, a0); a1 = dot(w1, x0, a1);
        b0 = dot(w0, x1, b0); b1 = dot(w1, x1, b1);
        c0 = dot(w0, x2, c0); c1 = dot(w1, x2, c1);
        d0 = dot(w0, x3, d0); d1 = dot(w1, x3, d1);
        xp += 4; wp += 32;
      }
    }
    qepi8(a0, a1, co, n, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
    qepi8(b0, b1, co, n, opix + 1, Cout, ms, bias, act, res, y, yqp != 0 ? yqp + yqStep : 0, yInv, yOff);
    qepi8(c0, c1, co, n, opix + 2, Cout, ms, bias, act, res, y, yqp != 0 ? yqp + 2 * yqStep : 0, yInv, yOff);
    qepi8(d0, d1, co, n, opix + 3, Cout, ms, bias, act, res, y, yqp != 0 ? yqp + 3 * yqStep : 0, yInv, yOff);
  }

  /** 1 pixel x 8 channels: 2 accumulators (the row tail, up to 3 pixels). */
  tile1(
    xb: usize, rowB: usize, nQ: i32, K: i32, wb: usize, kyB: usize,
    co: i32, n: i32, opix: i32, Cout: i32, ms: usize, bias: usize, act: i32, res: usize, y: usize,
    yqp: usize, yInv: f32, yOff: f32,
  ): void {
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0);
    for (let ky = 0; ky < K; ky++) {
      let xp = xb + <usize>ky * rowB, wp = wb + <usize>ky * kyB;
      for (let q = 0; q < nQ; q++) {
        const x0 = v128.load32_splat(xp);
        a0 = dot(v128.load(wp), x0, a0);
        a1 = dot(v128.load(wp, 16), x0, a1);
        xp += 4; wp += 32;
      }
    }
    qepi8(a0, a1, co, n, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
  }
}

/** Quantised convolution, relaxed-SIMD variant. Same ABI and bit-identical results as `qs8_conv2d__scalar`. */
export function qs8_conv2d__relaxed(
  xq: usize, Hi: i32, Wi: i32, xW: i32, Cs: i32, wq: usize, Cout: i32, K: i32, stride: i32,
  ms: usize, bias: usize, act: i32, res: usize, y: usize,
  yq: usize, yW: i32, yCs: i32, yInv: f32, yOff: f32,
): void {
  qconv2d<RelaxedTiles>(xq, Hi, Wi, xW, Cs, wq, Cout, K, stride, ms, bias, act, res, y, yq, yW, yCs, yInv, yOff);
}
