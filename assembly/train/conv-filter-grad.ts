// Conv2DBackpropFilter (NHWC input, HWIO filter), WebAssembly SIMD.
//
//   dW[ky, kx, ci, co] = sum_{b, oy, ox} x[b, oy*s + ky - p, ox*s + kx - p, ci] * dy[b, oy, ox, co]
//
// The input is zero-padded beforehand (pad_nhwc, only when p > 0), so every tap is in range: with
// R = (ky*K + kx)*Cin + ci the filter row index, x[...] = xp[xbase(b, oy, ox) + roff[R]] where
// roff[R] = (ky*Wp + kx)*Cin + ci, and dW is a [K*K*Cin, Cout] matrix: dW = X^T dY over all
// B*OH*OW output positions. Register blocking: 4 filter rows x 8 output channels = 8 f32x4
// accumulators (then 1 x 8, 4 x 4, 1 x 4 and a scalar tail of Cout % 4), swept over the output
// positions in chunks of whole output rows (~256 positions) so that the chunk of dY stays in cache
// while every (row block, channel block) pair reads it; the accumulators are reloaded from dW per
// chunk. No allocation, no globals: all memory is the caller's.

/** Copy x [B,H,W,C] into xp [B,Hp,Wp,C] at row pt, column pl, with a zero border. */
export function pad_nhwc(x: usize, xp: usize, B: i32, H: i32, W: i32, C: i32, pt: i32, pl: i32, Hp: i32, Wp: i32): void {
  const rowB = <usize>(Wp * C) << 2;
  memory.fill(xp, 0, <usize>B * <usize>Hp * rowB);
  const srcRow = <usize>(W * C) << 2;
  for (let b = 0; b < B; b++)
    for (let y = 0; y < H; y++) {
      const dst = xp + (<usize>(b * Hp + y + pt)) * rowB + ((<usize>(pl * C)) << 2);
      memory.copy(dst, x + <usize>(b * H + y) * srcRow, srcRow);
    }
}

// ---- blocks: acc (loaded from dW) += sum over the chunk's positions ----------------------------
// Each block gets: xr (x byte offset of the chunk's first row, row by row through rowX/rows of
// OW positions), so the loops are written out with (rr, ox).

function blk4x8(
  x: usize, dy: usize, w: usize, coutB: usize,
  o0: usize, o1: usize, o2: usize, o3: usize,
  r0: i32, r1: i32, OH: i32, OW: i32, Hp: i32, s: i32, xRowB: usize, pxX: usize,
): void {
  let a00 = v128.load(w), a01 = v128.load(w, 16);
  let a10 = v128.load(w + coutB), a11 = v128.load(w + coutB, 16);
  let a20 = v128.load(w + 2 * coutB), a21 = v128.load(w + 2 * coutB, 16);
  let a30 = v128.load(w + 3 * coutB), a31 = v128.load(w + 3 * coutB, 16);
  for (let rr = r0; rr < r1; rr++) {
    const b = rr / OH, oy = rr - b * OH;
    let xq = x + <usize>(b * Hp + oy * s) * xRowB;
    let dq = dy + <usize>rr * <usize>OW * coutB;
    for (let ox = 0; ox < OW; ox++) {
      const d0 = v128.load(dq), d1 = v128.load(dq, 16);
      const x0 = v128.load_splat<f32>(xq + o0);
      const x1 = v128.load_splat<f32>(xq + o1);
      const x2 = v128.load_splat<f32>(xq + o2);
      const x3 = v128.load_splat<f32>(xq + o3);
      a00 = f32x4.add(a00, f32x4.mul(x0, d0)); a01 = f32x4.add(a01, f32x4.mul(x0, d1));
      a10 = f32x4.add(a10, f32x4.mul(x1, d0)); a11 = f32x4.add(a11, f32x4.mul(x1, d1));
      a20 = f32x4.add(a20, f32x4.mul(x2, d0)); a21 = f32x4.add(a21, f32x4.mul(x2, d1));
      a30 = f32x4.add(a30, f32x4.mul(x3, d0)); a31 = f32x4.add(a31, f32x4.mul(x3, d1));
      xq += pxX; dq += coutB;
    }
  }
  v128.store(w, a00); v128.store(w, a01, 16);
  v128.store(w + coutB, a10); v128.store(w + coutB, a11, 16);
  v128.store(w + 2 * coutB, a20); v128.store(w + 2 * coutB, a21, 16);
  v128.store(w + 3 * coutB, a30); v128.store(w + 3 * coutB, a31, 16);
}

