// f32_conv3x3_winograd, scalar variant (the scalar build): the SIMD variant's algorithm
// (winograd.simd.ts) with one channel at a time and the same scratch layout.
import { actf } from "./activation";
import { checkWinoArgs } from "./winograd.common";

/** d[r][c] of the patch at q, zero outside the input (rows >= nr, columns >= nc). */
@inline function din(q: usize, r: i32, c: i32, nr: i32, nc: i32, rowB: usize, cinB: usize): f32 {
  return r < nr && c < nc ? load<f32>(q + <usize>r * rowB + <usize>c * cinB) : <f32>0;
}

@inline function mat(mc: usize, xi: i32, mXi: usize): f32 {
  return load<f32>(mc + <usize>xi * mXi);
}

/** See f32_conv3x3_winograd__wasmsimd; same ABI. */
export function f32_conv3x3_winograd__scalar(
  x: usize, H: i32, W: i32, Cin: i32, u: usize, b: usize, y: usize, Cout: i32, act: i32, res: usize, ws: usize,
): void {
  checkWinoArgs(x, H, W, Cin, u, b, y, Cout, act, res, ws);
  const OH = H - 2, OW = W - 2;
  if (OH <= 0 || OW <= 0) return;
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1;
  const cinB = <usize>Cin << 2, coutB = <usize>Cout << 2;
  const Cout8 = (Cout + 7) & ~7;
  const rowB = <usize>W * cinB, yRowB = <usize>OW * coutB;
  const vXi = cinB;                                // V [xi][Cin], one tile at a time
  const mXi = <usize>Cout8 << 2;                   // M [xi][Cout8]
  const V = ws, M = ws + 16 * vXi;
  const uBlk = <usize>(16 * Cin) << 5;
  for (let ty = 0; ty < TH; ty++) {
    const nr = min(4, H - 2 * ty), onr = min(2, OH - 2 * ty);
    for (let tx = 0; tx < TW; tx++) {
      const nc = min(4, W - 2 * tx), onc = min(2, OW - 2 * tx);
      const p = x + <usize>(2 * ty) * rowB + <usize>(2 * tx) * cinB;
      for (let ci = 0; ci < Cin; ci++) {
        const q = p + (<usize>ci << 2);
        for (let c = 0; c < 4; c++) {
          // B^T d down column c, kept in V[r * 4 + c] for the row pass
          const d0 = din(q, 0, c, nr, nc, rowB, cinB), d1 = din(q, 1, c, nr, nc, rowB, cinB);
          const d2 = din(q, 2, c, nr, nc, rowB, cinB), d3 = din(q, 3, c, nr, nc, rowB, cinB);
          store<f32>(V + <usize>c * vXi + (<usize>ci << 2), d0 - d2);
          store<f32>(V + <usize>(4 + c) * vXi + (<usize>ci << 2), d1 + d2);
          store<f32>(V + <usize>(8 + c) * vXi + (<usize>ci << 2), d2 - d1);
          store<f32>(V + <usize>(12 + c) * vXi + (<usize>ci << 2), d1 - d3);
        }
        for (let r = 0; r < 4; r++) {
          const o = V + <usize>(4 * r) * vXi + (<usize>ci << 2);
          const e0 = load<f32>(o), e1 = load<f32>(o + vXi), e2 = load<f32>(o + 2 * vXi), e3 = load<f32>(o + 3 * vXi);
          store<f32>(o, e0 - e2); store<f32>(o + vXi, e1 + e2);
          store<f32>(o + 2 * vXi, e2 - e1); store<f32>(o + 3 * vXi, e1 - e3);
        }
      }
      for (let xi = 0; xi < 16; xi++)
        for (let co = 0; co < Cout; co++) {
          let acc: f32 = 0;
          const wp = u + <usize>(co >> 3) * uBlk + (<usize>(xi * Cin) << 5) + (<usize>(co & 7) << 2);
          for (let ci = 0; ci < Cin; ci++) acc += load<f32>(V + <usize>xi * vXi + (<usize>ci << 2)) * load<f32>(wp + (<usize>ci << 5));
          store<f32>(M + <usize>xi * mXi + (<usize>co << 2), acc);
        }
      const off = <usize>(2 * ty) * yRowB + <usize>(2 * tx) * coutB;
      for (let co = 0; co < Cout; co++) {
        const mc = M + (<usize>co << 2);
        const bias = load<f32>(b + (<usize>co << 2));
        for (let r = 0; r < onr; r++) {
          // (A^T m) row r, then A along the row
          let s0: f32, s1: f32, s2: f32, s3: f32;
          if (r == 0) { s0 = mat(mc, 0, mXi) + mat(mc, 4, mXi) + mat(mc, 8, mXi); s1 = mat(mc, 1, mXi) + mat(mc, 5, mXi) + mat(mc, 9, mXi); s2 = mat(mc, 2, mXi) + mat(mc, 6, mXi) + mat(mc, 10, mXi); s3 = mat(mc, 3, mXi) + mat(mc, 7, mXi) + mat(mc, 11, mXi); }
          else { s0 = mat(mc, 4, mXi) - mat(mc, 8, mXi) - mat(mc, 12, mXi); s1 = mat(mc, 5, mXi) - mat(mc, 9, mXi) - mat(mc, 13, mXi); s2 = mat(mc, 6, mXi) - mat(mc, 10, mXi) - mat(mc, 14, mXi); s3 = mat(mc, 7, mXi) - mat(mc, 11, mXi) - mat(mc, 15, mXi); }
          for (let c = 0; c < onc; c++) {
            const yo = off + <usize>r * yRowB + <usize>c * coutB + (<usize>co << 2);
            let v = (c == 0 ? (s0 + s1) + s2 : (s1 - s2) - s3) + bias;
            if (res != 0) v += load<f32>(res + yo);
            store<f32>(y + yo, actf(v, act));
          }
        }
      }
    }
  }
}
