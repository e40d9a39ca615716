// TensorFlow "SAME" padding geometry, shared by the detector's kernels (f32/conv5x5s2, f32/dwconv3x3).

/** Output size of a SAME convolution or pool: ceil(n / stride). */
@inline export function sameOut(n: i32, stride: i32): i32 {
  return (n + stride - 1) / stride;
}

/** Padding before the first input row / column under SAME: floor(total / 2), total =
 *  max((out - 1) * stride + K - n, 0); the extra odd pixel goes after the last (TensorFlow's
 *  asymmetric rule, e.g. 5x5 / 2 on 128: 1 before, 2 after; 3x3 / 2 on 64: 0 before, 1 after). */
@inline export function samePadBefore(n: i32, K: i32, stride: i32): i32 {
  const total = (sameOut(n, stride) - 1) * stride + K - n;
  return total > 0 ? total >> 1 : 0;
}
