// Shared by the qs8_conv3x3_winograd variants (all builds, no v128): scratch geometry and the
// debug-build argument checks.
//
// Exact integer Winograd F(2x2, 3x3) (docs/kernels.md `qs8_conv3x3_winograd`): per (ci, co) the
// weights are U' = (2G) g (2G)^T = 4 G g G^T (integers, |U'| <= 9 * 127 = 1143), per tile and ci
// the input is V = B^T d B (|V| <= 4 * 127 = 508), M = sum_ci V .* U' and Y' = A^T M A = 4 * the
// direct convolution's i32 accumulator; acc = Y' >> 2 (arithmetic shift, exact). Every step is a
// ring operation mod 2^32 (i32 wrapping), so Y' is exact whenever |4 * acc| < 2^31. With codes
// 0..127 and weights -127..127, |acc| <= 9 * Cs * 127^2, so Cs <= Q8W_MAX_CS = 3696 (the largest
// multiple of 4 with 4 * 9 * Cs * 127^2 < 2^31) is always exact. In fact nothing wraps then: every
// intermediate (M and the output transform's partial sums) is a sum over ci of terms bilinear in
// (d, g), each at most 4 * 9 * 127^2 in magnitude (a bilinear form is extreme at a vertex of the
// code box; checked exhaustively over d in {0, 127}^16, g in {-127, 127}^9).
import { check, checkF32, checkU8 } from "../util/check";

/** Tiles per group: one input transform pass fills V for this many 2x2 tiles (consecutive in
 *  row-major tile order, so a group may span tile rows), then every 8-channel block of weights is
 *  streamed over them. A multiple of 4 (the register tile is 4 tiles). 4 measured as fast as or
 *  faster than 8, 16 and 32 on ResNet18's layers (Node 20, relaxed build), even on 10x10 x 512
 *  where the 8 MB of weights are then streamed 4 times per call: V and M stay in L1. */
export const Q8W_GROUP: i32 = 4;

/** Largest Cs for which the i32 arithmetic is exact for every code (see above). */
export const Q8W_MAX_CS: i32 = 3696;

/** Bytes of V in scratch: [16 positions][Q8W_GROUP tiles][Cs] i16. */
@inline export function q8wVBytes(Cs: i32): usize {
  return <usize>(16 * Q8W_GROUP * Cs) << 1;
}

/** Bytes of scratch: V, then M [16 positions][Q8W_GROUP tiles][8 channels] i32 (one 8-channel
 *  block at a time). Independent of Cout (the parameter keeps the ABI free to change that). */
@inline export function q8wScratchBytes(Cs: i32, Cout: i32): usize {
  return q8wVBytes(Cs) + (<usize>(16 * Q8W_GROUP * 8) << 2);
}

/** Bytes of packed weights (src/quant.ts packQ8WinogradWeights): [ceil(Cout/8)][16][Cs/2][8][2] i16. */
@inline export function q8wWeightBytes(Cs: i32, Cout: i32): usize {
  return <usize>((Cout + 7) >> 3) * (<usize>(16 * Cs) << 4);
}

/** Debug-build validation of qs8_conv3x3_winograd arguments (compiles to nothing with --noAssert). */
@inline export function checkQ8WinoArgs(
  xq: usize, Hi: i32, Wi: i32, xW: i32, Cs: i32, uq: usize, Cout: i32, ms: usize, bias: usize, act: i32,
  res: usize, y: usize, yq: usize, yW: i32, yCs: i32, ws: usize,
): void {
  if (!ASC_NO_ASSERT) {
    check(Hi >= 1 && Wi >= 1 && Cs >= 4 && Cout >= 1, "qs8_conv3x3_winograd: Hi, Wi, Cout must be >= 1, Cs >= 4");
    check((Cs & 3) == 0, "qs8_conv3x3_winograd: Cs must be a multiple of 4");
    check(Cs <= Q8W_MAX_CS, "qs8_conv3x3_winograd: Cs must be <= 3696 (4 * the i32 accumulator must fit)");
    check(xW >= Wi, "qs8_conv3x3_winograd: xW must be >= Wi");
    check(act >= 0 && act <= 3, "qs8_conv3x3_winograd: act must be 0..3");
    check(y != 0 || yq != 0, "qs8_conv3x3_winograd: y and yq are both 0");
    check((uq & 1) == 0, "qs8_conv3x3_winograd: uq must be 2-byte aligned");
    check((ws & 3) == 0, "qs8_conv3x3_winograd: ws must be 4-byte aligned");
    const OH = Hi - 2, OW = Wi - 2;
    checkU8(xq, ((Hi - 1) * xW + Wi) * Cs, "qs8_conv3x3_winograd: xq out of bounds");
    checkU8(uq, <i32>q8wWeightBytes(Cs, Cout), "qs8_conv3x3_winograd: uq out of bounds");
    checkU8(ws, <i32>q8wScratchBytes(Cs, Cout), "qs8_conv3x3_winograd: ws out of bounds");
    checkF32(ms, Cout, "qs8_conv3x3_winograd: ms out of bounds or misaligned");
    checkF32(bias, Cout, "qs8_conv3x3_winograd: bias out of bounds or misaligned");
    if (OH > 0 && OW > 0) {
      if (y != 0) checkF32(y, OH * OW * Cout, "qs8_conv3x3_winograd: y out of bounds or misaligned");
      if (res != 0) checkF32(res, OH * OW * Cout, "qs8_conv3x3_winograd: res out of bounds or misaligned");
      if (yq != 0) {
        check(yW >= OW && yCs >= Cout && (yCs & 3) == 0, "qs8_conv3x3_winograd: yW >= OW, yCs >= Cout and yCs % 4 == 0 required");
        checkU8(yq, ((OH - 1) * yW + OW) * yCs, "qs8_conv3x3_winograd: yq out of bounds");
      }
    }
  }
}
