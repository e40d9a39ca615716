// Factorised DAA head, scalar twin of head.simd.ts.
import { checkHeadArgs } from "./head.common";

/** One element: relu(u) for a channel of the positive group, min(u, 0) for the negative group. */
@inline function hinge(s: f32, t: f32, a: f32, b: f32, c: f32, pos: bool): f32 {
  const u = (s * a + t * b) + c;
  return pos ? Mathf.max(u, <f32>0) : Mathf.min(u, <f32>0);
}

/**
 * Factorised DAA head, scalar twin of `f32_daa_head__wasmsimd` (same arguments and formula:
 * out[j] = age - (lb + sum_p [sum_{f < Fpos} max(u, 0) + sum_{f >= Fpos} min(u, 0)]),
 * u = (s a + t bconst) + c). Partial sums are kept in 4 scalar accumulators per channel group,
 * indexed by the lane the SIMD variant would use, reduced as (l0 + l1) + (l2 + l3), plus the
 * scalar tails, positive group before negative group: bit-identical to the SIMD build.
 */
export function f32_daa_head__scalar(
  a: usize, bconst: usize, c: usize, HW: i32, F: i32, Fpos: i32,
  lb: f32, tpl_t: usize, tpl_s: usize, tpl_age: usize, T: i32, out: usize,
): void {
  checkHeadArgs(a, bconst, c, HW, F, Fpos, tpl_t, tpl_s, tpl_age, T, out);
  const fB = <usize>F << 2;
  const P4 = Fpos & ~3;
  const N4 = Fpos + ((F - Fpos) & ~3);
  for (let j = 0; j < T; j++) {
    const jo = <usize>j << 2;
    const s = load<f32>(tpl_s + jo), t = load<f32>(tpl_t + jo);
    let l0: f32 = 0, l1: f32 = 0, l2: f32 = 0, l3: f32 = 0, sc: f32 = 0;
    let ap = a, bp = bconst, cp = c;
    for (let p = 0; p < HW; p++) {
      let f = 0;
      for (; f < P4; f += 4) {
        const o = <usize>f << 2;
        l0 += hinge(s, t, load<f32>(ap + o), load<f32>(bp + o), load<f32>(cp + o), true);
        l1 += hinge(s, t, load<f32>(ap + o, 4), load<f32>(bp + o, 4), load<f32>(cp + o, 4), true);
        l2 += hinge(s, t, load<f32>(ap + o, 8), load<f32>(bp + o, 8), load<f32>(cp + o, 8), true);
        l3 += hinge(s, t, load<f32>(ap + o, 12), load<f32>(bp + o, 12), load<f32>(cp + o, 12), true);
      }
      for (; f < Fpos; f++) {
        const o = <usize>f << 2;
        sc += hinge(s, t, load<f32>(ap + o), load<f32>(bp + o), load<f32>(cp + o), true);
      }
      for (; f < N4; f += 4) {
        const o = <usize>f << 2;
        l0 += hinge(s, t, load<f32>(ap + o), load<f32>(bp + o), load<f32>(cp + o), false);
        l1 += hinge(s, t, load<f32>(ap + o, 4), load<f32>(bp + o, 4), load<f32>(cp + o, 4), false);
        l2 += hinge(s, t, load<f32>(ap + o, 8), load<f32>(bp + o, 8), load<f32>(cp + o, 8), false);
        l3 += hinge(s, t, load<f32>(ap + o, 12), load<f32>(bp + o, 12), load<f32>(cp + o, 12), false);
      }
      for (; f < F; f++) {
        const o = <usize>f << 2;
        sc += hinge(s, t, load<f32>(ap + o), load<f32>(bp + o), load<f32>(cp + o), false);
      }
      ap += fB; bp += fB; cp += fB;
    }
    store<f32>(out + jo, load<f32>(tpl_age + jo) - (lb + (((l0 + l1) + (l2 + l3)) + sc)));
  }
}
