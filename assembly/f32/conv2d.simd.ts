// f32_conv2d, WebAssembly SIMD variant.
//
// Structure (XNNPACK-style direct convolution, written from scratch):
//   for each (output row oy, block of 8 output channels -- then one block of 4, then a scalar
//   tail of Cout % 4) -- rows outermost, or channel blocks outermost when K*K*Cout > H*W:
//       border pixels (some taps fall in the zero padding)   -> 1 pixel  x block, clipped kx range
//       interior pixels in groups of 4                        -> 4 pixels x block (8 f32x4 accumulators
//                                                                for the 8-wide block)
//       interior tail (OW_interior % 4) and right border     -> 1 pixel  x block
// For an output pixel and one kernel row ky, the (kx, ci) taps read a contiguous run of
// (kx1 - kx0) * Cin input floats and the matching HWIO weights are contiguous with a stride of
// Cout floats, so the two loops are fused into one loop of length L = (kx1 - kx0) * Cin.
// Within a row the channel block is fixed while the row's pixels are swept, so that block's
// weights (K*K*Cin*8 floats, stride Cout) are reused from cache by every pixel tile.
// A 1x1 / stride 1 / pad 0 convolution is run as a single row of H*W pixels.
import { actv } from "./activation.simd";
import { actf } from "./activation";
import { convOut, checkConvArgs } from "./conv2d.common";

/** acc + a * b with two roundings (mul, add) in every build. Not f32x4.relaxed_madd in the relaxed
 *  build: engines fuse it or not (V8 on x86 with FMA does, JavaScriptCore does not), and the face
 *  detector runs on this kernel: a last-bit difference moves its keypoints, hence the aligned crop,
 *  hence the age by hundredths of a year, so one photo would get different ages on Chromium and
 *  Safari. Kept unfused, every build gives the same bits on every engine. */
@inline function madd(a: v128, b: v128, acc: v128): v128 {
  return f32x4.add(acc, f32x4.mul(a, b));
}

@inline function fin(acc: v128, yp: usize, rp: usize, act: i32): void {
  let v = acc;
  if (rp != 0) v = f32x4.add(v, v128.load(rp));
  v128.store(yp, actv(v, act));
}

/** 4 output pixels x 8 output channels; all K taps of each kernel row are inside the input. */
function tile4x8(
  xb: usize, pxStep: usize, rowB: usize, L: i32, nky: i32, wb: usize, wKyB: usize, tapB: usize, coutB: usize,
  bp: usize, yp: usize, rp: usize, act: i32,
): void {
  const bv0 = v128.load(bp), bv1 = v128.load(bp, 16);
  let a00 = bv0, a01 = bv1, a10 = bv0, a11 = bv1, a20 = bv0, a21 = bv1, a30 = bv0, a31 = bv1;
  const px2 = pxStep << 1, px3 = pxStep * 3;
  for (let ky = 0; ky < nky; ky++) {
    let xp = xb, wp = wb;
    for (let i = 0; i < L; i++) {
      const w0 = v128.load(wp), w1 = v128.load(wp, 16);
      const x0 = v128.load_splat<f32>(xp);
      const x1 = v128.load_splat<f32>(xp + pxStep);
      const x2 = v128.load_splat<f32>(xp + px2);
      const x3 = v128.load_splat<f32>(xp + px3);
      a00 = madd(x0, w0, a00); a01 = madd(x0, w1, a01);
      a10 = madd(x1, w0, a10); a11 = madd(x1, w1, a11);
      a20 = madd(x2, w0, a20); a21 = madd(x2, w1, a21);
      a30 = madd(x3, w0, a30); a31 = madd(x3, w1, a31);
      xp += 4; wp += tapB;
    }
    xb += rowB; wb += wKyB;
  }
  const r1 = rp != 0 ? rp + coutB : 0, r2 = rp != 0 ? rp + 2 * coutB : 0, r3 = rp != 0 ? rp + 3 * coutB : 0;
  fin(a00, yp, rp, act); fin(a01, yp + 16, rp != 0 ? rp + 16 : 0, act);
  fin(a10, yp + coutB, r1, act); fin(a11, yp + coutB + 16, r1 != 0 ? r1 + 16 : 0, act);
  fin(a20, yp + 2 * coutB, r2, act); fin(a21, yp + 2 * coutB + 16, r2 != 0 ? r2 + 16 : 0, act);
  fin(a30, yp + 3 * coutB, r3, act); fin(a31, yp + 3 * coutB + 16, r3 != 0 ? r3 + 16 : 0, act);
}

