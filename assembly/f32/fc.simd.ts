// Fully connected layer, SIMD (f32x4 over output channels).
import { actv } from "./activation.simd";
import { actf } from "./activation";
import { checkF32, check, checkNoOverlap } from "../util/check";

/**
 * y[co] = act(b[co] + sum_ci x[ci] * w[ci * Cout + co]). x: Cin f32, w: Cin x Cout f32 (row
 * major, Cout fastest), b: Cout f32, y: Cout f32 (must not overlap x). Vectorised over Cout:
 * blocks of 16 (4 accumulators), then 4, then a scalar tail for Cout % 4. Each output is
 * accumulated from the bias in ci order, exactly as the scalar twin does (bit-identical results,
 * sigmoid included: it is applied lane by lane with the shared scalar helper).
 */
export function f32_fc__wasmsimd(x: usize, Cin: i32, w: usize, b: usize, y: usize, Cout: i32, act: i32): void {
  if (!ASC_NO_ASSERT) {
    check(Cin >= 1 && Cout >= 1, "f32_fc: Cin, Cout must be >= 1");
    check(act >= 0 && act <= 3, "f32_fc: act must be 0..3");
    checkF32(x, Cin, "f32_fc: x out of bounds or misaligned");
    checkF32(w, Cin * Cout, "f32_fc: w out of bounds or misaligned");
    checkF32(b, Cout, "f32_fc: b out of bounds or misaligned");
    checkF32(y, Cout, "f32_fc: y out of bounds or misaligned");
    checkNoOverlap(x, <usize>Cin << 2, y, <usize>Cout << 2, "f32_fc: y must not alias x");
  }
  const coutB = <usize>Cout << 2;
  let co = 0;
  for (; co + 16 <= Cout; co += 16) {
    const o = <usize>co << 2;
    let a0 = v128.load(b + o), a1 = v128.load(b + o, 16), a2 = v128.load(b + o, 32), a3 = v128.load(b + o, 48);
    let wp = w + o, xp = x;
    for (let ci = 0; ci < Cin; ci++) {
      const xv = v128.load_splat<f32>(xp);
      a0 = f32x4.add(a0, f32x4.mul(xv, v128.load(wp)));
      a1 = f32x4.add(a1, f32x4.mul(xv, v128.load(wp, 16)));
      a2 = f32x4.add(a2, f32x4.mul(xv, v128.load(wp, 32)));
      a3 = f32x4.add(a3, f32x4.mul(xv, v128.load(wp, 48)));
      xp += 4; wp += coutB;
    }
    v128.store(y + o, actv(a0, act)); v128.store(y + o, actv(a1, act), 16);
    v128.store(y + o, actv(a2, act), 32); v128.store(y + o, actv(a3, act), 48);
  }
  for (; co + 4 <= Cout; co += 4) {
    const o = <usize>co << 2;
    let a0 = v128.load(b + o);
    let wp = w + o, xp = x;
    for (let ci = 0; ci < Cin; ci++) {
      a0 = f32x4.add(a0, f32x4.mul(v128.load_splat<f32>(xp), v128.load(wp)));
      xp += 4; wp += coutB;
    }
    v128.store(y + o, actv(a0, act));
  }
  for (; co < Cout; co++) {
    const o = <usize>co << 2;
    let a = load<f32>(b + o);
    let wp = w + o, xp = x;
    for (let ci = 0; ci < Cin; ci++) { a += load<f32>(xp) * load<f32>(wp); xp += 4; wp += coutB; }
    store<f32>(y + o, actf(a, act));
  }
}
