// qs8_conv3x3_winograd, WebAssembly SIMD variant (the simd AND relaxed builds: nothing here is
// relaxed). Exact int8 Winograd F(2x2, 3x3): bit-identical to qs8_conv2d with K = 3, stride 1
// (the numbers and the Cs bound: winograd.common.ts; ABI: docs/kernels.md).
//
// Output tiles are 2x2 pixels, numbered row-major over the (OH/2 rounded up) x (OW/2 rounded up)
// tile grid; a tile reads the 4x4 patch at rows 2 ty .. 2 ty + 3, columns 2 tx .. 2 tx + 3 of the
// region (rows / columns past Hi x Wi read as zero; outputs past OH x OW are dropped). Tiles go in
// groups of Q8W_GROUP consecutive tiles (a group may span tile rows):
//   1. input transform: V[xi][t][ci] = (B^T d B)[xi] in i16x8 over 8 channels (u7 codes widened by
//      load8x8_u; a Cs % 8 == 4 tail of 4 channels by load32_zero and a 64-bit store);
//   2. per block of 8 output channels and position xi: M[xi][t][8] = sum over channel pairs p of
//      (V[xi][t][2p], V[xi][t][2p+1]) . (U'[xi][2p][co], U'[xi][2p+1][co]) by i32x4.dot_i16x8_s,
//      4 tiles x 8 channels at a time (8 accumulators; the pair of V is one load32_splat, the 8
//      channels' weights two v128 of the packed [8 co][2 ci] i16);
//   3. output transform: acc = (A^T M A) >> 2 per tile and 4 channels, then qepi4, the epilogue
//      of qs8_conv2d's SIMD builds (same f32 steps: bit-identical to qs8_conv2d and to the scalar
//      twin).
// Scratch ws: V [16][Q8W_GROUP][Cs] i16, then M [16][Q8W_GROUP][8] i32 (the current channel block).
import { qepi4 } from "./epilogue.simd";
import { Q8W_GROUP, q8wVBytes, checkQ8WinoArgs } from "./winograd.common";

/** 8 codes at q widened to i16x8, or (four) 4 codes in lanes 0..3 and zeros above. */
@inline function ld(q: usize, four: bool): v128 {
  return four ? i16x8.extend_low_i8x16_u(v128.load32_zero(q)) : v128.load8x8_u(q);
}

/** Stores 8 i16 lanes, or (four) lanes 0..3. */
@inline function st(p: usize, v: v128, four: bool): void {
  if (four) v128.store64_lane(p, v, 0);
  else v128.store(p, v);
}

/** Input transform of one tile for 8 channels (4 if `four`) at p: patch row r at p + r * rowB,
 *  column c at + c * pxB; rows >= nr and columns >= nc read as zero. Writes V[xi] at vp + xi * vXi. */
