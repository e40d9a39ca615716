// Plain-loop TypeScript references for every kernel. Accumulation in f64 (JS numbers); inputs are
// the same f32 values the kernels see. Layouts and semantics: docs/kernels.md.

export type Act = 0 | 1 | 2 | 3;

export function act(v: number, code: number): number {
  switch (code) {
    case 1: return Math.max(v, 0);
    case 2: return (v * Math.min(Math.max(v + 3, 0), 6)) / 6; // divide by 6, as the kernels do
    case 3: return 1 / (1 + Math.exp(-v));
    default: return v;
  }
}

export function convOut(n: number, K: number, stride: number, pad: number): number {
  const span = n + 2 * pad - K;
  return span < 0 ? 0 : Math.floor(span / stride) + 1;
}

/** y = act(conv(x, w) + b + res); x HWC, w HWIO, zero padding. */
export function conv2d(
  x: ArrayLike<number>, H: number, W: number, Cin: number, w: ArrayLike<number>, b: ArrayLike<number> | null,
  Cout: number, K: number, stride: number, pad: number, actCode: number, res: ArrayLike<number> | null,
): { y: Float64Array; OH: number; OW: number } {
  const OH = convOut(H, K, stride, pad), OW = convOut(W, K, stride, pad);
  const y = new Float64Array(OH * OW * Cout);
  const acc = new Float64Array(Cout);
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      for (let co = 0; co < Cout; co++) acc[co] = b ? b[co] : 0;
      for (let ky = 0; ky < K; ky++) {
        const iy = oy * stride - pad + ky;
        if (iy < 0 || iy >= H) continue;
        for (let kx = 0; kx < K; kx++) {
          const ix = ox * stride - pad + kx;
          if (ix < 0 || ix >= W) continue;
          for (let ci = 0; ci < Cin; ci++) {
            const xv = x[(iy * W + ix) * Cin + ci];
            const wo = ((ky * K + kx) * Cin + ci) * Cout;
            for (let co = 0; co < Cout; co++) acc[co] += xv * w[wo + co];
          }
        }
      }
      const o = (oy * OW + ox) * Cout;
      for (let co = 0; co < Cout; co++) y[o + co] = act(acc[co] + (res ? res[o + co] : 0), actCode);
    }
  }
  return { y, OH, OW };
}

export function avgpool2x2(x: ArrayLike<number>, H: number, W: number, C: number): Float64Array {
  const OH = H >> 1, OW = W >> 1;
  const y = new Float64Array(OH * OW * C);
  for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let c = 0; c < C; c++) {
    const at = (yy: number, xx: number) => x[(yy * W + xx) * C + c];
    y[(oy * OW + ox) * C + c] = (at(2 * oy, 2 * ox) + at(2 * oy, 2 * ox + 1) + at(2 * oy + 1, 2 * ox) + at(2 * oy + 1, 2 * ox + 1)) / 4;
  }
  return y;
}

export function globalAvgpool(x: ArrayLike<number>, HW: number, C: number): Float64Array {
  const y = new Float64Array(C);
  for (let p = 0; p < HW; p++) for (let c = 0; c < C; c++) y[c] += x[p * C + c];
  for (let c = 0; c < C; c++) y[c] /= HW;
  return y;
}

export function scaleChannels(x: ArrayLike<number>, HW: number, C: number, s: ArrayLike<number>): Float64Array {
  const y = new Float64Array(HW * C);
  for (let p = 0; p < HW; p++) for (let c = 0; c < C; c++) y[p * C + c] = x[p * C + c] * s[c];
  return y;
}

/** In place per-channel PReLU as a copy: x > 0 ? x : alpha[c] * x, the product rounded to f32 once
 *  (exact in f64 for f32 operands, so Math.fround gives f32.mul's bits; NaN stays NaN, signed zeros as the multiply gives). */
export function prelu(x: ArrayLike<number>, HW: number, C: number, alpha: ArrayLike<number>): Float64Array {
  const y = new Float64Array(HW * C);
  for (let p = 0; p < HW; p++) for (let c = 0; c < C; c++) {
    const v = x[p * C + c];
    y[p * C + c] = v > 0 ? v : Math.fround(alpha[c] * v);
  }
  return y;
}

export function fc(x: ArrayLike<number>, Cin: number, w: ArrayLike<number>, b: ArrayLike<number>, Cout: number, actCode: number): Float64Array {
  const y = new Float64Array(Cout);
  for (let co = 0; co < Cout; co++) {
    let a = b[co];
    for (let ci = 0; ci < Cin; ci++) a += x[ci] * w[ci * Cout + co];
    y[co] = act(a, actCode);
  }
  return y;
}

