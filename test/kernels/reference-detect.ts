// Plain-loop f64 references of the face detector's kernels (assembly/f32/conv5x5s2, dwconv3x3,
// padchannels, assembly/image/warp). TensorFlow "SAME" padding: out = ceil(n / s), padding before =
// floor(max((out - 1) s + K - n, 0) / 2).
import { act } from "./reference.ts";

export function sameOut(n: number, s: number): number {
  return Math.ceil(n / s);
}
export function samePadBefore(n: number, K: number, s: number): number {
  return Math.floor(Math.max((sameOut(n, s) - 1) * s + K - n, 0) / 2);
}

/** 5x5 / 2 SAME conv of H x W x 3, HWIO w [5][5][3][Cout]. */
export function conv5x5s2c3(x: ArrayLike<number>, H: number, W: number, w: ArrayLike<number>, b: ArrayLike<number>, Cout: number, a: number): Float64Array {
  const OH = sameOut(H, 2), OW = sameOut(W, 2), pt = samePadBefore(H, 5, 2), pl = samePadBefore(W, 5, 2);
  const y = new Float64Array(OH * OW * Cout);
  for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let co = 0; co < Cout; co++) {
    let s = b[co];
    for (let ky = 0; ky < 5; ky++) for (let kx = 0; kx < 5; kx++) {
      const iy = oy * 2 - pt + ky, ix = ox * 2 - pl + kx;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      for (let ci = 0; ci < 3; ci++) s += x[(iy * W + ix) * 3 + ci] * w[((ky * 5 + kx) * 3 + ci) * Cout + co];
    }
    y[(oy * OW + ox) * Cout + co] = act(s, a);
  }
  return y;
}

/** Depthwise 3x3 SAME conv, stride 1 or 2, w [3][3][C]. */
export function dwconv3x3(x: ArrayLike<number>, H: number, W: number, C: number, w: ArrayLike<number>, b: ArrayLike<number>, stride: number, a: number): Float64Array {
  const OH = sameOut(H, stride), OW = sameOut(W, stride), pt = samePadBefore(H, 3, stride), pl = samePadBefore(W, 3, stride);
  const y = new Float64Array(OH * OW * C);
  for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let c = 0; c < C; c++) {
    let s = b[c];
    for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
      const iy = oy * stride - pt + ky, ix = ox * stride - pl + kx;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      s += x[(iy * W + ix) * C + c] * w[(ky * 3 + kx) * C + c];
    }
    y[(oy * OW + ox) * C + c] = act(s, a);
  }
  return y;
}

/** Skip path: identity or 2x2 / 2 max pool, channels zero-padded Cin -> Cout. */
export function padChannels(x: ArrayLike<number>, H: number, W: number, Cin: number, Cout: number, pool: number): Float64Array {
  const OH = H / pool, OW = W / pool;
  const y = new Float64Array(OH * OW * Cout);
  for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let c = 0; c < Cin; c++) {
    let m = -Infinity;
    for (let dy = 0; dy < pool; dy++) for (let dx = 0; dx < pool; dx++) m = Math.max(m, x[((oy * pool + dy) * W + ox * pool + dx) * Cin + c]);
    y[(oy * OW + ox) * Cout + c] = m;
  }
  return y;
}

/** Affine warp with ss x ss sub-samples per output pixel, bilinear taps, constant border (assembly/image/warp.ts). */
export function warpAffineU8(
  src: ArrayLike<number>, srcW: number, srcH: number, srcC: number, dstW: number, dstH: number,
  m: readonly number[], ss: number, scale: number, bias: number, border: number,
): Float64Array {
  const dst = new Float64Array(dstW * dstH * 3);
  const px = (x: number, y: number, ch: number) =>
    x < 0 || y < 0 || x >= srcW || y >= srcH ? border : src[(y * srcW + x) * srcC + (srcC === 1 ? 0 : ch)];
  for (let i = 0; i < dstH; i++) for (let j = 0; j < dstW; j++) for (let ch = 0; ch < 3; ch++) {
    let s = 0;
    for (let si = 0; si < ss; si++) for (let sj = 0; sj < ss; sj++) {
      const X = j + (sj + 0.5) / ss, Y = i + (si + 0.5) / ss;
      const fx = m[0] * X + m[1] * Y + m[2] - 0.5, fy = m[3] * X + m[4] * Y + m[5] - 0.5;
      const x0 = Math.floor(fx), y0 = Math.floor(fy), ax = fx - x0, ay = fy - y0;
      s += (px(x0, y0, ch) * (1 - ax) + px(x0 + 1, y0, ch) * ax) * (1 - ay) + (px(x0, y0 + 1, ch) * (1 - ax) + px(x0 + 1, y0 + 1, ch) * ax) * ay;
    }
    dst[(i * dstW + j) * 3 + ch] = (s / (ss * ss)) * scale + bias;
  }
  return dst;
}
