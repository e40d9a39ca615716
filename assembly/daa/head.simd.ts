// Factorised DAA head, SIMD over the decoder's output channels (the relaxed build fuses the two
// multiply-adds of each element with f32x4.relaxed_madd; ASC_FEATURE_RELAXED_SIMD is a
// compile-time constant, as in f32/conv2d.simd.ts).
import { checkHeadArgs } from "./head.common";

@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** max(u, 0) with u = (s a + t b) + c: two roundings each in the simd build, fused in the relaxed
 *  build. The max is i32x4.max_s on the bits (a float with the sign bit clear is >= 0 as an i32 and
 *  one with it set is < 0, so the result is u or +0, as Mathf.max(u, 0) gives for every non-NaN u,
 *  -0 included): V8's f32x4 max/pmax and the three f32 adds share the two FP-add pipes on x64,
 *  the integer max does not (the head measured 1.25x faster with it and three templates a pass). */
@inline function hinge4(s: v128, t: v128, a: v128, b: v128, c: v128): v128 {
  const u = ASC_FEATURE_RELAXED_SIMD
    ? f32x4.relaxed_madd(s, a, f32x4.relaxed_madd(t, b, c))
    : f32x4.add(f32x4.add(f32x4.mul(s, a), f32x4.mul(t, b)), c);
  return i32x4.max_s(u, i32x4.splat(0));
}

@inline function hinge1(s: f32, t: f32, a: f32, b: f32, c: f32): f32 {
  return Mathf.max((s * a + t * b) + c, <f32>0);
}

/**
 * Channel layout of one pixel, used by `triple` (F = 4 q + r):
 *   [0, P4)        vectors of the lw >= 0 group: added
 *   [P4, P4 + 4)   the vector that straddles Fpos (when Fpos % 4 != 0 and it is a whole vector):
 *                  multiplied by `sgn` (+1 for lanes < Fpos, -1 after), then added
 *   then up to F4  vectors of the lw < 0 group: subtracted
 *   [F4, F)        scalar tail, sign by f < Fpos
 */
@inline function sgnVector(Fpos: i32): v128 {
  const P4 = Fpos & ~3;
  return f32x4(
    P4 + 0 < Fpos ? 1 : -1, P4 + 1 < Fpos ? 1 : -1,
    P4 + 2 < Fpos ? 1 : -1, P4 + 3 < Fpos ? 1 : -1,
  );
}

/** Templates j .. j + n - 1 (n = 1..3) in one pass over a / bconst / c (each element vector is
 *  loaded once for three templates: 3 loads + 3 x (2 mul, 2 add, max, add) in the simd build; for
 *  n < 3 the missing slots repeat template j + n - 1 and are not stored). Three, not four: four
 *  templates' splats and accumulators do not fit V8's 16 xmm registers and spill. */
