// Shared by the f32_conv3x3_winograd variants: argument checks (debug builds only).
import { checkF32, check } from "../util/check";

/** f32 elements of scratch: V [16][4][Cin] then M [16][4][8 ceil(Cout / 8)] (src/winograd.ts). */
@inline export function winoScratch(Cin: i32, Cout: i32): i32 {
  return 64 * (Cin + ((Cout + 7) & ~7));
}

@inline export function checkWinoArgs(
  x: usize, H: i32, W: i32, Cin: i32, u: usize, b: usize, y: usize, Cout: i32, act: i32, res: usize, ws: usize,
): void {
  if (!ASC_NO_ASSERT) {
    check(H >= 1 && W >= 1 && Cin >= 1 && Cout >= 1, "f32_conv3x3_winograd: H, W, Cin, Cout must be >= 1");
    check((Cin & 3) == 0 && (Cout & 3) == 0, "f32_conv3x3_winograd: Cin and Cout must be multiples of 4");
    check(act >= 0 && act <= 3, "f32_conv3x3_winograd: act must be 0..3");
    const OH = H - 2, OW = W - 2;
    checkF32(x, H * W * Cin, "f32_conv3x3_winograd: x out of bounds or misaligned");
    checkF32(u, ((Cout + 7) >> 3) * 16 * Cin * 8, "f32_conv3x3_winograd: u out of bounds or misaligned");
    checkF32(b, Cout, "f32_conv3x3_winograd: b out of bounds or misaligned");
    checkF32(ws, winoScratch(Cin, Cout), "f32_conv3x3_winograd: ws out of bounds or misaligned");
    if (OH > 0 && OW > 0) {
      checkF32(y, OH * OW * Cout, "f32_conv3x3_winograd: y out of bounds or misaligned");
      if (res != 0) checkF32(res, OH * OW * Cout, "f32_conv3x3_winograd: res out of bounds or misaligned");
    }
  }
}
