// f32_pad_channels, WebAssembly SIMD (scalar twin: padchannels.scalar.ts): channels in f32x4 blocks,
// scalar tail of Cin % 4; f32x4.max has f32.max's semantics, so both builds agree bit for bit.
import { checkF32, check, checkNoOverlap } from "../util/check";

/** See f32_pad_channels__scalar for the contract. */
export function f32_pad_channels__wasmsimd(x: usize, H: i32, W: i32, Cin: i32, y: usize, Cout: i32, pool: i32): void {
  if (!ASC_NO_ASSERT) {
    check(H >= 1 && W >= 1 && Cin >= 1 && Cout >= Cin && (pool == 1 || pool == 2), "f32_pad_channels: bad sizes or pool");
    check(pool == 1 || ((H & 1) == 0 && (W & 1) == 0), "f32_pad_channels: pool 2 needs even H and W");
    checkF32(x, H * W * Cin, "f32_pad_channels: x out of bounds or misaligned");
    checkF32(y, (H / pool) * (W / pool) * Cout, "f32_pad_channels: y out of bounds or misaligned");
    checkNoOverlap(x, <usize>(H * W * Cin) << 2, y, <usize>((H / pool) * (W / pool) * Cout) << 2, "f32_pad_channels: y must not alias x");
  }
  const OH = H / pool, OW = W / pool;
  const ciB = <usize>Cin << 2, coB = <usize>Cout << 2;
  const rowB = <usize>W * ciB;
  const C4 = Cin & ~3;
  let yp = y;
  for (let oy = 0; oy < OH; oy++) {
    let xp = x + <usize>(oy * pool) * rowB;
    for (let ox = 0; ox < OW; ox++) {
      let c = 0;
      if (pool == 1) {
        memory.copy(yp, xp, ciB);
        c = Cin;
      } else {
        for (; c < C4; c += 4) {
          const o = <usize>c << 2;
          const m = f32x4.max(f32x4.max(v128.load(xp + o), v128.load(xp + ciB + o)), f32x4.max(v128.load(xp + rowB + o), v128.load(xp + rowB + ciB + o)));
          v128.store(yp + o, m);
        }
        for (; c < Cin; c++) {
          const o = <usize>c << 2;
          const m = max(max(load<f32>(xp + o), load<f32>(xp + ciB + o)), max(load<f32>(xp + rowB + o), load<f32>(xp + rowB + ciB + o)));
          store<f32>(yp + o, m);
        }
      }
      if (Cout > Cin) memory.fill(yp + ciB, 0, coB - ciB);
      xp += <usize>pool * ciB;
      yp += coB;
    }
  }
}
