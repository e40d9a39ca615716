// Pixel loads shared by the SIMD image kernels (image/resize.simd.ts, image/warp.simd.ts): one
// source pixel of a u8 image as an f32x4 whose lanes 0-2 are its channels (lane 3 is alpha or the
// next pixel's first byte, computed and never stored).

/** The 4 bytes at p as f32x4 (u8 -> u16 -> u32 -> f32, exact; the signed conversion is one cvtdq2ps on x64, the unsigned one an emulation, and 0..255 is the same either way). */
@inline export function px4(p: usize): v128 {
  return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p))));
}

/** Channels 0-2 of the pixel at p: RGB(A) -> 4 bytes at once, except a 3-channel pixel whose 4th
 *  byte would be past the end of src (bytes one at a time); gray -> the byte in every lane (the
 *  scalar kernels read it thrice). */
@inline export function pixel(p: usize, srcC: i32, srcEnd: usize): v128 {
  if (srcC == 1) return f32x4.splat(<f32>load<u8>(p));
  if (p + 4 <= srcEnd) return px4(p);
  let v = f32x4.splat(<f32>load<u8>(p));
  v = f32x4.replace_lane(v, 1, <f32>load<u8>(p, 1));
  return f32x4.replace_lane(v, 2, <f32>load<u8>(p, 2));
}
