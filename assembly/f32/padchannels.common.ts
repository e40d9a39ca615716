// Shared (scalar-only) code of f32_pad_channels, for both builds: debug-build argument checks and
// the 2x2 max of channels c..Cin of one output pixel (the scalar twin's loop, the SIMD twin's tail).
import { checkF32, check, checkNoOverlap } from "../util/check";

/** Debug-build validation of f32_pad_channels arguments (compiles to nothing with --noAssert). */
@inline export function checkPadChannelsArgs(x: usize, H: i32, W: i32, Cin: i32, y: usize, Cout: i32, pool: i32): void {
  if (!ASC_NO_ASSERT) {
    check(H >= 1 && W >= 1 && Cin >= 1 && Cout >= Cin && (pool == 1 || pool == 2), "f32_pad_channels: bad sizes or pool");
    check(pool == 1 || ((H & 1) == 0 && (W & 1) == 0), "f32_pad_channels: pool 2 needs even H and W");
    checkF32(x, H * W * Cin, "f32_pad_channels: x out of bounds or misaligned");
    checkF32(y, (H / pool) * (W / pool) * Cout, "f32_pad_channels: y out of bounds or misaligned");
    checkNoOverlap(x, <usize>(H * W * Cin) << 2, y, <usize>((H / pool) * (W / pool) * Cout) << 2, "f32_pad_channels: y must not alias x");
  }
}

/** y[c] = max of the 2x2 window at xp (row pitch rowB, pixel pitch ciB) for channels c..Cin (f32.max). */
@inline export function maxPool2Channels(xp: usize, ciB: usize, rowB: usize, yp: usize, c: i32, Cin: i32): void {
  for (; c < Cin; c++) {
    const o = <usize>c << 2;
    const m = max(max(load<f32>(xp + o), load<f32>(xp + ciB + o)), max(load<f32>(xp + rowB + o), load<f32>(xp + rowB + ciB + o)));
    store<f32>(yp + o, m);
  }
}