function triple(
  a: usize, bconst: usize, c: usize, HW: i32, F: i32, Fpos: i32, lb: f32,
  tpl_t: usize, tpl_s: usize, tpl_age: usize, j: i32, n: i32, out: usize,
): void {
  const jo = <usize>j << 2;
  const o1: usize = n > 1 ? 4 : 0, o2: usize = n > 2 ? 8 : o1;
  const s0 = load<f32>(tpl_s + jo), s1 = load<f32>(tpl_s + jo + o1), s2 = load<f32>(tpl_s + jo + o2);
  const t0 = load<f32>(tpl_t + jo), t1 = load<f32>(tpl_t + jo + o1), t2 = load<f32>(tpl_t + jo + o2);
  const vs0 = f32x4.splat(s0), vs1 = f32x4.splat(s1), vs2 = f32x4.splat(s2);
  const vt0 = f32x4.splat(t0), vt1 = f32x4.splat(t1), vt2 = f32x4.splat(t2);
  const sgn = sgnVector(Fpos);
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0);
  let sc0: f32 = 0, sc1: f32 = 0, sc2: f32 = 0;
  const fB = <usize>F << 2;
  const P4 = Fpos & ~3, F4 = F & ~3;
  const mixed = (Fpos & 3) != 0 && P4 < F4;
  let ap = a, bp = bconst, cp = c;
  for (let p = 0; p < HW; p++) {
    let f = 0;
    for (; f < P4; f += 4) {
      const o = <usize>f << 2;
      const va = v128.load(ap + o), vb = v128.load(bp + o), vc = v128.load(cp + o);
      acc0 = f32x4.add(acc0, hinge4(vs0, vt0, va, vb, vc));
      acc1 = f32x4.add(acc1, hinge4(vs1, vt1, va, vb, vc));
      acc2 = f32x4.add(acc2, hinge4(vs2, vt2, va, vb, vc));
    }
    if (mixed) {
      const o = <usize>f << 2;
      const va = v128.load(ap + o), vb = v128.load(bp + o), vc = v128.load(cp + o);
      acc0 = f32x4.add(acc0, f32x4.mul(hinge4(vs0, vt0, va, vb, vc), sgn));
      acc1 = f32x4.add(acc1, f32x4.mul(hinge4(vs1, vt1, va, vb, vc), sgn));
      acc2 = f32x4.add(acc2, f32x4.mul(hinge4(vs2, vt2, va, vb, vc), sgn));
      f += 4;
    }
    for (; f < F4; f += 4) {
      const o = <usize>f << 2;
      const va = v128.load(ap + o), vb = v128.load(bp + o), vc = v128.load(cp + o);
      acc0 = f32x4.sub(acc0, hinge4(vs0, vt0, va, vb, vc));
      acc1 = f32x4.sub(acc1, hinge4(vs1, vt1, va, vb, vc));
      acc2 = f32x4.sub(acc2, hinge4(vs2, vt2, va, vb, vc));
    }
    for (; f < F; f++) {
      const o = <usize>f << 2;
      const fa = load<f32>(ap + o), fb = load<f32>(bp + o), fc = load<f32>(cp + o);
      const h0 = hinge1(s0, t0, fa, fb, fc), h1 = hinge1(s1, t1, fa, fb, fc), h2 = hinge1(s2, t2, fa, fb, fc);
      if (f < Fpos) { sc0 += h0; sc1 += h1; sc2 += h2; } else { sc0 -= h0; sc1 -= h1; sc2 -= h2; }
    }
    ap += fB; bp += fB; cp += fB;
  }
  store<f32>(out + jo, load<f32>(tpl_age + jo) - (lb + (hsum(acc0) + sc0)));
  if (n > 1) store<f32>(out + jo, load<f32>(tpl_age + jo, 4) - (lb + (hsum(acc1) + sc1)), 4);
  if (n > 2) store<f32>(out + jo, load<f32>(tpl_age + jo, 8) - (lb + (hsum(acc2) + sc2)), 8);
}

/**
 * Factorised DAA head (docs/kernels.md `f32_daa_head`). a, bconst, c: HW x F f32 each (F
 * fastest), the decoder conv of N, of an all-ones map and of E with the AgeDecoder's linear layer
 * folded in (src/models/daa/head.ts foldDecoder: channel f scaled by |lw[f]| / HW, c = bias - Conv(E),
 * channels with lw >= 0 first, [0, Fpos), then the others). tpl_t, tpl_s, tpl_age, out: T f32
 * (out must not overlap the inputs). For each template j, with u = (s a + t bconst) + c:
 *   out[j] = age - (lb + sum_p [ sum_{f < Fpos} max(u, 0) - sum_{f >= Fpos} max(u, 0) ])
 * (lw relu(v) = sign(lw) max(|lw| v, 0), so the linear layer costs nothing per template).
 * Templates go three per pass over a / bconst / c (the last pass takes T % 3 if that is not 0).
 * Per pixel the channels are f32x4 vectors from channel 0 (see sgnVector for the one vector that straddles Fpos), then a
 * scalar tail of F % 4. Lane sums are reduced as (l0 + l1) + (l2 + l3), then the scalar tail is
 * added. No scratch memory. T == 0 is a no-op.
 */
export function f32_daa_head__wasmsimd(
  a: usize, bconst: usize, c: usize, HW: i32, F: i32, Fpos: i32,
  lb: f32, tpl_t: usize, tpl_s: usize, tpl_age: usize, T: i32, out: usize,
): void {
  checkHeadArgs(a, bconst, c, HW, F, Fpos, tpl_t, tpl_s, tpl_age, T, out);
  for (let j = 0; j < T; j += 3) triple(a, bconst, c, HW, F, Fpos, lb, tpl_t, tpl_s, tpl_age, j, min(3, T - j), out);
}
