// Training-side elementwise / reduction kernels for tfjs-backend-wasm (f32, byte pointers,
// 4-byte aligned; tensors in tfjs's heap, scratch from the caller). WebAssembly SIMD.

const CHUNK: i32 = 128;

/**
 * out[m, n] = scale * sum_r x[m, r, n]   (x [M,R,N] row-major). N == 1: row sums; else column
 * sums over r, vectorised over n, accumulated in `acc` (N floats of scratch) over chunks of CHUNK
 * rows and then added to the output row (limits the f32 rounding drift of long sums).
 */
export function reduce_sum_mrn(x: usize, out: usize, acc: usize, M: i32, R: i32, N: i32, scale: f32): void {
  if (N == 1) {
    for (let m = 0; m < M; m++) {
      const row = x + ((<usize>m * <usize>R) << 2);
      let tot: f32 = 0;
      for (let r0 = 0; r0 < R; r0 += 1024) {
        const r1 = min(R, r0 + 1024);
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
        let r = r0;
        for (; r + 8 <= r1; r += 8) {
          a0 = f32x4.add(a0, v128.load(row + (<usize>r << 2)));
          a1 = f32x4.add(a1, v128.load(row + (<usize>r << 2), 16));
        }
        a0 = f32x4.add(a0, a1);
        let s: f32 = f32x4.extract_lane(a0, 0) + f32x4.extract_lane(a0, 1) + f32x4.extract_lane(a0, 2) + f32x4.extract_lane(a0, 3);
        for (; r < r1; r++) s += load<f32>(row + (<usize>r << 2));
        tot += s;
      }
      store<f32>(out + (<usize>m << 2), tot * scale);
    }
    return;
  }
  const nB = <usize>N << 2;
  const N4 = N & ~3;
  for (let m = 0; m < M; m++) {
    const o = out + <usize>m * nB;
    memory.fill(o, 0, nB);
    const xm = x + <usize>m * <usize>R * nB;
    for (let r0 = 0; r0 < R; r0 += CHUNK) {
      const r1 = min(R, r0 + CHUNK);
      memory.fill(acc, 0, nB);
      for (let r = r0; r < r1; r++) {
        const xr = xm + <usize>r * nB;
        let n = 0;
        for (; n < N4; n += 4) {
          const p = <usize>n << 2;
          v128.store(acc + p, f32x4.add(v128.load(acc + p), v128.load(xr + p)));
        }
        for (; n < N; n++) {
          const p = <usize>n << 2;
          store<f32>(acc + p, load<f32>(acc + p) + load<f32>(xr + p));
        }
      }
      for (let n = 0; n < N; n++) {
        const p = <usize>n << 2;
        store<f32>(o + p, load<f32>(o + p) + load<f32>(acc + p));
      }
    }
    if (scale != 1) for (let n = 0; n < N; n++) store<f32>(o + (<usize>n << 2), load<f32>(o + (<usize>n << 2)) * scale);
  }
}

/** out[m, r, n] = scale * x[m, n]   (the gradient of a reduction: broadcast back). */
export function broadcast_mrn(x: usize, out: usize, M: i32, R: i32, N: i32, scale: f32): void {
  const nB = <usize>N << 2;
  const N4 = N & ~3;
  const sv = f32x4.splat(scale);
  for (let m = 0; m < M; m++) {
    const xm = x + <usize>m * nB;
    let o = out + <usize>m * <usize>R * nB;
    if (N == 1) {
      const v = f32x4.splat(load<f32>(xm) * scale);
      let r = 0;
      for (; r + 4 <= R; r += 4) { v128.store(o, v); o += 16; }
      for (; r < R; r++) { store<f32>(o, load<f32>(xm) * scale); o += 4; }
      continue;
    }
    for (let r = 0; r < R; r++) {
      let n = 0;
      for (; n < N4; n += 4) v128.store(o + (<usize>n << 2), f32x4.mul(v128.load(xm + (<usize>n << 2)), sv));
      for (; n < N; n++) store<f32>(o + (<usize>n << 2), load<f32>(xm + (<usize>n << 2)) * scale);
      o += nB;
    }
  }
}

