// f32_conv3x3_winograd, WebAssembly SIMD variant: valid 3x3 / stride 1 convolution by Winograd
// F(2x2, 3x3) (src/winograd.ts has the transform matrices and packs the weights).
//
// Output tiles are 2x2 pixels; a tile reads a 4x4 input patch (rows 2 ty .. 2 ty + 3, columns
// 2 tx .. 2 tx + 3; rows / columns past the input read as zero, their outputs are not stored).
// Tiles go in groups of 4 along a tile row:
//   1. input transform: V[xi][t][ci] = (B^T d B)[xi] for the group's tiles, f32x4 over ci;
//   2. for each block of 8 output channels and each of the 16 positions xi, a 4 (tiles) x 8
//      (channels) register tile sums V[xi][t][ci] * U[xi][ci][co] over ci (8 f32x4 accumulators,
//      the tile of f32_conv2d) into M[xi][t][co];
//   3. output transform: y = A^T M A per tile and group of 4 channels, + bias (+ res), activation.
// Scratch ws holds V ([16][4][Cin]) and M ([16][4][Cout rounded up to 8]). Cin and Cout must be
// multiples of 4 (the graph uses f32_conv2d otherwise).
import { actv } from "./activation.simd";
import { checkWinoArgs } from "./winograd.common";

