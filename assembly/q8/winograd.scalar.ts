// qs8_conv3x3_winograd, scalar variant (the scalar build): the reference twin of winograd.simd.ts,
// one tile and one output channel at a time in plain i32 loops. The integer result is exact
// (winograd.common.ts), so the outputs equal the SIMD variant's and qs8_conv2d's bit for bit
// (same epilogue `qepi1`).
// Scratch ws: V [16][Cs] i16 of the current tile, then M [16] i32 (a prefix of the SIMD layout's size).
import { qepi1 } from "./conv2d.common";
import { q8wVBytes, checkQ8WinoArgs } from "./winograd.common";

/** d[r][c] of the patch at q (code bytes, row pitch rowB, pixel pitch pxB), 0 outside the region. */
@inline function din(q: usize, r: i32, c: i32, nr: i32, nc: i32, rowB: usize, pxB: usize): i32 {
  return r < nr && c < nc ? <i32>load<u8>(q + <usize>r * rowB + <usize>c * pxB) : 0;
}

/** (B^T v)[k] for a column (or row) v0..v3: B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. */
@inline function bt(k: i32, v0: i32, v1: i32, v2: i32, v3: i32): i32 {
  return k == 0 ? v0 - v2 : k == 1 ? v1 + v2 : k == 2 ? v2 - v1 : v1 - v3;
}

/** (A^T v)[k] for v0..v3: A^T = [1 1 1 0; 0 1 -1 -1] (wrapping i32). */
@inline function at(k: i32, v0: i32, v1: i32, v2: i32, v3: i32): i32 {
  return k == 0 ? v0 + v1 + v2 : v1 - v2 - v3;
}

/** See qs8_conv3x3_winograd__wasmsimd; same ABI, same results. */
export function qs8_conv3x3_winograd__scalar(
  xq: usize, Hi: i32, Wi: i32, xW: i32, Cs: i32, uq: usize, Cout: i32, ms: usize, bias: usize, act: i32,
  res: usize, y: usize, yq: usize, yW: i32, yCs: i32, yInv: f32, yOff: f32, ws: usize,
): void {
  checkQ8WinoArgs(xq, Hi, Wi, xW, Cs, uq, Cout, ms, bias, act, res, y, yq, yW, yCs, ws);
  const OH = Hi - 2, OW = Wi - 2;
  if (OH <= 0 || OW <= 0) return;
  const pxB = <usize>Cs, rowB = <usize>xW * pxB;
  const V = ws, M = ws + q8wVBytes(Cs);       // V[xi][ci] at V + 2 (xi Cs + ci); M[xi] at M + 4 xi
  const nP = Cs >> 1;
  for (let oy0 = 0; oy0 < OH; oy0 += 2) {
    const nr = min(4, Hi - oy0), onr = min(2, OH - oy0);
    for (let ox0 = 0; ox0 < OW; ox0 += 2) {
      const nc = min(4, Wi - ox0), onc = min(2, OW - ox0);
      const p = xq + <usize>oy0 * rowB + <usize>ox0 * pxB;
      // V = B^T d B per channel (|V| <= 508)
      for (let ci = 0; ci < Cs; ci++) {
        const q = p + <usize>ci;
        for (let r = 0; r < 4; r++) {
          // e[c] = (B^T d)[r][c] for the 4 columns, then V[r][c] = (e B)[c] = (B^T e)[c]
          const e0 = bt(r, din(q, 0, 0, nr, nc, rowB, pxB), din(q, 1, 0, nr, nc, rowB, pxB), din(q, 2, 0, nr, nc, rowB, pxB), din(q, 3, 0, nr, nc, rowB, pxB));
          const e1 = bt(r, din(q, 0, 1, nr, nc, rowB, pxB), din(q, 1, 1, nr, nc, rowB, pxB), din(q, 2, 1, nr, nc, rowB, pxB), din(q, 3, 1, nr, nc, rowB, pxB));
          const e2 = bt(r, din(q, 0, 2, nr, nc, rowB, pxB), din(q, 1, 2, nr, nc, rowB, pxB), din(q, 2, 2, nr, nc, rowB, pxB), din(q, 3, 2, nr, nc, rowB, pxB));
          const e3 = bt(r, din(q, 0, 3, nr, nc, rowB, pxB), din(q, 1, 3, nr, nc, rowB, pxB), din(q, 2, 3, nr, nc, rowB, pxB), din(q, 3, 3, nr, nc, rowB, pxB));
          for (let c = 0; c < 4; c++) store<i16>(V + (<usize>((4 * r + c) * Cs + ci) << 1), <i16>bt(c, e0, e1, e2, e3));
        }
      }
      for (let co = 0; co < Cout; co++) {
        // M[xi] = sum_ci V[xi][ci] U'[xi][ci][co]; U' at [co / 8][xi][ci / 2][co % 8][ci % 2]
        const ub = uq + (<usize>((co >> 3) * 16 * nP * 16 + ((co & 7) << 1)) << 1);
        for (let xi = 0; xi < 16; xi++) {
          let m = 0;
          const ux = ub + (<usize>(xi * nP * 16) << 1);
          for (let ci = 0; ci < Cs; ci++) {
            const u = <i32>load<i16>(ux + (<usize>((ci >> 1) * 16 + (ci & 1)) << 1));
            m += <i32>load<i16>(V + (<usize>(xi * Cs + ci) << 1)) * u;
          }
          store<i32>(M + (<usize>xi << 2), m);
        }
        // Y' = A^T M A = 4 acc (exact), acc = Y' >> 2; then qs8_conv2d's epilogue
        for (let r = 0; r < onr; r++) {
          const s0 = at(r, load<i32>(M), load<i32>(M, 16), load<i32>(M, 32), load<i32>(M, 48));
          const s1 = at(r, load<i32>(M, 4), load<i32>(M, 20), load<i32>(M, 36), load<i32>(M, 52));
          const s2 = at(r, load<i32>(M, 8), load<i32>(M, 24), load<i32>(M, 40), load<i32>(M, 56));
          const s3 = at(r, load<i32>(M, 12), load<i32>(M, 28), load<i32>(M, 44), load<i32>(M, 60));
          for (let c = 0; c < onc; c++) {
            const oy = oy0 + r, ox = ox0 + c;
            const yqp = yq != 0 ? yq + <usize>(oy * yW + ox) * <usize>yCs : 0;
            qepi1(at(c, s0, s1, s2, s3) >> 2, co, oy * OW + ox, Cout, ms, bias, act, res, y, yqp, yInv, yOff);
          }
        }
      }
    }
  }
}
