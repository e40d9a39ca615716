// Factorised DAA head, scalar twin of head.simd.ts.
import { checkHeadArgs } from "./head.common";

/**
 * Factorised DAA head, scalar twin of `f32_daa_head__wasmsimd` (same arguments and formula:
 * out[j] = age - (lb + (sum_p sum_f lw[f] * relu((s a + t bconst) + (bias - c))) / HW)).
 * Partial sums are kept in 4 scalar accumulators indexed by f % 4 (mirroring the SIMD lanes)
 * and reduced as (l0 + l1) + (l2 + l3), plus the F % 4 tail.
 */
export function f32_daa_head__scalar(
  a: usize, bconst: usize, c: usize, HW: i32, F: i32, bias: usize, lw: usize, lb: f32,
  tpl_t: usize, tpl_s: usize, tpl_age: usize, T: i32, out: usize,
): void {
  checkHeadArgs(a, bconst, c, HW, F, bias, lw, tpl_t, tpl_s, tpl_age, T, out);
  const fB = <usize>F << 2;
  const F4 = F & ~3;
  const hw = <f32>HW;
  for (let j = 0; j < T; j++) {
    const jo = <usize>j << 2;
    const s = load<f32>(tpl_s + jo), t = load<f32>(tpl_t + jo);
    let l0: f32 = 0, l1: f32 = 0, l2: f32 = 0, l3: f32 = 0, sc: f32 = 0;
    let ap = a, bp = bconst, cp = c;
    for (let p = 0; p < HW; p++) {
      let f = 0;
      for (; f < F4; f += 4) {
        const o = <usize>f << 2;
        l0 += load<f32>(lw + o) * Mathf.max((s * load<f32>(ap + o) + t * load<f32>(bp + o)) + (load<f32>(bias + o) - load<f32>(cp + o)), <f32>0);
        l1 += load<f32>(lw + o, 4) * Mathf.max((s * load<f32>(ap + o, 4) + t * load<f32>(bp + o, 4)) + (load<f32>(bias + o, 4) - load<f32>(cp + o, 4)), <f32>0);
        l2 += load<f32>(lw + o, 8) * Mathf.max((s * load<f32>(ap + o, 8) + t * load<f32>(bp + o, 8)) + (load<f32>(bias + o, 8) - load<f32>(cp + o, 8)), <f32>0);
        l3 += load<f32>(lw + o, 12) * Mathf.max((s * load<f32>(ap + o, 12) + t * load<f32>(bp + o, 12)) + (load<f32>(bias + o, 12) - load<f32>(cp + o, 12)), <f32>0);
      }
      for (; f < F; f++) {
        const o = <usize>f << 2;
        sc += load<f32>(lw + o) * Mathf.max((s * load<f32>(ap + o) + t * load<f32>(bp + o)) + (load<f32>(bias + o) - load<f32>(cp + o)), <f32>0);
      }
      ap += fB; bp += fB; cp += fB;
    }
    store<f32>(out + jo, load<f32>(tpl_age + jo) - (lb + (((l0 + l1) + (l2 + l3)) + sc) / hw));
  }
}
