// Naive DAA feature for one template, scalar twin of delta.simd.ts (bit-identical).
import { checkF32, check } from "../util/check";

/** y[p, c] = (s' * n[p, c] + t') - e[p, c]; scalar twin of `f32_daa_delta__wasmsimd`. */
export function f32_daa_delta__scalar(n: usize, e: usize, HW: i32, C: i32, s: usize, t: usize, perChannel: i32, y: usize): void {
  if (!ASC_NO_ASSERT) {
    check(HW >= 1 && C >= 1, "f32_daa_delta: HW, C must be >= 1");
    check(perChannel == 0 || perChannel == 1, "f32_daa_delta: perChannel must be 0 or 1");
    checkF32(n, HW * C, "f32_daa_delta: n out of bounds or misaligned");
    checkF32(e, HW * C, "f32_daa_delta: e out of bounds or misaligned");
    checkF32(y, HW * C, "f32_daa_delta: y out of bounds or misaligned");
    checkF32(s, perChannel != 0 ? C : 1, "f32_daa_delta: s out of bounds or misaligned");
    checkF32(t, perChannel != 0 ? C : 1, "f32_daa_delta: t out of bounds or misaligned");
  }
  const cB = <usize>C << 2;
  if (perChannel != 0) {
    let np = n, ep = e, yp = y;
    for (let p = 0; p < HW; p++) {
      for (let c = 0; c < C; c++) {
        const o = <usize>c << 2;
        store<f32>(yp + o, (load<f32>(s + o) * load<f32>(np + o) + load<f32>(t + o)) - load<f32>(ep + o));
      }
      np += cB; ep += cB; yp += cB;
    }
  } else {
    const sf = load<f32>(s), tf = load<f32>(t);
    const total = HW * C;
    for (let i = 0; i < total; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, (sf * load<f32>(n + o) + tf) - load<f32>(e + o));
    }
  }
}
