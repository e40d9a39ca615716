// f32_pad_channels, WebAssembly SIMD (scalar twin: padchannels.scalar.ts): channels in f32x4 blocks,
// scalar tail of Cin % 4; f32x4.max has f32.max's semantics, so both builds agree bit for bit.
import { checkPadChannelsArgs, maxPool2Channels } from "./padchannels.common";

/** See f32_pad_channels__scalar for the contract. */
export function f32_pad_channels__wasmsimd(x: usize, H: i32, W: i32, Cin: i32, y: usize, Cout: i32, pool: i32): void {
  checkPadChannelsArgs(x, H, W, Cin, y, Cout, pool);
  const OH = H / pool, OW = W / pool;
  const ciB = <usize>Cin << 2, coB = <usize>Cout << 2;
  const rowB = <usize>W * ciB;
  const C4 = Cin & ~3;
  let yp = y;
  for (let oy = 0; oy < OH; oy++) {
    let xp = x + <usize>(oy * pool) * rowB;
    for (let ox = 0; ox < OW; ox++) {
      if (pool == 1) {
        memory.copy(yp, xp, ciB);
      } else {
        let c = 0;
        for (; c < C4; c += 4) {
          const o = <usize>c << 2;
          const m = f32x4.max(f32x4.max(v128.load(xp + o), v128.load(xp + ciB + o)), f32x4.max(v128.load(xp + rowB + o), v128.load(xp + rowB + ciB + o)));
          v128.store(yp + o, m);
        }
        maxPool2Channels(xp, ciB, rowB, yp, c, Cin);
      }
      if (Cout > Cin) memory.fill(yp + ciB, 0, coB - ciB);
      xp += <usize>pool * ciB;
      yp += coB;
    }
  }
}
