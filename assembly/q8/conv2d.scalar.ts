// qs8_conv2d and qs8_quantize, scalar variants (no SIMD): the int8 reference twins of the SIMD and
// relaxed-SIMD kernels. Same packed layouts, same exact i32 accumulation, same f32 epilogue, so the
// three builds give bit-identical outputs (docs/kernels.md "int8").
// The driver (argument checks, loop order, the per-row pixel loop) is `qconv2d` in conv2d.common.ts,
// shared with the SIMD builds; here the register tile is 1 pixel x 8 channels in 8 i32 locals.
import { qconv2d, qepi1, quant1, checkQuantArgs } from "./conv2d.common";

/** Register tile of the scalar build: the type argument of `qconv2d` (conv2d.common.ts), never instantiated. */
@final @unmanaged class ScalarTiles {
  /** No wide tile: every pixel is a `tile1`. */
  @inline get width(): i32 { return 1; }

  /** 1 pixel x 8 channels (a0..a7: channels co .. co+7, the first n real), one quad of 4 codes at a time. */
  tile1(
    xb: usize, rowB: usize, nQ: i32, K: i32, wb: usize, kyB: usize,
    co: i32, n: i32, opix: i32, Cout: i32, ms: usize, bias: usize, act: i32, res: usize, y: usize,
    yqp: usize, yInv: f32, yOff: f32,
  ): void {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    for (let ky = 0; ky < K; ky++) {
      let xp = xb + <usize>ky * rowB, wp = wb + <usize>ky * kyB;
      for (let q = 0; q < nQ; q++) {
        const x0 = <i32>load<i8>(xp), x1 = <i32>load<i8>(xp, 1), x2 = <i32>load<i8>(xp, 2), x3 = <i32>load<i8>(xp, 3);
        a0 += x0 * <i32>load<i8>(wp, 0) + x1 * <i32>load<i8>(wp, 1) + x2 * <i32>load<i8>(wp, 2) + x3 * <i32>load<i8>(wp, 3);
        a1 += x0 * <i32>load<i8>(wp, 4) + x1 * <i32>load<i8>(wp, 5) + x2 * <i32>load<i8>(wp, 6) + x3 * <i32>load<i8>(wp, 7);
        a2 += x0 * <i32>load<i8>(wp, 8) + x1 * <i32>load<i8>(wp, 9) + x2 * <i32>load<i8>(wp, 10) + x3 * <i32>load<i8>(wp, 11);
        a3 += x0 * <i32>load<i8>(wp, 12) + x1 * <i32>load<i8>(wp, 13) + x2 * <i32>load<i8>(wp, 14) + x3 * <i32>load<i8>(wp, 15);
        a4 += x0 * <i32>load<i8>(wp, 16) + x1 * <i32>load<i8>(wp, 17) + x2 * <i32>load<i8>(wp, 18) + x3 * <i32>load<i8>(wp, 19);
        a5 += x0 * <i32>load<i8>(wp, 20) + x1 * <i32>load<i8>(wp, 21) + x2 * <i32>load<i8>(wp, 22) + x3 * <i32>load<i8>(wp, 23);
        a6 += x0 * <i32>load<i8>(wp, 24) + x1 * <i32>load<i8>(wp, 25) + x2 * <i32>load<i8>(wp, 26) + x3 * <i32>load<i8>(wp, 27);
        a7 += x0 * <i32>load<i8>(wp, 28) + x1 * <i32>load<i8>(wp, 29) + x2 * <i32>load<i8>(wp, 30) + x3 * <i32>load<i8>(wp, 31);
        xp += 4; wp += 32;
      }
    }
    qepi1(a0, co, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
    if (n > 1) qepi1(a1, co + 1, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
    if (n > 2) qepi1(a2, co + 2, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
    if (n > 3) qepi1(a3, co + 3, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
    if (n > 4) qepi1(a4, co + 4, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
    if (n > 5) qepi1(a5, co + 5, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
    if (n > 6) qepi1(a6, co + 6, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
    if (n > 7) qepi1(a7, co + 7, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
  }
}

/**
 * Quantised convolution, scalar variant. ABI: docs/kernels.md `qs8_conv2d`.
 * A valid convolution over an Hi x Wi region of u7 codes (row pitch xW pixels, Cs bytes per
 * pixel; the caller stores zero padding around the tensor), weights packed
 * [ceil(Cout/8)][K][K*Cs/4][8][4] i8, i32 accumulation, then per element
 * act(f32(acc) * ms[co] + b[co] + res) -> y (f32, dense OH x OW x Cout) and/or
 * code nearest((v - yOff) * yInv) clamped to 0..127 -> yq (row pitch yW pixels, yCs bytes per pixel).
 */
export function qs8_conv2d__scalar(
  xq: usize, Hi: i32, Wi: i32, xW: i32, Cs: i32, wq: usize, Cout: i32, K: i32, stride: i32,
  ms: usize, bias: usize, act: i32, res: usize, y: usize,
  yq: usize, yW: i32, yCs: i32, yInv: f32, yOff: f32,
): void {
  qconv2d<ScalarTiles>(xq, Hi, Wi, xW, Cs, wq, Cout, K, stride, ms, bias, act, res, y, yq, yW, yCs, yInv, yOff);
}

/**
 * f32 HWC (H x W x C, dense) -> u7 codes at yq (row pitch yW pixels, yCs bytes per pixel):
 * q = nearest((x - off) * inv) clamped to 0..127. Bytes yq[c] for c >= C are not touched.
 */
export function qs8_quantize__scalar(x: usize, H: i32, W: i32, C: i32, yq: usize, yW: i32, yCs: i32, inv: f32, off: f32): void {
  checkQuantArgs(x, H, W, C, yq, yW, yCs);
  for (let iy = 0; iy < H; iy++) {
    for (let ix = 0; ix < W; ix++) {
      const xp = x + (<usize>(iy * W + ix) * <usize>C << 2);
      const qp = yq + <usize>(iy * yW + ix) * <usize>yCs;
      for (let c = 0; c < C; c++) store<i8>(qp + <usize>c, <i8>quant1(load<f32>(xp + (<usize>c << 2)), inv, off));
    }
  }
}