/** acc + a * b, unfused in every build: the same bits on every engine (f32/conv2d.simd.ts's madd says why). */
@inline function madd(a: v128, b: v128, acc: v128): v128 {
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** Input transform of one tile for channels [ci, ci + 4): rows r of the 4x4 patch start at
 *  p + r * rowB, pixels are cinB apart; rows >= nr and columns >= nc read as zero. Writes the 16
 *  transformed vectors to vp + xi * vStep. */
@inline function inTransform(p: usize, rowB: usize, cinB: usize, nr: i32, nc: i32, vp: usize, vStep: usize): void {
  const z = f32x4.splat(0);
  // e[r][c] = (B^T d)[r][c]: d0 - d2, d1 + d2, d2 - d1, d1 - d3 down each column
  let e00 = z, e01 = z, e02 = z, e03 = z, e10 = z, e11 = z, e12 = z, e13 = z;
  let e20 = z, e21 = z, e22 = z, e23 = z, e30 = z, e31 = z, e32 = z, e33 = z;
  if (nr == 4 && nc == 4) {
    const c1 = cinB, c2 = cinB << 1, c3 = cinB * 3;
    const r0 = p, r1 = p + rowB, r2 = p + 2 * rowB, r3 = p + 3 * rowB;
    let d0 = v128.load(r0), d1 = v128.load(r1), d2 = v128.load(r2), d3 = v128.load(r3);
    e00 = f32x4.sub(d0, d2); e10 = f32x4.add(d1, d2); e20 = f32x4.sub(d2, d1); e30 = f32x4.sub(d1, d3);
    d0 = v128.load(r0 + c1); d1 = v128.load(r1 + c1); d2 = v128.load(r2 + c1); d3 = v128.load(r3 + c1);
    e01 = f32x4.sub(d0, d2); e11 = f32x4.add(d1, d2); e21 = f32x4.sub(d2, d1); e31 = f32x4.sub(d1, d3);
    d0 = v128.load(r0 + c2); d1 = v128.load(r1 + c2); d2 = v128.load(r2 + c2); d3 = v128.load(r3 + c2);
    e02 = f32x4.sub(d0, d2); e12 = f32x4.add(d1, d2); e22 = f32x4.sub(d2, d1); e32 = f32x4.sub(d1, d3);
    d0 = v128.load(r0 + c3); d1 = v128.load(r1 + c3); d2 = v128.load(r2 + c3); d3 = v128.load(r3 + c3);
    e03 = f32x4.sub(d0, d2); e13 = f32x4.add(d1, d2); e23 = f32x4.sub(d2, d1); e33 = f32x4.sub(d1, d3);
  } else {
    // edge tile: the same sums over the rows / columns that exist
    for (let c = 0; c < 4; c++) {
      let d0 = z, d1 = z, d2 = z, d3 = z;
      if (c < nc) {
        const q = p + <usize>c * cinB;
        d0 = v128.load(q);
        if (nr > 1) d1 = v128.load(q + rowB);
        if (nr > 2) d2 = v128.load(q + 2 * rowB);
        if (nr > 3) d3 = v128.load(q + 3 * rowB);
      }
      const a0 = f32x4.sub(d0, d2), a1 = f32x4.add(d1, d2), a2 = f32x4.sub(d2, d1), a3 = f32x4.sub(d1, d3);
      if (c == 0) { e00 = a0; e10 = a1; e20 = a2; e30 = a3; }
      else if (c == 1) { e01 = a0; e11 = a1; e21 = a2; e31 = a3; }
      else if (c == 2) { e02 = a0; e12 = a1; e22 = a2; e32 = a3; }
      else { e03 = a0; e13 = a1; e23 = a2; e33 = a3; }
    }
  }
  // V[r][c] = (e B)[r][c]: e0 - e2, e1 + e2, e2 - e1, e1 - e3 along each row
  v128.store(vp, f32x4.sub(e00, e02)); v128.store(vp + vStep, f32x4.add(e01, e02));
  v128.store(vp + 2 * vStep, f32x4.sub(e02, e01)); v128.store(vp + 3 * vStep, f32x4.sub(e01, e03));
  v128.store(vp + 4 * vStep, f32x4.sub(e10, e12)); v128.store(vp + 5 * vStep, f32x4.add(e11, e12));
  v128.store(vp + 6 * vStep, f32x4.sub(e12, e11)); v128.store(vp + 7 * vStep, f32x4.sub(e11, e13));
  v128.store(vp + 8 * vStep, f32x4.sub(e20, e22)); v128.store(vp + 9 * vStep, f32x4.add(e21, e22));
  v128.store(vp + 10 * vStep, f32x4.sub(e22, e21)); v128.store(vp + 11 * vStep, f32x4.sub(e21, e23));
  v128.store(vp + 12 * vStep, f32x4.sub(e30, e32)); v128.store(vp + 13 * vStep, f32x4.add(e31, e32));
  v128.store(vp + 14 * vStep, f32x4.sub(e32, e31)); v128.store(vp + 15 * vStep, f32x4.sub(e31, e33));
}

/** M[xi][t][co .. co + 8) for the 4 tiles of a group (tile stride mT bytes): 8 accumulators over
 *  Cin; V[xi][t][ci] is splat per tile (tile stride cinB), U[xi][ci][8] streams 32 bytes per ci. */
function gemm4x8(vp: usize, cinB: usize, Cin: i32, up: usize, mp: usize, mT: usize): void {
  const z = f32x4.splat(0);
  let a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
  const c2 = cinB << 1, c3 = cinB * 3;
  let v0 = vp, wp = up;
  for (let ci = 0; ci < Cin; ci++) {
    const w0 = v128.load(wp), w1 = v128.load(wp, 16);
    const x0 = v128.load_splat<f32>(v0);
    const x1 = v128.load_splat<f32>(v0 + cinB);
    const x2 = v128.load_splat<f32>(v0 + c2);
    const x3 = v128.load_splat<f32>(v0 + c3);
    a00 = madd(x0, w0, a00); a01 = madd(x0, w1, a01);
    a10 = madd(x1, w0, a10); a11 = madd(x1, w1, a11);
    a20 = madd(x2, w0, a20); a21 = madd(x2, w1, a21);
    a30 = madd(x3, w0, a30); a31 = madd(x3, w1, a31);
    v0 += 4; wp += 32;
  }
  v128.store(mp, a00); v128.store(mp, a01, 16);
  v128.store(mp + mT, a10); v128.store(mp + mT, a11, 16);
  v128.store(mp + 2 * mT, a20); v128.store(mp + 2 * mT, a21, 16);
  v128.store(mp + 3 * mT, a30); v128.store(mp + 3 * mT, a31, 16);
}

@inline function epi(v: v128, bv: v128, yp: usize, rp: usize, act: i32): void {
  let o = f32x4.add(v, bv);
  if (rp != 0) o = f32x4.add(o, v128.load(rp));
  v128.store(yp, actv(o, act));
}

/** Output transform of one tile for channels [co, co + 4): m[xi] at mp + xi * mXi; writes the
 *  tile's outputs that exist (nr rows, nc columns of 2) at yp (row stride yRowB, pixel coutB). */
@inline function outTransform(mp: usize, mXi: usize, bv: v128, yp: usize, rp: usize, yRowB: usize, coutB: usize, nr: i32, nc: i32, act: i32): void {
  // s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 down each column c (m rows r = xi / 4)
  const m00 = v128.load(mp), m01 = v128.load(mp + mXi), m02 = v128.load(mp + 2 * mXi), m03 = v128.load(mp + 3 * mXi);
  const m10 = v128.load(mp + 4 * mXi), m11 = v128.load(mp + 5 * mXi), m12 = v128.load(mp + 6 * mXi), m13 = v128.load(mp + 7 * mXi);
  const m20 = v128.load(mp + 8 * mXi), m21 = v128.load(mp + 9 * mXi), m22 = v128.load(mp + 10 * mXi), m23 = v128.load(mp + 11 * mXi);
  const m30 = v128.load(mp + 12 * mXi), m31 = v128.load(mp + 13 * mXi), m32 = v128.load(mp + 14 * mXi), m33 = v128.load(mp + 15 * mXi);
  const s00 = f32x4.add(f32x4.add(m00, m10), m20), s01 = f32x4.add(f32x4.add(m01, m11), m21);
  const s02 = f32x4.add(f32x4.add(m02, m12), m22), s03 = f32x4.add(f32x4.add(m03, m13), m23);
  const s10 = f32x4.sub(f32x4.sub(m10, m20), m30), s11 = f32x4.sub(f32x4.sub(m11, m21), m31);
  const s12 = f32x4.sub(f32x4.sub(m12, m22), m32), s13 = f32x4.sub(f32x4.sub(m13, m23), m33);
  // y[r][0] = s_r0 + s_r1 + s_r2, y[r][1] = s_r1 - s_r2 - s_r3
  epi(f32x4.add(f32x4.add(s00, s01), s02), bv, yp, rp, act);
  if (nc > 1) epi(f32x4.sub(f32x4.sub(s01, s02), s03), bv, yp + coutB, rp != 0 ? rp + coutB : 0, act);
  if (nr > 1) {
    epi(f32x4.add(f32x4.add(s10, s11), s12), bv, yp + yRowB, rp != 0 ? rp + yRowB : 0, act);
    if (nc > 1) epi(f32x4.sub(f32x4.sub(s11, s12), s13), bv, yp + yRowB + coutB, rp != 0 ? rp + yRowB + coutB : 0, act);
  }
}

/**
 * y = act(conv3x3(x, w) + b + res), valid (pad 0), stride 1, by Winograd F(2x2, 3x3).
 * ABI: docs/kernels.md `f32_conv3x3_winograd`. x: H x W x Cin f32 (HWC); u: packWinogradWeights
 * (src/winograd.ts) [ceil(Cout/8)][16][Cin][8]; b: Cout; y, res (0 or equal to y or separate):
 * (H-2) x (W-2) x Cout; ws: scratch of 64 (Cin + 8 ceil(Cout/8)) f32. Cin % 4 == 0, Cout % 4 == 0.
 * Not bit-identical to f32_conv2d (the transforms reorder the sums); see docs/kernels.md for the
 * error bound. Nothing past y is written; tiles past the output are computed from zeros and dropped.
 */
export function f32_conv3x3_winograd__wasmsimd(
  x: usize, H: i32, W: i32, Cin: i32, u: usize, b: usize, y: usize, Cout: i32, act: i32, res: usize, ws: usize,
): void {
  checkWinoArgs(x, H, W, Cin, u, b, y, Cout, act, res, ws);
  const OH = H - 2, OW = W - 2;
  if (OH <= 0 || OW <= 0) return;
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1;
  const cinB = <usize>Cin << 2, coutB = <usize>Cout << 2;
  const Cout8 = (Cout + 7) & ~7;
  const rowB = <usize>W * cinB, yRowB = <usize>OW * coutB;
  const vT = cinB, vXi = cinB << 2;                 // V [xi][t][Cin]
  const mT = <usize>Cout8 << 2, mXi = mT << 2;     // M [xi][t][Cout8]
  const V = ws, M = ws + 16 * vXi;
  const uBlk = <usize>(16 * Cin) << 5;             // one 8-channel block of U
  for (let ty = 0; ty < TH; ty++) {
    const nr = min(4, H - 2 * ty);                  // input rows of the patch that exist
    const onr = min(2, OH - 2 * ty);                // output rows of the tile that exist
    for (let tx0 = 0; tx0 < TW; tx0 += 4) {
      const nt = min(4, TW - tx0);
      // 1. input transform of the group's tiles
      for (let t = 0; t < nt; t++) {
        const tx = tx0 + t;
        const nc = min(4, W - 2 * tx);
        const p = x + <usize>(2 * ty) * rowB + <usize>(2 * tx) * cinB;
        for (let ci = 0; ci < Cin; ci += 4) inTransform(p + (<usize>ci << 2), rowB, cinB, nr, nc, V + <usize>t * vT + (<usize>ci << 2), vXi);
      }
      // 2. the 16 products, 8 output channels at a time (tiles past nt read stale V: dropped below)
      for (let cb = 0; cb < Cout8; cb += 8) {
        const ub = u + <usize>(cb >> 3) * uBlk;
        for (let xi = 0; xi < 16; xi++) gemm4x8(V + <usize>xi * vXi, cinB, Cin, ub + (<usize>(xi * Cin) << 5), M + <usize>xi * mXi + (<usize>cb << 2), mT);
      }
      // 3. output transform, bias, residual, activation
      for (let t = 0; t < nt; t++) {
        const tx = tx0 + t;
        const onc = min(2, OW - 2 * tx);
        const off = <usize>(2 * ty) * yRowB + <usize>(2 * tx) * coutB;
        for (let co = 0; co < Cout; co += 4) {
          const cB = <usize>co << 2;
          outTransform(M + <usize>t * mT + cB, mXi, v128.load(b + cB), y + off + cB, res != 0 ? res + off + cB : 0, yRowB, coutB, onr, onc, act);
        }
      }
    }
  }
}