/** mean and sqrt(unbiased var + eps), two passes in f64. */
export function channelStats(x: ArrayLike<number>, HW: number, C: number, eps: number): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(C), std = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let p = 0; p < HW; p++) s += x[p * C + c];
    const m = s / HW;
    let v = 0;
    for (let p = 0; p < HW; p++) { const d = x[p * C + c] - m; v += d * d; }
    mean[c] = m;
    std[c] = Math.sqrt((HW > 1 ? v / (HW - 1) : 0) + eps);
  }
  return { mean, std };
}

export function normalize(x: ArrayLike<number>, HW: number, C: number, mean: ArrayLike<number>, std: ArrayLike<number>): Float64Array {
  const y = new Float64Array(HW * C);
  for (let p = 0; p < HW; p++) for (let c = 0; c < C; c++) y[p * C + c] = (x[p * C + c] - mean[c]) / std[c];
  return y;
}

export function daaDelta(
  n: ArrayLike<number>, e: ArrayLike<number>, HW: number, C: number, s: ArrayLike<number>, t: ArrayLike<number>, perChannel: boolean,
): Float64Array {
  const y = new Float64Array(HW * C);
  for (let p = 0; p < HW; p++) for (let c = 0; c < C; c++) {
    const sc = perChannel ? s[c] : s[0], tc = perChannel ? t[c] : t[0];
    y[p * C + c] = sc * n[p * C + c] + tc - e[p * C + c];
  }
  return y;
}

export interface Templates { t: ArrayLike<number>; s: ArrayLike<number>; age: ArrayLike<number> }

/**
 * The factorised head with the linear layer folded in (docs/kernels.md f32_daa_head), in f64:
 * u = s a + t bconst + c; out[j] = age - (lb + sum_p [sum_{f < Fpos} max(u, 0) - sum_{f >= Fpos} max(u, 0)]).
 */
export function daaHead(
  a: ArrayLike<number>, bconst: ArrayLike<number>, c: ArrayLike<number>, HW: number, F: number, Fpos: number,
  lb: number, tpl: Templates, T: number,
): Float64Array {
  const out = new Float64Array(T);
  for (let j = 0; j < T; j++) {
    const t = tpl.t[j], s = tpl.s[j];
    let sum = 0;
    for (let p = 0; p < HW; p++) for (let f = 0; f < F; f++) {
      const o = p * F + f;
      const u = s * a[o] + t * bconst[o] + c[o];
      sum += f < Fpos ? Math.max(u, 0) : -Math.max(u, 0);
    }
    out[j] = tpl.age[j] - (lb + sum);
  }
  return out;
}

/** sum_p sum_f (|hinge(u)| + |s a| + |t bconst| + |c|) per template: the conditioning scale for tolerances. */
export function daaHeadScale(
  a: ArrayLike<number>, bconst: ArrayLike<number>, c: ArrayLike<number>, HW: number, F: number, tpl: Templates, T: number,
): Float64Array {
  const out = new Float64Array(T);
  for (let j = 0; j < T; j++) {
    let sum = 0;
    for (let p = 0; p < HW; p++) for (let f = 0; f < F; f++) {
      const o = p * F + f;
      const sa = tpl.s[j] * a[o], tb = tpl.t[j] * bconst[o];
      sum += Math.abs(sa + tb + c[o]) + Math.abs(sa) + Math.abs(tb) + Math.abs(c[o]);
    }
    out[j] = sum;
  }
  return out;
}

/**
 * The naive head the factorisation replaces: for every template build delta = s N + t - E
 * (scalar s, t), run the decoder conv (3x3, pad 1, stride 1, C -> F, HWIO weights) + bias + ReLU,
 * global-average-pool, then the linear layer; out = age - D.
 */
export function daaHeadNaive(
  N: ArrayLike<number>, E: ArrayLike<number>, H: number, W: number, C: number,
  wDec: ArrayLike<number>, bias: ArrayLike<number>, F: number, lw: ArrayLike<number>, lb: number, tpl: Templates, T: number,
): Float64Array {
  const HW = H * W;
  const out = new Float64Array(T);
  for (let j = 0; j < T; j++) {
    const delta = daaDelta(N, E, HW, C, [tpl.s[j]], [tpl.t[j]], false);
    const { y } = conv2d(delta, H, W, C, wDec, bias, F, 3, 1, 1, 1, null);
    const g = globalAvgpool(y, HW, F);
    let D = lb;
    for (let f = 0; f < F; f++) D += lw[f] * g[f];
    out[j] = tpl.age[j] - D;
  }
  return out;
}