/**
 * The gradient of tfjs's FusedBatchNorm with per-channel (rank-1) mean/variance/scale, x and dy
 * [P, C]; same formulas as tfjs-core's fusedBatchNormGradConfig, one pass over x and dy:
 *   inv = 1/sqrt(var + eps); dx = dy * inv * scale; doffset = sum dy; S = sum dy * (x - mean);
 *   dmean = -inv * scale * sum dy; dvar = -0.5 * inv^3 * scale * S; dscale = inv * S.
 * scratch: 4*C floats. Any output pointer may be 0 (not wanted).
 */
export function batchnorm_grad(
  x: usize, dy: usize, mean: usize, variance: usize, scale: usize,
  dx: usize, dmean: usize, dvar: usize, dscale: usize, doffset: usize,
  scratch: usize, P: i32, C: i32, eps: f32,
): void {
  const cB = <usize>C << 2;
  const a1 = scratch, a2 = scratch + cB, t1 = scratch + 2 * cB, t2 = scratch + 3 * cB;
  memory.fill(t1, 0, 2 * cB);
  const C4 = C & ~3;
  // dx first (needs only inv*scale per channel): use a1 as the per-channel multiplier
  if (dx != 0) {
    for (let c = 0; c < C; c++) {
      const p = <usize>c << 2;
      const inv: f32 = <f32>1 / Mathf.sqrt(load<f32>(variance + p) + eps);
      store<f32>(a1 + p, inv * (scale != 0 ? load<f32>(scale + p) : 1));
    }
    for (let i = 0; i < P; i++) {
      const o = <usize>i * cB;
      let c = 0;
      for (; c < C4; c += 4) {
        const p = <usize>c << 2;
        v128.store(dx + o + p, f32x4.mul(v128.load(dy + o + p), v128.load(a1 + p)));
      }
      for (; c < C; c++) {
        const p = <usize>c << 2;
        store<f32>(dx + o + p, load<f32>(dy + o + p) * load<f32>(a1 + p));
      }
    }
  }
  for (let i0 = 0; i0 < P; i0 += CHUNK) {
    const i1 = min(P, i0 + CHUNK);
    memory.fill(a1, 0, 2 * cB);
    for (let i = i0; i < i1; i++) {
      const o = <usize>i * cB;
      let c = 0;
      for (; c < C4; c += 4) {
        const p = <usize>c << 2;
        const d = v128.load(dy + o + p);
        v128.store(a1 + p, f32x4.add(v128.load(a1 + p), d));
        v128.store(a2 + p, f32x4.add(v128.load(a2 + p), f32x4.mul(d, f32x4.sub(v128.load(x + o + p), v128.load(mean + p)))));
      }
      for (; c < C; c++) {
        const p = <usize>c << 2;
        const d = load<f32>(dy + o + p);
        store<f32>(a1 + p, load<f32>(a1 + p) + d);
        store<f32>(a2 + p, load<f32>(a2 + p) + d * (load<f32>(x + o + p) - load<f32>(mean + p)));
      }
    }
    for (let c = 0; c < C; c++) {
      const p = <usize>c << 2;
      store<f32>(t1 + p, load<f32>(t1 + p) + load<f32>(a1 + p));
      store<f32>(t2 + p, load<f32>(t2 + p) + load<f32>(a2 + p));
    }
  }
  for (let c = 0; c < C; c++) {
    const p = <usize>c << 2;
    const inv: f32 = <f32>1 / Mathf.sqrt(load<f32>(variance + p) + eps);
    const g: f32 = scale != 0 ? load<f32>(scale + p) : 1;
    const sdy = load<f32>(t1 + p), sxm = load<f32>(t2 + p);
    if (doffset != 0) store<f32>(doffset + p, sdy);
    if (dmean != 0) store<f32>(dmean + p, -inv * g * sdy);
    if (dvar != 0) store<f32>(dvar + p, inv * inv * inv * <f32>-0.5 * g * sxm);
    if (dscale != 0) store<f32>(dscale + p, inv * sxm);
  }
}

/** dx = dy where 0 < x <= 6, else 0 (the gradient of relu6). */
export function relu6_grad(x: usize, dy: usize, dx: usize, n: i32): void {
  const z = f32x4.splat(0), six = f32x4.splat(6);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = <usize>i << 2;
    const xv = v128.load(x + p);
    const m = v128.and(f32x4.gt(xv, z), f32x4.le(xv, six));
    v128.store(dx + p, v128.and(v128.load(dy + p), m));
  }
  for (; i < n; i++) {
    const p = <usize>i << 2;
    const xv = load<f32>(x + p);
    store<f32>(dx + p, xv > 0 && xv <= 6 ? load<f32>(dy + p) : 0);
  }
}