function blk1x8(
  x: usize, dy: usize, w: usize, coutB: usize, o0: usize,
  r0: i32, r1: i32, OH: i32, OW: i32, Hp: i32, s: i32, xRowB: usize, pxX: usize,
): void {
  let a00 = v128.load(w), a01 = v128.load(w, 16);
  let b00 = f32x4.splat(0), b01 = f32x4.splat(0);
  for (let rr = r0; rr < r1; rr++) {
    const b = rr / OH, oy = rr - b * OH;
    let xq = x + <usize>(b * Hp + oy * s) * xRowB + o0;
    let dq = dy + <usize>rr * <usize>OW * coutB;
    let ox = 0;
    for (; ox + 1 < OW; ox += 2) {
      const x0 = v128.load_splat<f32>(xq), x1 = v128.load_splat<f32>(xq + pxX);
      a00 = f32x4.add(a00, f32x4.mul(x0, v128.load(dq))); a01 = f32x4.add(a01, f32x4.mul(x0, v128.load(dq, 16)));
      b00 = f32x4.add(b00, f32x4.mul(x1, v128.load(dq + coutB))); b01 = f32x4.add(b01, f32x4.mul(x1, v128.load(dq + coutB, 16)));
      xq += pxX << 1; dq += coutB << 1;
    }
    if (ox < OW) {
      const x0 = v128.load_splat<f32>(xq);
      a00 = f32x4.add(a00, f32x4.mul(x0, v128.load(dq))); a01 = f32x4.add(a01, f32x4.mul(x0, v128.load(dq, 16)));
    }
  }
  v128.store(w, f32x4.add(a00, b00)); v128.store(w, f32x4.add(a01, b01), 16);
}

function blk4x4(
  x: usize, dy: usize, w: usize, coutB: usize,
  o0: usize, o1: usize, o2: usize, o3: usize,
  r0: i32, r1: i32, OH: i32, OW: i32, Hp: i32, s: i32, xRowB: usize, pxX: usize,
): void {
  let a0 = v128.load(w), a1 = v128.load(w + coutB), a2 = v128.load(w + 2 * coutB), a3 = v128.load(w + 3 * coutB);
  for (let rr = r0; rr < r1; rr++) {
    const b = rr / OH, oy = rr - b * OH;
    let xq = x + <usize>(b * Hp + oy * s) * xRowB;
    let dq = dy + <usize>rr * <usize>OW * coutB;
    for (let ox = 0; ox < OW; ox++) {
      const d0 = v128.load(dq);
      a0 = f32x4.add(a0, f32x4.mul(v128.load_splat<f32>(xq + o0), d0));
      a1 = f32x4.add(a1, f32x4.mul(v128.load_splat<f32>(xq + o1), d0));
      a2 = f32x4.add(a2, f32x4.mul(v128.load_splat<f32>(xq + o2), d0));
      a3 = f32x4.add(a3, f32x4.mul(v128.load_splat<f32>(xq + o3), d0));
      xq += pxX; dq += coutB;
    }
  }
  v128.store(w, a0); v128.store(w + coutB, a1); v128.store(w + 2 * coutB, a2); v128.store(w + 3 * coutB, a3);
}

function blk1x4(
  x: usize, dy: usize, w: usize, coutB: usize, o0: usize,
  r0: i32, r1: i32, OH: i32, OW: i32, Hp: i32, s: i32, xRowB: usize, pxX: usize,
): void {
  let a0 = v128.load(w);
  for (let rr = r0; rr < r1; rr++) {
    const b = rr / OH, oy = rr - b * OH;
    let xq = x + <usize>(b * Hp + oy * s) * xRowB + o0;
    let dq = dy + <usize>rr * <usize>OW * coutB;
    for (let ox = 0; ox < OW; ox++) {
      a0 = f32x4.add(a0, f32x4.mul(v128.load_splat<f32>(xq), v128.load(dq)));
      xq += pxX; dq += coutB;
    }
  }
  v128.store(w, a0);
}

