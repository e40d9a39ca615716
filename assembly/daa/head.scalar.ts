// Factorised DAA head, scalar twin of head.simd.ts.
import { checkHeadArgs } from "./head.common";

@inline function hinge(s: f32, t: f32, a: f32, b: f32, c: f32): f32 {
  return Mathf.max((s * a + t * b) + c, <f32>0);
}

/**
 * Factorised DAA head, scalar twin of `f32_daa_head__wasmsimd` (same arguments and formula:
 * out[j] = age - (lb + sum_p [sum_{f < Fpos} max(u, 0) - sum_{f >= Fpos} max(u, 0)]),
 * u = (s a + t bconst) + c). Partial sums are kept in 4 scalar accumulators, indexed by the lane
 * the SIMD variant would use for channel f < F & ~3 (f & 3), each adding or subtracting its
 * channel's term in channel order, reduced as (l0 + l1) + (l2 + l3), plus the scalar tail
 * f >= F & ~3: bit-identical to the SIMD build (x + (-1 * h) == x - h exactly).
 */
export function f32_daa_head__scalar(
  a: usize, bconst: usize, c: usize, HW: i32, F: i32, Fpos: i32,
  lb: f32, tpl_t: usize, tpl_s: usize, tpl_age: usize, T: i32, out: usize,
): void {
  checkHeadArgs(a, bconst, c, HW, F, Fpos, tpl_t, tpl_s, tpl_age, T, out);
  const fB = <usize>F << 2;
  const F4 = F & ~3;
  for (let j = 0; j < T; j++) {
    const jo = <usize>j << 2;
    const s = load<f32>(tpl_s + jo), t = load<f32>(tpl_t + jo);
    let l0: f32 = 0, l1: f32 = 0, l2: f32 = 0, l3: f32 = 0, sc: f32 = 0;
    let ap = a, bp = bconst, cp = c;
    for (let p = 0; p < HW; p++) {
      let f = 0;
      for (; f < F4; f += 4) {
        const o = <usize>f << 2;
        const h0 = hinge(s, t, load<f32>(ap + o), load<f32>(bp + o), load<f32>(cp + o));
        const h1 = hinge(s, t, load<f32>(ap + o, 4), load<f32>(bp + o, 4), load<f32>(cp + o, 4));
        const h2 = hinge(s, t, load<f32>(ap + o, 8), load<f32>(bp + o, 8), load<f32>(cp + o, 8));
        const h3 = hinge(s, t, load<f32>(ap + o, 12), load<f32>(bp + o, 12), load<f32>(cp + o, 12));
        if (f < Fpos) l0 += h0; else l0 -= h0;
        if (f + 1 < Fpos) l1 += h1; else l1 -= h1;
        if (f + 2 < Fpos) l2 += h2; else l2 -= h2;
        if (f + 3 < Fpos) l3 += h3; else l3 -= h3;
      }
      for (; f < F; f++) {
        const o = <usize>f << 2;
        const h = hinge(s, t, load<f32>(ap + o), load<f32>(bp + o), load<f32>(cp + o));
        if (f < Fpos) sc += h; else sc -= h;
      }
      ap += fB; bp += fB; cp += fB;
    }
    store<f32>(out + jo, load<f32>(tpl_age + jo) - (lb + (((l0 + l1) + (l2 + l3)) + sc)));
  }
}
