// Factorised DAA head, SIMD over the feature dimension F.
import { checkHeadArgs } from "./head.common";

@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/**
 * Factorised DAA head (docs/kernels.md `f32_daa_head`). a = Conv(N), bconst = Conv(1),
 * c = Conv(E): HW x F f32 each (F fastest); bias, lw: F f32; lb: scalar; tpl_t, tpl_s,
 * tpl_age, out: T f32 (out must not overlap the inputs). For each template j:
 *   D = lb + (sum_p sum_f lw[f] * relu((s * a[p,f] + t * bconst[p,f]) + (bias[f] - c[p,f]))) / HW
 *   out[j] = age - D
 * Templates are processed in pairs (one pass over a / bconst / c serves two templates), the
 * f loop is vectorised in f32x4 with relu = f32x4.max(v, 0), the F % 4 tail is scalar. The
 * per-lane partial sums are reduced as (l0 + l1) + (l2 + l3), then the scalar tail is added.
 * No scratch memory is used. T == 0 is a no-op.
 */
export function f32_daa_head__wasmsimd(
  a: usize, bconst: usize, c: usize, HW: i32, F: i32, bias: usize, lw: usize, lb: f32,
  tpl_t: usize, tpl_s: usize, tpl_age: usize, T: i32, out: usize,
): void {
  checkHeadArgs(a, bconst, c, HW, F, bias, lw, tpl_t, tpl_s, tpl_age, T, out);
  const fB = <usize>F << 2;
  const F4 = F & ~3;
  const zero = f32x4.splat(0);
  const hw = <f32>HW;
  let j = 0;
  for (; j + 2 <= T; j += 2) {
    const jo = <usize>j << 2;
    const s0 = load<f32>(tpl_s + jo), t0 = load<f32>(tpl_t + jo);
    const s1 = load<f32>(tpl_s + jo, 4), t1 = load<f32>(tpl_t + jo, 4);
    const vs0 = f32x4.splat(s0), vt0 = f32x4.splat(t0), vs1 = f32x4.splat(s1), vt1 = f32x4.splat(t1);
    let acc0 = zero, acc1 = zero;
    let sc0: f32 = 0, sc1: f32 = 0;
    let ap = a, bp = bconst, cp = c;
    for (let p = 0; p < HW; p++) {
      let f = 0;
      for (; f < F4; f += 4) {
        const o = <usize>f << 2;
        const va = v128.load(ap + o), vb = v128.load(bp + o);
        const cb = f32x4.sub(v128.load(bias + o), v128.load(cp + o));
        const w = v128.load(lw + o);
        const v0 = f32x4.add(f32x4.add(f32x4.mul(vs0, va), f32x4.mul(vt0, vb)), cb);
        const v1 = f32x4.add(f32x4.add(f32x4.mul(vs1, va), f32x4.mul(vt1, vb)), cb);
        acc0 = f32x4.add(acc0, f32x4.mul(w, f32x4.max(v0, zero)));
        acc1 = f32x4.add(acc1, f32x4.mul(w, f32x4.max(v1, zero)));
      }
      for (; f < F; f++) {
        const o = <usize>f << 2;
        const fa = load<f32>(ap + o), fb = load<f32>(bp + o);
        const cb = load<f32>(bias + o) - load<f32>(cp + o);
        const w = load<f32>(lw + o);
        sc0 += w * Mathf.max((s0 * fa + t0 * fb) + cb, <f32>0);
        sc1 += w * Mathf.max((s1 * fa + t1 * fb) + cb, <f32>0);
      }
      ap += fB; bp += fB; cp += fB;
    }
    store<f32>(out + jo, load<f32>(tpl_age + jo) - (lb + (hsum(acc0) + sc0) / hw));
    store<f32>(out + jo, load<f32>(tpl_age + jo, 4) - (lb + (hsum(acc1) + sc1) / hw), 4);
  }
  if (j < T) {
    const jo = <usize>j << 2;
    const s0 = load<f32>(tpl_s + jo), t0 = load<f32>(tpl_t + jo);
    const vs0 = f32x4.splat(s0), vt0 = f32x4.splat(t0);
    let acc0 = zero;
    let sc0: f32 = 0;
    let ap = a, bp = bconst, cp = c;
    for (let p = 0; p < HW; p++) {
      let f = 0;
      for (; f < F4; f += 4) {
        const o = <usize>f << 2;
        const cb = f32x4.sub(v128.load(bias + o), v128.load(cp + o));
        const v0 = f32x4.add(f32x4.add(f32x4.mul(vs0, v128.load(ap + o)), f32x4.mul(vt0, v128.load(bp + o))), cb);
        acc0 = f32x4.add(acc0, f32x4.mul(v128.load(lw + o), f32x4.max(v0, zero)));
      }
      for (; f < F; f++) {
        const o = <usize>f << 2;
        const cb = load<f32>(bias + o) - load<f32>(cp + o);
        sc0 += load<f32>(lw + o) * Mathf.max((s0 * load<f32>(ap + o) + t0 * load<f32>(bp + o)) + cb, <f32>0);
      }
      ap += fB; bp += fB; cp += fB;
    }
    store<f32>(out + jo, load<f32>(tpl_age + jo) - (lb + (hsum(acc0) + sc0) / hw));
  }
}
