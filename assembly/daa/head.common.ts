// Debug-build argument checks shared by every f32_daa_head variant.
import { checkF32, check } from "../util/check";

@inline export function checkHeadArgs(
  a: usize, bconst: usize, c: usize, HW: i32, F: i32, Fpos: i32,
  tpl_t: usize, tpl_s: usize, tpl_age: usize, T: i32, out: usize,
): void {
  if (!ASC_NO_ASSERT) {
    check(HW >= 1 && F >= 1 && T >= 0, "f32_daa_head: HW, F must be >= 1 and T >= 0");
    check(Fpos >= 0 && Fpos <= F, "f32_daa_head: Fpos must be in [0, F]");
    checkF32(a, HW * F, "f32_daa_head: a out of bounds or misaligned");
    checkF32(bconst, HW * F, "f32_daa_head: bconst out of bounds or misaligned");
    checkF32(c, HW * F, "f32_daa_head: c out of bounds or misaligned");
    checkF32(tpl_t, T, "f32_daa_head: tpl_t out of bounds or misaligned");
    checkF32(tpl_s, T, "f32_daa_head: tpl_s out of bounds or misaligned");
    checkF32(tpl_age, T, "f32_daa_head: tpl_age out of bounds or misaligned");
    checkF32(out, T, "f32_daa_head: out out of bounds or misaligned");
  }
}
