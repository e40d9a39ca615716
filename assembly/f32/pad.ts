// f32_copy_padded: one implementation for every build (bulk-memory copies, no SIMD needed).
import { checkF32, check, checkNoOverlap } from "../util/check";

/**
 * Copies x (H x W x C f32, HWC) into the interior of y ((H + 2 pad) x (W + 2 pad) x C), one
 * memory.copy per row (each row of x is W * C contiguous floats; y's rows are (W + 2 pad) * C
 * floats apart and start pad pixels in). The border of y is never written: the caller zeroes it
 * once (the arena hands out zeroed memory) and then every convolution over y can run with pad 0,
 * so all its output pixels take the convolution's interior tiles. x and y must not overlap.
 */
export function f32_copy_padded(x: usize, H: i32, W: i32, C: i32, pad: i32, y: usize): void {
  if (!ASC_NO_ASSERT) {
    check(H >= 1 && W >= 1 && C >= 1 && pad >= 0, "f32_copy_padded: H, W, C must be >= 1 and pad >= 0");
    checkF32(x, H * W * C, "f32_copy_padded: x out of bounds or misaligned");
    checkF32(y, (H + 2 * pad) * (W + 2 * pad) * C, "f32_copy_padded: y out of bounds or misaligned");
    checkNoOverlap(x, <usize>(H * W * C) << 2, y, <usize>((H + 2 * pad) * (W + 2 * pad) * C) << 2, "f32_copy_padded: x and y overlap");
  }
  const rowX = <usize>(W * C) << 2;
  const rowY = <usize>((W + 2 * pad) * C) << 2;
  let yp = y + <usize>pad * rowY + (<usize>(pad * C) << 2);
  let xp = x;
  for (let r = 0; r < H; r++) {
    memory.copy(yp, xp, rowX);
    xp += rowX; yp += rowY;
  }
}