/** The gradient of a 2x2 / stride 2 / valid average pool: dx [B,H,W,C] from dy [B,OH,OW,C]. */
export function avgpool2_grad(dy: usize, dx: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32): void {
  const cB = <usize>C << 2;
  const C4 = C & ~3;
  const q = f32x4.splat(0.25);
  memory.fill(dx, 0, <usize>B * <usize>H * <usize>W * cB);
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++) {
      const r0 = dx + (<usize>((b * H + 2 * oy) * W)) * cB;
      const r1 = r0 + <usize>W * cB;
      const dr = dy + (<usize>((b * OH + oy) * OW)) * cB;
      for (let ox = 0; ox < OW; ox++) {
        const d = dr + <usize>ox * cB;
        const p0 = r0 + <usize>(2 * ox) * cB, p1 = r1 + <usize>(2 * ox) * cB;
        let c = 0;
        for (; c < C4; c += 4) {
          const o = <usize>c << 2;
          const v = f32x4.mul(v128.load(d + o), q);
          v128.store(p0 + o, v); v128.store(p0 + cB + o, v);
          v128.store(p1 + o, v); v128.store(p1 + cB + o, v);
        }
        for (; c < C; c++) {
          const o = <usize>c << 2;
          const v = load<f32>(d + o) * <f32>0.25;
          store<f32>(p0 + o, v); store<f32>(p0 + cB + o, v);
          store<f32>(p1 + o, v); store<f32>(p1 + cB + o, v);
        }
      }
    }
}

/** y = (x - mean) * (scale / sqrt(var + eps)) + offset, per channel (x [P, C]); scratch: 2*C floats. */
export function batchnorm_fwd(
  x: usize, mean: usize, variance: usize, scale: usize, offset: usize, y: usize, scratch: usize, P: i32, C: i32, eps: f32,
): void {
  const cB = <usize>C << 2;
  const mul = scratch, add = scratch + cB;
  for (let c = 0; c < C; c++) {
    const p = <usize>c << 2;
    const k: f32 = (scale != 0 ? load<f32>(scale + p) : 1) / Mathf.sqrt(load<f32>(variance + p) + eps);
    store<f32>(mul + p, k);
    store<f32>(add + p, offset != 0 ? load<f32>(offset + p) : 0);
  }
  const C4 = C & ~3;
  for (let i = 0; i < P; i++) {
    const o = <usize>i * cB;
    let c = 0;
    for (; c < C4; c += 4) {
      const p = <usize>c << 2;
      v128.store(y + o + p, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + o + p), v128.load(mean + p)), v128.load(mul + p)), v128.load(add + p)));
    }
    for (; c < C; c++) {
      const p = <usize>c << 2;
      store<f32>(y + o + p, (load<f32>(x + o + p) - load<f32>(mean + p)) * load<f32>(mul + p) + load<f32>(add + p));
    }
  }
}

/**
 * The gradients of a per-channel PReLU y = x > 0 ? x : alpha[c] x over x [P, C]:
 *   dx[p, c] = x > 0 ? dy : alpha[c] dy,   dalpha[c] = sum_p (x > 0 ? 0 : x dy).
 * dalpha sums chunks of 256 pixels in f32 (scratch: C f32) and the chunks in f64 (scratch + 4C: C f64,
 * 8-byte aligned when scratch is 16-aligned and C is even, else read unaligned: wasm allows it).
 */