/** Bilinear resize following docs/kernels.md step by step (f64 coordinates, f32 pixel arithmetic). */
export function resizeBilinearU8(
  src: ArrayLike<number>, srcW: number, srcH: number, srcC: number, dstW: number, dstH: number,
): Float32Array {
  const f = Math.fround;
  const dst = new Float32Array(dstW * dstH * 3);
  const ry = srcH / dstH, rx = srcW / dstW;
  for (let i = 0; i < dstH; i++) {
    const fy = ry * (i + 0.5) - 0.5;
    const y0 = Math.max(0, Math.floor(fy));
    const rf = f(fy - y0);
    const y1 = Math.min(srcH - 1, Math.ceil(fy));
    for (let j = 0; j < dstW; j++) {
      const fx = rx * (j + 0.5) - 0.5;
      const x0 = Math.max(0, Math.floor(fx));
      const cf = f(fx - x0);
      const x1 = Math.min(srcW - 1, Math.ceil(fx));
      for (let ch = 0; ch < 3; ch++) {
        const sc = srcC === 1 ? 0 : ch;
        const px = (yy: number, xx: number) => src[(yy * srcW + xx) * srcC + sc];
        const tl = px(y0, x0), tr = px(y0, x1), bl = px(y1, x0), br = px(y1, x1);
        const top = f(tl + f(f(tr - tl) * cf));
        const bot = f(bl + f(f(br - bl) * cf));
        const v = f(top + f(f(bot - top) * rf));
        dst[(i * dstW + j) * 3 + ch] = f(v / 255);
      }
    }
  }
  return dst;
}

// ---- int8 (docs/kernels.md "int8") ------------------------------------------------------------

const f = Math.fround;

/** Round half to even (f32x4.nearest / nearest<f32>). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The kernels' requantisation: nearest(f32(f32(v - off) * inv)) clamped to 0..127; NaN -> 0. */
export function quantCode(v: number, inv: number, off: number): number {
  const q = roundHalfEven(f(f(v - off) * inv));
  return q >= 0 ? Math.min(q, 127) : 0;
}

/** The activation in f32 steps exactly as the kernels do it (sigmoid in f64: compare with a tolerance). */
export function actF32(v: number, code: number): number {
  switch (code) {
    case 1: return v > 0 ? v : 0;
    case 2: return f(f(v * f(Math.min(Math.max(f(v + 3), 0), 6))) / 6);
    case 3: return f(1 / (1 + Math.exp(-v)));
    default: return v;
  }
}

/**
 * qs8_conv2d reference on unpadded, dense tensors: x codes H x W x Cin (0..127), w HWIO codes,
 * zero padding `pad`; exact integer accumulation, then the kernels' f32 epilogue step by step.
 */
export function qs8Conv2d(
  xq: ArrayLike<number>, H: number, W: number, Cin: number, wq: ArrayLike<number>, Cout: number, K: number, stride: number, pad: number,
  ms: ArrayLike<number>, b: ArrayLike<number>, actCode: number, res: ArrayLike<number> | null, yInv: number, yOff: number,
): { acc: Int32Array; y: Float32Array; q: Uint8Array; OH: number; OW: number } {
  const OH = convOut(H, K, stride, pad), OW = convOut(W, K, stride, pad);
  const acc = new Int32Array(OH * OW * Cout);
  const y = new Float32Array(OH * OW * Cout);
  const q = new Uint8Array(OH * OW * Cout);
  for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let co = 0; co < Cout; co++) {
    let a = 0;
    for (let ky = 0; ky < K; ky++) {
      const iy = oy * stride - pad + ky;
      if (iy < 0 || iy >= H) continue;
      for (let kx = 0; kx < K; kx++) {
        const ix = ox * stride - pad + kx;
        if (ix < 0 || ix >= W) continue;
        for (let ci = 0; ci < Cin; ci++) a += xq[(iy * W + ix) * Cin + ci] * wq[((ky * K + kx) * Cin + ci) * Cout + co];
      }
    }
    const o = (oy * OW + ox) * Cout + co;
    acc[o] = a;
    let v = f(f(f(a) * ms[co]) + b[co]);
    if (res) v = f(v + res[o]);
    v = actF32(v, actCode);
    y[o] = v;
    q[o] = quantCode(v, yInv, yOff);
  }
  return { acc, y, q, OH, OW };
}