/** 4 output pixels x n (1..4) output channels; all K taps of each kernel row are inside the input.
 *  n < 4 (the channel tail) with packed weights only: the packed block is zero-padded to 8 channels,
 *  so a 4-lane weight load stays inside it and lanes n..3 compute zeros that are never stored. Per
 *  lane the same operations in the same order as px1xn (bias, taps in order, + res, activation), so
 *  the tail equals the HWIO kernel's bit for bit. */
function tile4x4(
  xb: usize, pxStep: usize, rowB: usize, L: i32, nky: i32, wb: usize, wKyB: usize, tapB: usize, coutB: usize,
  bp: usize, yp: usize, rp: usize, act: i32, n: i32,
): void {
  const bv = n == 4 ? v128.load(bp) : loadN(bp, n);
  let a0 = bv, a1 = bv, a2 = bv, a3 = bv;
  const px2 = pxStep << 1, px3 = pxStep * 3;
  for (let ky = 0; ky < nky; ky++) {
    let xp = xb, wp = wb;
    for (let i = 0; i < L; i++) {
      const w0 = v128.load(wp);
      a0 = madd(v128.load_splat<f32>(xp), w0, a0);
      a1 = madd(v128.load_splat<f32>(xp + pxStep), w0, a1);
      a2 = madd(v128.load_splat<f32>(xp + px2), w0, a2);
      a3 = madd(v128.load_splat<f32>(xp + px3), w0, a3);
      xp += 4; wp += tapB;
    }
    xb += rowB; wb += wKyB;
  }
  finN(a0, yp, rp, act, n);
  finN(a1, yp + coutB, rp != 0 ? rp + coutB : 0, act, n);
  finN(a2, yp + 2 * coutB, rp != 0 ? rp + 2 * coutB : 0, act, n);
  finN(a3, yp + 3 * coutB, rp != 0 ? rp + 3 * coutB : 0, act, n);
}