@inline function inTransform(p: usize, rowB: usize, pxB: usize, nr: i32, nc: i32, vp: usize, vXi: usize, four: bool): void {
  const z = i16x8.splat(0);
  // e[r][c] = (B^T d)[r][c]: d0 - d2, d1 + d2, d2 - d1, d1 - d3 down each column c
  let e00 = z, e01 = z, e02 = z, e03 = z, e10 = z, e11 = z, e12 = z, e13 = z;
  let e20 = z, e21 = z, e22 = z, e23 = z, e30 = z, e31 = z, e32 = z, e33 = z;
  if (nr == 4 && nc == 4) {
    const c1 = pxB, c2 = pxB << 1, c3 = pxB * 3;
    const r0 = p, r1 = p + rowB, r2 = p + 2 * rowB, r3 = p + 3 * rowB;
    let d0 = ld(r0, four), d1 = ld(r1, four), d2 = ld(r2, four), d3 = ld(r3, four);
    e00 = i16x8.sub(d0, d2); e10 = i16x8.add(d1, d2); e20 = i16x8.sub(d2, d1); e30 = i16x8.sub(d1, d3);
    d0 = ld(r0 + c1, four); d1 = ld(r1 + c1, four); d2 = ld(r2 + c1, four); d3 = ld(r3 + c1, four);
    e01 = i16x8.sub(d0, d2); e11 = i16x8.add(d1, d2); e21 = i16x8.sub(d2, d1); e31 = i16x8.sub(d1, d3);
    d0 = ld(r0 + c2, four); d1 = ld(r1 + c2, four); d2 = ld(r2 + c2, four); d3 = ld(r3 + c2, four);
    e02 = i16x8.sub(d0, d2); e12 = i16x8.add(d1, d2); e22 = i16x8.sub(d2, d1); e32 = i16x8.sub(d1, d3);
    d0 = ld(r0 + c3, four); d1 = ld(r1 + c3, four); d2 = ld(r2 + c3, four); d3 = ld(r3 + c3, four);
    e03 = i16x8.sub(d0, d2); e13 = i16x8.add(d1, d2); e23 = i16x8.sub(d2, d1); e33 = i16x8.sub(d1, d3);
  } else {
    // edge tile: the same sums over the rows / columns that exist
    for (let c = 0; c < 4; c++) {
      let d0 = z, d1 = z, d2 = z, d3 = z;
      if (c < nc) {
        const q = p + <usize>c * pxB;
        d0 = ld(q, four);
        if (nr > 1) d1 = ld(q + rowB, four);
        if (nr > 2) d2 = ld(q + 2 * rowB, four);
        if (nr > 3) d3 = ld(q + 3 * rowB, four);
      }
      const a0 = i16x8.sub(d0, d2), a1 = i16x8.add(d1, d2), a2 = i16x8.sub(d2, d1), a3 = i16x8.sub(d1, d3);
      if (c == 0) { e00 = a0; e10 = a1; e20 = a2; e30 = a3; }
      else if (c == 1) { e01 = a0; e11 = a1; e21 = a2; e31 = a3; }
      else if (c == 2) { e02 = a0; e12 = a1; e22 = a2; e32 = a3; }
      else { e03 = a0; e13 = a1; e23 = a2; e33 = a3; }
    }
  }
  // V[r][c] = (e B)[r][c]: e0 - e2, e1 + e2, e2 - e1, e1 - e3 along each row (|V| <= 508: no i16 wrap)
  st(vp, i16x8.sub(e00, e02), four); st(vp + vXi, i16x8.add(e01, e02), four);
  st(vp + 2 * vXi, i16x8.sub(e02, e01), four); st(vp + 3 * vXi, i16x8.sub(e01, e03), four);
  st(vp + 4 * vXi, i16x8.sub(e10, e12), four); st(vp + 5 * vXi, i16x8.add(e11, e12), four);
  st(vp + 6 * vXi, i16x8.sub(e12, e11), four); st(vp + 7 * vXi, i16x8.sub(e11, e13), four);
  st(vp + 8 * vXi, i16x8.sub(e20, e22), four); st(vp + 9 * vXi, i16x8.add(e21, e22), four);
  st(vp + 10 * vXi, i16x8.sub(e22, e21), four); st(vp + 11 * vXi, i16x8.sub(e21, e23), four);
  st(vp + 12 * vXi, i16x8.sub(e30, e32), four); st(vp + 13 * vXi, i16x8.add(e31, e32), four);
  st(vp + 14 * vXi, i16x8.sub(e32, e31), four); st(vp + 15 * vXi, i16x8.sub(e31, e33), four);
}

/** M[t][0..8) at mp + 32 t for 4 tiles (V rows vT bytes apart at vp) x 8 channels, summed over nP
 *  channel pairs: per pair one load32_splat of (V[2p], V[2p+1]) per tile and the two weight vectors
 *  (co 0..3 | co 4..7, each lane (U'[2p], U'[2p+1])) at wp. */
function gemm4x8(vp: usize, vT: usize, nP: i32, wp: usize, mp: usize): void {
  const z = i32x4.splat(0);
  let a0 = z, b0 = z, a1 = z, b1 = z, a2 = z, b2 = z, a3 = z, b3 = z;
  const v2 = vT << 1, v3 = vT * 3;
  for (let p = 0; p < nP; p++) {
    const w0 = v128.load(wp), w1 = v128.load(wp, 16);
    const x0 = v128.load32_splat(vp);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(x0, w0)); b0 = i32x4.add(b0, i32x4.dot_i16x8_s(x0, w1));
    const x1 = v128.load32_splat(vp + vT);
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(x1, w0)); b1 = i32x4.add(b1, i32x4.dot_i16x8_s(x1, w1));
    const x2 = v128.load32_splat(vp + v2);
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(x2, w0)); b2 = i32x4.add(b2, i32x4.dot_i16x8_s(x2, w1));
    const x3 = v128.load32_splat(vp + v3);
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(x3, w0)); b3 = i32x4.add(b3, i32x4.dot_i16x8_s(x3, w1));
    vp += 4; wp += 32;
  }
  v128.store(mp, a0); v128.store(mp, b0, 16);
  v128.store(mp, a1, 32); v128.store(mp, b1, 48);
  v128.store(mp, a2, 64); v128.store(mp, b2, 80);
  v128.store(mp, a3, 96); v128.store(mp, b3, 112);
}