function blk1x1(
  x: usize, dy: usize, w: usize, coutB: usize, o0: usize,
  r0: i32, r1: i32, OH: i32, OW: i32, Hp: i32, s: i32, xRowB: usize, pxX: usize,
): void {
  let a: f32 = load<f32>(w);
  for (let rr = r0; rr < r1; rr++) {
    const b = rr / OH, oy = rr - b * OH;
    let xq = x + <usize>(b * Hp + oy * s) * xRowB + o0;
    let dq = dy + <usize>rr * <usize>OW * coutB;
    for (let ox = 0; ox < OW; ox++) {
      a += load<f32>(xq) * load<f32>(dq);
      xq += pxX; dq += coutB;
    }
  }
  store<f32>(w, a);
}

/**
 * dw [KH,KW,Cin,Cout] = filter gradient. x: the (already padded) input [B,Hp,Wp,Cin]; dy
 * [B,OH,OW,Cout]; strides sh, sw; roff: scratch for KH*KW*Cin i32 byte offsets. Byte pointers,
 * 4-byte aligned.
 */
export function conv2d_backprop_filter(
  x: usize, dy: usize, dw: usize, roff: usize,
  B: i32, Hp: i32, Wp: i32, Cin: i32, OH: i32, OW: i32, Cout: i32, KH: i32, KW: i32, sh: i32, sw: i32,
): void {
  const R = KH * KW * Cin;
  const s = sh;
  const coutB = <usize>Cout << 2;
  memory.fill(dw, 0, <usize>R * coutB);
  if (B == 0 || OH <= 0 || OW <= 0 || Cout == 0 || R == 0) return;
  for (let ky = 0; ky < KH; ky++)
    for (let kx = 0; kx < KW; kx++)
      for (let ci = 0; ci < Cin; ci++)
        store<u32>(roff + (<usize>((ky * KW + kx) * Cin + ci) << 2), <u32>(((ky * Wp + kx) * Cin + ci) << 2));
  const xRowB = <usize>(Wp * Cin) << 2;
  const pxX = <usize>(sw * Cin) << 2;
  const rows = B * OH;
  let chunk = 256 / OW;
  if (chunk < 1) chunk = 1;
  const c8 = Cout & ~7, c4 = Cout & ~3, R4 = R & ~3;
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const r1 = min(rows, r0 + chunk);
    for (let r = 0; r < R4; r += 4) {
      const rp = roff + (<usize>r << 2);
      const o0 = <usize>load<u32>(rp), o1 = <usize>load<u32>(rp, 4), o2 = <usize>load<u32>(rp, 8), o3 = <usize>load<u32>(rp, 12);
      const wrow = dw + <usize>r * coutB;
      let co = 0;
      for (; co < c8; co += 8) blk4x8(x, dy + (<usize>co << 2), wrow + (<usize>co << 2), coutB, o0, o1, o2, o3, r0, r1, OH, OW, Hp, s, xRowB, pxX);
      if (co < c4) { blk4x4(x, dy + (<usize>co << 2), wrow + (<usize>co << 2), coutB, o0, o1, o2, o3, r0, r1, OH, OW, Hp, s, xRowB, pxX); co += 4; }
      for (; co < Cout; co++)
        for (let i = 0; i < 4; i++) {
          const oi = <usize>load<u32>(rp + (<usize>i << 2));
          blk1x1(x, dy + (<usize>co << 2), wrow + <usize>i * coutB + (<usize>co << 2), coutB, oi, r0, r1, OH, OW, Hp, s, xRowB, pxX);
        }
    }
    for (let r = R4; r < R; r++) {
      const o0 = <usize>load<u32>(roff + (<usize>r << 2));
      const wrow = dw + <usize>r * coutB;
      let co = 0;
      for (; co < c8; co += 8) blk1x8(x, dy + (<usize>co << 2), wrow + (<usize>co << 2), coutB, o0, r0, r1, OH, OW, Hp, s, xRowB, pxX);
      if (co < c4) { blk1x4(x, dy + (<usize>co << 2), wrow + (<usize>co << 2), coutB, o0, r0, r1, OH, OW, Hp, s, xRowB, pxX); co += 4; }
      for (; co < Cout; co++) blk1x1(x, dy + (<usize>co << 2), wrow + (<usize>co << 2), coutB, o0, r0, r1, OH, OW, Hp, s, xRowB, pxX);
    }
  }
}
