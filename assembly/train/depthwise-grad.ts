// The two gradients of a depthwise conv (NHWC, filter [KH, KW, C, 1], channel multiplier 1,
// dilation 1), WebAssembly SIMD. With (pt, pl) the top / left padding tfjs resolved:
//   dW[ky, kx, c]      = sum_{b, oy, ox} x[b, oy*sh + ky - pt, ox*sw + kx - pl, c] * dy[b, oy, ox, c]
//   dX[b, iy, ix, c]  += w[ky, kx, c] * dy[b, oy, ox, c]   for every tap that reads (iy, ix)
// Both walk the output positions and their in-range taps (no padded copy: the tap ranges are
// clipped per row and column); channels are innermost and contiguous in x, w, dy and dX, so each
// (position, tap) pair is one run of C floats: f32x4 over C & ~3, then a scalar tail.
// The filter gradient sums one image into `acc` (KH*KW*C f32) and adds that into `dw` per image
// (B*OH*OW terms per tap, in f32 partial sums of one image each).

@inline function axpy(acc: usize, a: usize, b: usize, C: i32): void {
  // acc[c] += a[c] * b[c]
  const C4 = C & ~3;
  let c = 0;
  for (; c < C4; c += 4) {
    const o = <usize>c << 2;
    v128.store(acc + o, f32x4.add(v128.load(acc + o), f32x4.mul(v128.load(a + o), v128.load(b + o))));
  }
  for (; c < C; c++) {
    const o = <usize>c << 2;
    store<f32>(acc + o, load<f32>(acc + o) + load<f32>(a + o) * load<f32>(b + o));
  }
}

// the output columns whose tap kx is inside the row: ox in [oxBegin, oxEnd), 0 <= ox*sw + kx - pl <= W - 1
@inline function oxBegin(kx: i32, pl: i32, sw: i32): i32 {
  return kx < pl ? (pl - kx + sw - 1) / sw : 0;
}
@inline function oxEnd(kx: i32, pl: i32, sw: i32, W: i32, OW: i32): i32 {
  const last = W - 1 + pl - kx; // the largest ox*sw; negative: no column
  if (last < 0) return 0;
  const n = last / sw + 1;
  return n < OW ? n : OW;
}

/** dW of a depthwise conv; `acc` is KH*KW*C f32 of scratch. */
export function depthwise_backprop_filter(
  x: usize, dy: usize, dw: usize, acc: usize,
  B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, KH: i32, KW: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const cB = <usize>C << 2;
  const taps = <usize>(KH * KW) * cB;
  memory.fill(dw, 0, taps);
  for (let b = 0; b < B; b++) {
    memory.fill(acc, 0, taps);
    for (let oy = 0; oy < OH; oy++) {
      const dyRow = dy + <usize>((b * OH + oy) * OW) * cB;
      for (let ky = 0; ky < KH; ky++) {
        const iy = oy * sh + ky - pt;
        if (iy < 0 || iy >= H) continue;
        const xRow = x + <usize>((b * H + iy) * W) * cB;
        for (let kx = 0; kx < KW; kx++) {
          const a = acc + <usize>(ky * KW + kx) * cB;
          const ox1 = oxEnd(kx, pl, sw, W, OW);
          for (let ox = oxBegin(kx, pl, sw); ox < ox1; ox++)
            axpy(a, xRow + <usize>(ox * sw + kx - pl) * cB, dyRow + <usize>ox * cB, C);
        }
      }
    }
    const n = (KH * KW * C);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dw + o, f32x4.add(v128.load(dw + o), v128.load(acc + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(dw + o, load<f32>(dw + o) + load<f32>(acc + o));
    }
  }
}

/** dX of a depthwise conv (dx is zeroed first). */
export function depthwise_backprop_input(
  dy: usize, w: usize, dx: usize,
  B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, KH: i32, KW: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const cB = <usize>C << 2;
  memory.fill(dx, 0, <usize>B * <usize>H * <usize>W * cB);
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++) {
      const dyRow = dy + <usize>((b * OH + oy) * OW) * cB;
      for (let ky = 0; ky < KH; ky++) {
        const iy = oy * sh + ky - pt;
        if (iy < 0 || iy >= H) continue;
        const dxRow = dx + <usize>((b * H + iy) * W) * cB;
        for (let kx = 0; kx < KW; kx++) {
          const wt = w + <usize>(ky * KW + kx) * cB;
          const ox1 = oxEnd(kx, pl, sw, W, OW);
          for (let ox = oxBegin(kx, pl, sw); ox < ox1; ox++)
            axpy(dxRow + <usize>(ox * sw + kx - pl) * cB, wt, dyRow + <usize>ox * cB, C);
        }
      }
    }
}