/** Lanes 0..n-1 (n < 4) of the n floats at p, zeros above: a tail block's bias or residual. */
@inline function loadN(p: usize, n: i32): v128 {
  let v = f32x4.replace_lane(f32x4.splat(0), 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** fin for n (1..4) lanes: + residual, activation, lanes 0..n-1 stored. */
@inline function finN(acc: v128, yp: usize, rp: usize, act: i32, n: i32): void {
  if (n == 4) { fin(acc, yp, rp, act); return; }
  let v = acc;
  if (rp != 0) v = f32x4.add(v, loadN(rp, n));
  v = actv(v, act);
  store<f32>(yp, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(yp, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(yp, f32x4.extract_lane(v, 2), 8);
}

/** 1 output pixel x 8 output channels, clipped tap range (L may be shorter than K*Cin).
 *  The tap loop is split even/odd into two accumulator sets to hide add latency. */
function px1x8(
  xb: usize, rowB: usize, L: i32, nky: i32, wb: usize, wKyB: usize, tapB: usize,
  bp: usize, yp: usize, rp: usize, act: i32,
): void {
  let a0 = v128.load(bp), a1 = v128.load(bp, 16);
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  const tapB2 = tapB << 1;
  for (let ky = 0; ky < nky; ky++) {
    let xp = xb, wp = wb;
    let i = 0;
    for (; i + 2 <= L; i += 2) {
      const x0 = v128.load_splat<f32>(xp), x1 = v128.load_splat<f32>(xp, 4);
      const wq = wp + tapB;
      a0 = madd(x0, v128.load(wp), a0);
      a1 = madd(x0, v128.load(wp, 16), a1);
      c0 = madd(x1, v128.load(wq), c0);
      c1 = madd(x1, v128.load(wq, 16), c1);
      xp += 8; wp += tapB2;
    }
    if (i < L) {
      const x0 = v128.load_splat<f32>(xp);
      a0 = madd(x0, v128.load(wp), a0);
      a1 = madd(x0, v128.load(wp, 16), a1);
    }
    xb += rowB; wb += wKyB;
  }
  fin(f32x4.add(a0, c0), yp, rp, act);
  fin(f32x4.add(a1, c1), yp + 16, rp != 0 ? rp + 16 : 0, act);
}

/** 1 output pixel x 4 output channels, clipped tap range. */
function px1x4(
  xb: usize, rowB: usize, L: i32, nky: i32, wb: usize, wKyB: usize, tapB: usize,
  bp: usize, yp: usize, rp: usize, act: i32,
): void {
  let a0 = v128.load(bp);
  let c0 = f32x4.splat(0);
  const tapB2 = tapB << 1;
  for (let ky = 0; ky < nky; ky++) {
    let xp = xb, wp = wb;
    let i = 0;
    for (; i + 2 <= L; i += 2) {
      a0 = madd(v128.load_splat<f32>(xp), v128.load(wp), a0);
      c0 = madd(v128.load_splat<f32>(xp, 4), v128.load(wp + tapB), c0);
      xp += 8; wp += tapB2;
    }
    if (i < L) a0 = madd(v128.load_splat<f32>(xp), v128.load(wp), a0);
    xb += rowB; wb += wKyB;
  }
  fin(f32x4.add(a0, c0), yp, rp, act);
}

/** 1 output pixel x n (< 4) output channels, scalar, clipped tap range. */
function px1xn(
  xb: usize, rowB: usize, L: i32, nky: i32, wb: usize, wKyB: usize, tapB: usize,
  bp: usize, yp: usize, rp: usize, act: i32, n: i32,
): void {
  for (let c = 0; c < n; c++) {
    const co4 = <usize>c << 2;
    let acc = load<f32>(bp + co4);
    let xr = xb, wr = wb + co4;
    for (let ky = 0; ky < nky; ky++) {
      let xp = xr, wp = wr;
      for (let i = 0; i < L; i++) {
        acc += load<f32>(xp) * load<f32>(wp);
        xp += 4; wp += tapB;
      }
      xr += rowB; wr += wKyB;
    }
    if (rp != 0) acc += load<f32>(rp + co4);
    store<f32>(yp + co4, actf(acc, act));
  }
}

/**
 * y = act(conv2d(x, w) + b + res), SIMD (f32x4) variant. ABI: docs/kernels.md `f32_conv2d`.
 *
 * - x: H x W x Cin f32 (HWC). w: K x K x Cin x Cout f32 (HWIO, Cout fastest). b: Cout f32.
 *   y: OH x OW x Cout f32. res: 0 or OH x OW x Cout f32 (may equal y; must not partially overlap).
 *   All pointers are byte offsets; sizes are element counts. OH/OW = floor((H|W + 2 pad - K) / stride) + 1.
 * - K in {1, 3}, stride in {1, 2}, pad in {0, 1} (zero padding); act 0..3. y must not alias x.
 * - Alignment: only 4-byte alignment is required (v128 loads/stores carry an alignment hint only);
 *   16-byte aligned buffers (the arena's guarantee) are faster. Debug builds assert 4-byte
 *   alignment, bounds and argument ranges.
 * - Tails: any Cin, Cout >= 1. Cout is tiled 8, then 4, then a scalar tail of Cout % 4 channels
 *   (the packed kernel runs the tail's interior pixels as 4-pixel tiles of one 4-lane block, storing
 *   Cout % 4 lanes: its weight block is zero-padded);
 *   output pixels are tiled 4 per row (interior only), single-pixel code handles the padded
 *   border and the OW % 4 tail. No load or store ever touches memory outside the buffers.
 * - Accumulation: f32, starting from the bias, taps summed in (ky, kx, ci) order (single-pixel
 *   tiles split even/odd taps), then + res, then the activation; unfused in every build (see madd).
 */
export function f32_conv2d__wasmsimd(
  x: usize, H: i32, W: i32, Cin: i32, w: usize, b: usize, y: usize, Cout: i32,
  K: i32, stride: i32, pad: i32, act: i32, res: usize,
): void {
  checkConvArgs(x, H, W, Cin, w, b, y, Cout, K, stride, pad, act, res, false);
  conv(x, H, W, Cin, w, b, y, Cout, K, stride, pad, act, res, false);
}

/**
 * The same convolution with weights packed [ceil(Cout/8)][K][K][Cin][8] (src/quant.ts
 * packF32Weights; the tail block zero-padded): each 8-channel block's weights are one contiguous
 * stream, read with a 32-byte tap stride instead of HWIO's 4 * Cout, which is what deep layers
 * (Cout 256-512 on 8x8-16x16 maps) need. Same traversal, tiles and summation order as
 * `f32_conv2d`, so the two give identical results.
 */
export function f32_conv2d_packed__wasmsimd(
  x: usize, H: i32, W: i32, Cin: i32, w: usize, b: usize, y: usize, Cout: i32,
  K: i32, stride: i32, pad: i32, act: i32, res: usize,
): void {
  checkConvArgs(x, H, W, Cin, w, b, y, Cout, K, stride, pad, act, res, true);
  conv(x, H, W, Cin, w, b, y, Cout, K, stride, pad, act, res, true);
}

@inline function conv(
  x: usize, H: i32, W: i32, Cin: i32, w: usize, b: usize, y: usize, Cout: i32,
  K: i32, stride: i32, pad: i32, act: i32, res: usize, packed: bool,
): void {
  let OH = convOut(H, K, stride, pad), OW = convOut(W, K, stride, pad);
  if (OH <= 0 || OW <= 0) return;
  if (K == 1 && stride == 1 && pad == 0) { W = H * W; H = 1; OW = W; OH = 1; }
  let oxLo = min((pad + stride - 1) / stride, OW);
  let oxHi = W - K + pad >= 0 ? min((W - K + pad) / stride + 1, OW) : 0;
  if (oxHi < oxLo) oxHi = oxLo;
  // Loop order: when the weights outweigh the input (deep layers on small maps, K*K*Cout > H*W),
  // channel blocks go outermost so each block's weights are read from memory once and stay
  // cache-resident over all rows; otherwise rows go outermost so the K input rows a row needs
  // stay in L1 while every channel block sweeps them.
  if (K * K * Cout > H * W) {
    let co = 0;
    while (co < Cout) {
      const cw = blockWidth(co, Cout);
      for (let oy = 0; oy < OH; oy++) convRowBlock(x, H, W, Cin, w, b, y, Cout, K, stride, pad, act, res, OW, oxLo, oxHi, oy, co, cw, packed);
      co += cw;
    }
  } else {
    for (let oy = 0; oy < OH; oy++) {
      let co = 0;
      while (co < Cout) {
        const cw = blockWidth(co, Cout);
        convRowBlock(x, H, W, Cin, w, b, y, Cout, K, stride, pad, act, res, OW, oxLo, oxHi, oy, co, cw, packed);
        co += cw;
      }
    }
  }
}

/** Output-channel block width at channel co: 8 while 8 remain, then 4, then the scalar tail (< 4). */
@inline function blockWidth(co: i32, Cout: i32): i32 {
  const left = Cout - co;
  return left >= 8 ? 8 : (left >= 4 ? 4 : left);
}

/** One output row oy x one channel block [co, co + cw): border pixels one at a time, interior
 *  pixels in tiles of 4 (for the scalar channel tail, cw < 4, with packed weights only), interior
 *  tail one at a time. `packed`: weights in the
 *  [Cout/8][K][K][Cin][8] layout (tap stride 32 bytes) instead of HWIO (tap stride 4 Cout bytes). */
function convRowBlock(
  x: usize, H: i32, W: i32, Cin: i32, w: usize, b: usize, y: usize, Cout: i32,
  K: i32, stride: i32, pad: i32, act: i32, res: usize, OW: i32, oxLo: i32, oxHi: i32,
  oy: i32, co: i32, cw: i32, packed: bool,
): void {
  const cinB = <usize>Cin << 2, coutB = <usize>Cout << 2;
  const rowB = <usize>W * cinB;
  const pxStep = <usize>stride * cinB;
  const tapB: usize = packed ? 32 : coutB;
  const wKyB = <usize>(K * Cin) * tapB;
  const LK = K * Cin;
  const iy0 = oy * stride - pad;
  const ky0 = max(0, -iy0), ky1 = min(K, H - iy0);
  const nky = ky1 - ky0;
  const xRow = x + <usize>((iy0 + ky0) * W) * cinB;      // input row iy0 + ky0, column 0
  const coB = <usize>co << 2;
  // weights at (ky0, kx 0, ci 0) of channel co
  const wRow = packed
    ? w + <usize>(co >> 3) * (<usize>(K * K * Cin) << 5) + <usize>(ky0 * K * Cin) * tapB + (<usize>(co & 7) << 2)
    : w + <usize>(ky0 * K * Cin) * tapB + coB;
  const yRow = y + <usize>(oy * OW) * coutB + coB;
  const rRow = res != 0 ? res + <usize>(oy * OW) * coutB + coB : 0;
  const bp = b + coB;
  let ox = 0;
  while (ox < OW) {
    const yp = yRow + <usize>ox * coutB;
    const rp = rRow != 0 ? rRow + <usize>ox * coutB : 0;
    const ix0 = ox * stride - pad;
    if ((cw >= 4 || packed) && ox >= oxLo && ox + 4 <= oxHi) {
      const xb = xRow + <usize>ix0 * cinB;
      if (cw == 8) tile4x8(xb, pxStep, rowB, LK, nky, wRow, wKyB, tapB, coutB, bp, yp, rp, act);
      else tile4x4(xb, pxStep, rowB, LK, nky, wRow, wKyB, tapB, coutB, bp, yp, rp, act, cw);
      ox += 4;
      continue;
    }
    const kx0 = max(0, -ix0), kx1 = min(K, W - ix0);
    const L = (kx1 - kx0) * Cin;
    const xb = xRow + <usize>(ix0 + kx0) * cinB;
    const wb = wRow + <usize>(kx0 * Cin) * tapB;
    if (cw == 8) px1x8(xb, rowB, L, nky, wb, wKyB, tapB, bp, yp, rp, act);
    else if (cw == 4) px1x4(xb, rowB, L, nky, wb, wKyB, tapB, bp, yp, rp, act);
    else px1xn(xb, rowB, L, nky, wb, wKyB, tapB, bp, yp, rp, act, cw);
    ox++;
  }
}