export function prelu_grad(x: usize, alpha: usize, dy: usize, dx: usize, dalpha: usize, scratch: usize, P: i32, C: i32): void {
  const cB = <usize>C << 2;
  const part = scratch, total = scratch + cB;
  const C4 = C & ~3;
  const z = f32x4.splat(0);
  memory.fill(total, 0, <usize>C << 3);
  for (let p0 = 0; p0 < P; p0 += 256) {
    const p1 = min(P, p0 + 256);
    memory.fill(part, 0, cB);
    for (let p = p0; p < p1; p++) {
      const row = <usize>p * cB;
      let c = 0;
      for (; c < C4; c += 4) {
        const o = <usize>c << 2;
        const xv = v128.load(x + row + o), d = v128.load(dy + row + o);
        const pos = f32x4.gt(xv, z);
        v128.store(dx + row + o, v128.bitselect(d, f32x4.mul(d, v128.load(alpha + o)), pos));
        v128.store(part + o, f32x4.add(v128.load(part + o), v128.andnot(f32x4.mul(d, xv), pos)));
      }
      for (; c < C; c++) {
        const o = <usize>c << 2;
        const xv = load<f32>(x + row + o), d = load<f32>(dy + row + o);
        if (xv > 0) store<f32>(dx + row + o, d);
        else {
          store<f32>(dx + row + o, d * load<f32>(alpha + o));
          store<f32>(part + o, load<f32>(part + o) + d * xv);
        }
      }
    }
    for (let c = 0; c < C; c++) store<f64>(total + (<usize>c << 3), load<f64>(total + (<usize>c << 3)) + <f64>load<f32>(part + (<usize>c << 2)));
  }
  for (let c = 0; c < C; c++) store<f32>(dalpha + (<usize>c << 2), <f32>load<f64>(total + (<usize>c << 3)));
}

/**
 * The gradient of a 2x2 / stride 2 / valid max pool: dx [B,H,W,C] from dy [B,OH,OW,C] and the
 * input x. Each window's dy goes to its first maximum in the order (0,0), (0,1), (1,0), (1,1), as
 * tfjs's cpu backend picks it (a later tap takes it only when strictly greater; a NaN tap never
 * does). tfjs-backend-wasm 4.22's own MaxPoolGrad sends the gradient of a window whose values are
 * all negative to its first tap, maximum or not (test/train-kernels/parity.test.ts shows it).
 */
export function maxpool2_grad(x: usize, dy: usize, dx: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32): void {
  const cB = <usize>C << 2;
  const C4 = C & ~3;
  memory.fill(dx, 0, <usize>B * <usize>H * <usize>W * cB);
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++) {
      const rowOff = (<usize>((b * H + 2 * oy) * W)) * cB;
      const x0 = x + rowOff, x1 = x0 + <usize>W * cB;
      const d0 = dx + rowOff, d1 = d0 + <usize>W * cB;
      const dr = dy + (<usize>((b * OH + oy) * OW)) * cB;
      for (let ox = 0; ox < OW; ox++) {
        const d = dr + <usize>ox * cB;
        const o00 = <usize>(2 * ox) * cB, o01 = o00 + cB;
        let c = 0;
        for (; c < C4; c += 4) {
          const o = <usize>c << 2;
          const a = v128.load(x0 + o00 + o), bq = v128.load(x0 + o01 + o), cq = v128.load(x1 + o00 + o), dq = v128.load(x1 + o01 + o);
          // running maximum and which tap holds it, lane by lane
          const gb = f32x4.gt(bq, a);
          const m1 = v128.bitselect(bq, a, gb);
          const gc = f32x4.gt(cq, m1);
          const m2 = v128.bitselect(cq, m1, gc);
          const gd = f32x4.gt(dq, m2);
          // tap d wins where gd; else c where gc; else b where gb; else a
          const selD = gd, selC = v128.andnot(gc, gd), selB = v128.andnot(gb, v128.or(gc, gd)), selA = v128.not(v128.or(gb, v128.or(gc, gd)));
          const g = v128.load(d + o);
          v128.store(d0 + o00 + o, v128.and(g, selA));
          v128.store(d0 + o01 + o, v128.and(g, selB));
          v128.store(d1 + o00 + o, v128.and(g, selC));
          v128.store(d1 + o01 + o, v128.and(g, selD));
        }
        for (; c < C; c++) {
          const o = <usize>c << 2;
          let best = load<f32>(x0 + o00 + o);
          let at: usize = d0 + o00;
          const v1 = load<f32>(x0 + o01 + o);
          if (v1 > best) { best = v1; at = d0 + o01; }
          const v2 = load<f32>(x1 + o00 + o);
          if (v2 > best) { best = v2; at = d1 + o00; }
          const v3 = load<f32>(x1 + o01 + o);
          if (v3 > best) { best = v3; at = d1 + o01; }
          store<f32>(at + o, load<f32>(d + o));
        }
      }
    }
}
