// Naive DAA feature for one template, SIMD over channels.
import { checkF32, check } from "../util/check";

/**
 * y[p, c] = (s' * n[p, c] + t') - e[p, c], with s' = s[c], t' = t[c] when perChannel == 1,
 * else s' = s[0], t' = t[0]. n, e, y: HW x C f32 (y may equal n or e, must not partially
 * overlap them); s, t: C f32 (perChannel) or 1 f32. Vectorised over C, scalar tail for C % 4;
 * same operation order as the scalar twin (bit-identical).
 */
export function f32_daa_delta__wasmsimd(n: usize, e: usize, HW: i32, C: i32, s: usize, t: usize, perChannel: i32, y: usize): void {
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
  const C4 = C & ~3;
  if (perChannel != 0) {
    let np = n, ep = e, yp = y;
    for (let p = 0; p < HW; p++) {
      let c = 0;
      for (; c < C4; c += 4) {
        const o = <usize>c << 2;
        const v = f32x4.add(f32x4.mul(v128.load(s + o), v128.load(np + o)), v128.load(t + o));
        v128.store(yp + o, f32x4.sub(v, v128.load(ep + o)));
      }
      for (; c < C; c++) {
        const o = <usize>c << 2;
        store<f32>(yp + o, (load<f32>(s + o) * load<f32>(np + o) + load<f32>(t + o)) - load<f32>(ep + o));
      }
      np += cB; ep += cB; yp += cB;
    }
  } else {
    const sf = load<f32>(s), tf = load<f32>(t);
    const sv = f32x4.splat(sf), tv = f32x4.splat(tf);
    const total = HW * C;
    const T4 = total & ~3;
    let i = 0;
    for (; i < T4; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.sub(f32x4.add(f32x4.mul(sv, v128.load(n + o)), tv), v128.load(e + o)));
    }
    for (; i < total; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, (sf * load<f32>(n + o) + tf) - load<f32>(e + o));
    }
  }
}