/** Output transform + epilogue of one tile for channels co .. co+n-1 (n <= 4): M[xi] at mp + xi * mXi
 *  (i32x4), acc = (A^T M A) >> 2 (exact: winograd.common.ts); output (0, 0) is pixel opix with codes
 *  at yqp (0 = none); onr / onc of its 2 rows / columns exist (yqRow, yqPx: code row / pixel pitch). */
function outTile(
  mp: usize, mXi: usize, co: i32, n: i32, opix: i32, OW: i32, Cout: i32, ms: usize, bias: usize, act: i32,
  res: usize, y: usize, yqp: usize, yqRow: usize, yqPx: usize, onr: i32, onc: i32, yInv: f32, yOff: f32,
): void {
  // s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 down each column (m row r = xi / 4), wrapping i32
  const m00 = v128.load(mp), m01 = v128.load(mp + mXi), m02 = v128.load(mp + 2 * mXi), m03 = v128.load(mp + 3 * mXi);
  const m10 = v128.load(mp + 4 * mXi), m11 = v128.load(mp + 5 * mXi), m12 = v128.load(mp + 6 * mXi), m13 = v128.load(mp + 7 * mXi);
  const m20 = v128.load(mp + 8 * mXi), m21 = v128.load(mp + 9 * mXi), m22 = v128.load(mp + 10 * mXi), m23 = v128.load(mp + 11 * mXi);
  const m30 = v128.load(mp + 12 * mXi), m31 = v128.load(mp + 13 * mXi), m32 = v128.load(mp + 14 * mXi), m33 = v128.load(mp + 15 * mXi);
  const s00 = i32x4.add(i32x4.add(m00, m10), m20), s01 = i32x4.add(i32x4.add(m01, m11), m21);
  const s02 = i32x4.add(i32x4.add(m02, m12), m22), s03 = i32x4.add(i32x4.add(m03, m13), m23);
  const s10 = i32x4.sub(i32x4.sub(m10, m20), m30), s11 = i32x4.sub(i32x4.sub(m11, m21), m31);
  const s12 = i32x4.sub(i32x4.sub(m12, m22), m32), s13 = i32x4.sub(i32x4.sub(m13, m23), m33);
  // y[r][0] = s_r0 + s_r1 + s_r2, y[r][1] = s_r1 - s_r2 - s_r3; then / 4
  qepi4(i32x4.shr_s(i32x4.add(i32x4.add(s00, s01), s02), 2), co, n, opix, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
  if (onc > 1) qepi4(i32x4.shr_s(i32x4.sub(i32x4.sub(s01, s02), s03), 2), co, n, opix + 1, Cout, ms, bias, act, res, y,
    yqp != 0 ? yqp + yqPx : 0, yInv, yOff);
  if (onr > 1) {
    qepi4(i32x4.shr_s(i32x4.add(i32x4.add(s10, s11), s12), 2), co, n, opix + OW, Cout, ms, bias, act, res, y,
      yqp != 0 ? yqp + yqRow : 0, yInv, yOff);
    if (onc > 1) qepi4(i32x4.shr_s(i32x4.sub(i32x4.sub(s11, s12), s13), 2), co, n, opix + OW + 1, Cout, ms, bias, act, res, y,
      yqp != 0 ? yqp + yqRow + yqPx : 0, yInv, yOff);
  }
}

/**
 * Quantised 3x3 / stride 1 convolution by exact integer Winograd F(2x2, 3x3). ABI: docs/kernels.md
 * `qs8_conv3x3_winograd`: xq .. yOff as qs8_conv2d with K = 3, stride = 1 (a valid conv over the
 * Hi x Wi region, OH = Hi - 2, OW = Wi - 2); uq: src/quant.ts packQ8WinogradWeights,
 * [ceil(Cout/8)][16][Cs/2][8][2] i16; ws: q8WinogradScratchBytes(Cs, Cout) bytes. Cs % 4 == 0,
 * Cs <= 3696. Bit-identical to qs8_conv2d (and to qs8_conv3x3_winograd__scalar).
 */
export function qs8_conv3x3_winograd__wasmsimd(
  xq: usize, Hi: i32, Wi: i32, xW: i32, Cs: i32, uq: usize, Cout: i32, ms: usize, bias: usize, act: i32,
  res: usize, y: usize, yq: usize, yW: i32, yCs: i32, yInv: f32, yOff: f32, ws: usize,
): void {
  checkQ8WinoArgs(xq, Hi, Wi, xW, Cs, uq, Cout, ms, bias, act, res, y, yq, yW, yCs, ws);
  const OH = Hi - 2, OW = Wi - 2;
  if (OH <= 0 || OW <= 0) return;
  const TW = (OW + 1) >> 1, NT = ((OH + 1) >> 1) * TW;
  const pxB = <usize>Cs, rowB = <usize>xW * pxB;
  const vT = <usize>Cs << 1, vXi = vT * <usize>Q8W_GROUP;   // V [16][G][Cs] i16
  const mXi = <usize>(Q8W_GROUP << 5);                      // M [16][G][8] i32: tile stride 32 bytes
  const V = ws, M = ws + q8wVBytes(Cs);
  const uXi = <usize>Cs << 4, uBlk = uXi << 4;             // U' [blk][16][Cs/2][8][2] i16
  const nP = Cs >> 1;
  const yqPx = <usize>yCs, yqRow = <usize>yW * yqPx;
  for (let t0 = 0; t0 < NT; t0 += Q8W_GROUP) {
    const nt = min(Q8W_GROUP, NT - t0);
    // 1. input transform of the group's tiles, 8 channels at a time, then a tail of 4
    for (let t = 0; t < nt; t++) {
      const ty = (t0 + t) / TW, tx = t0 + t - ty * TW;
      const nr = min(4, Hi - 2 * ty), nc = min(4, Wi - 2 * tx);
      const p = xq + <usize>(2 * ty) * rowB + <usize>(2 * tx) * pxB;
      const vp = V + <usize>t * vT;
      let ci = 0;
      for (; ci + 8 <= Cs; ci += 8) inTransform(p + <usize>ci, rowB, pxB, nr, nc, vp + (<usize>ci << 1), vXi, false);
      if (ci < Cs) inTransform(p + <usize>ci, rowB, pxB, nr, nc, vp + (<usize>ci << 1), vXi, true);
    }
    // 2. + 3. per block of 8 output channels: the 16 products (4-tile register tiles; slots past nt
    // read stale V and are dropped), then the output transform and the epilogue
    const ns = (nt + 3) >> 2;
    for (let co = 0; co < Cout; co += 8) {
      const ub = uq + <usize>(co >> 3) * uBlk;
      for (let xi = 0; xi < 16; xi++) {
        const vx = V + <usize>xi * vXi, mx = M + <usize>xi * mXi, ux = ub + <usize>xi * uXi;
        for (let s = 0; s < ns; s++) gemm4x8(vx + <usize>(4 * s) * vT, vT, nP, ux, mx + (<usize>s << 7));
      }
      const n = min(8, Cout - co);
      for (let t = 0; t < nt; t++) {
        const ty = (t0 + t) / TW, tx = t0 + t - ty * TW;
        const onr = min(2, OH - 2 * ty), onc = min(2, OW - 2 * tx);
        const opix = 2 * ty * OW + 2 * tx;
        const yqp = yq != 0 ? yq + <usize>(2 * ty) * yqRow + <usize>(2 * tx) * yqPx : 0;
        const mp = M + (<usize>t << 5);
        outTile(mp, mXi, co, min(4, n), opix, OW, Cout, ms, bias, act, res, y, yqp, yqRow, yqPx, onr, onc, yInv, yOff);
        if (n > 4) outTile(mp + 16, mXi, co + 4, n - 4, opix, OW, Cout, ms, bias, act, res, y, yqp, yqRow, yqPx, onr, onc, yInv, yOff);
      }
    }
  }
}
