// Fully connected layer, scalar twin of fc.simd.ts (bit-identical results).
import { actf } from "./activation";
import { checkF32, check, checkNoOverlap } from "../util/check";

/** y[co] = act(b[co] + sum_ci x[ci] * w[ci * Cout + co]); scalar twin of `f32_fc__wasmsimd`
 *  (x Cin, w Cin x Cout, b / y Cout; outputs in blocks of 4 scalar accumulators, then a tail). */
export function f32_fc__scalar(x: usize, Cin: i32, w: usize, b: usize, y: usize, Cout: i32, act: i32): void {
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
  for (; co + 4 <= Cout; co += 4) {
    const o = <usize>co << 2;
    let a0 = load<f32>(b + o), a1 = load<f32>(b + o, 4), a2 = load<f32>(b + o, 8), a3 = load<f32>(b + o, 12);
    let wp = w + o, xp = x;
    for (let ci = 0; ci < Cin; ci++) {
      const xv = load<f32>(xp);
      a0 += xv * load<f32>(wp); a1 += xv * load<f32>(wp, 4);
      a2 += xv * load<f32>(wp, 8); a3 += xv * load<f32>(wp, 12);
      xp += 4; wp += coutB;
    }
    store<f32>(y + o, actf(a0, act)); store<f32>(y + o, actf(a1, act), 4);
    store<f32>(y + o, actf(a2, act), 8); store<f32>(y + o, actf(a3, act), 12);
  }
  for (; co < Cout; co++) {
    const o = <usize>co << 2;
    let a = load<f32>(b + o);
    let wp = w + o, xp = x;
    for (let ci = 0; ci < Cin; ci++) { a += load<f32>(xp) * load<f32>(wp); xp += 4; wp += coutB; }
    store<f32>(y + o, actf(a, act));
  }
}
