// SIMD build entry (build/daa.simd.wasm): exports the `__wasmsimd` kernels under the plain ABI
// names of docs/kernels.md. Compiled with --enable simd.
export { f32_conv2d__wasmsimd as f32_conv2d, f32_conv2d_packed__wasmsimd as f32_conv2d_packed } from "./f32/conv2d.simd";
export {
  f32_avgpool2x2__wasmsimd as f32_avgpool2x2,
  f32_global_avgpool__wasmsimd as f32_global_avgpool,
  f32_scale_channels__wasmsimd as f32_scale_channels,
} from "./f32/pool.simd";
export { f32_fc__wasmsimd as f32_fc } from "./f32/fc.simd";
export { f32_channel_stats__wasmsimd as f32_channel_stats, f32_normalize__wasmsimd as f32_normalize } from "./f32/stats.simd";
export { f32_daa_delta__wasmsimd as f32_daa_delta } from "./daa/delta.simd";
export { f32_daa_head__wasmsimd as f32_daa_head } from "./daa/head.simd";
export { qs8_conv2d__wasmsimd as qs8_conv2d, qs8_quantize__wasmsimd as qs8_quantize } from "./q8/conv2d.simd";
export { f32_resize_bilinear_u8__wasmsimd as f32_resize_bilinear_u8 } from "./image/resize.simd";
export { f32_copy_padded } from "./f32/pad";
export { f32_conv3x3_winograd__wasmsimd as f32_conv3x3_winograd } from "./f32/winograd.simd";
export { qs8_conv3x3_winograd__wasmsimd as qs8_conv3x3_winograd } from "./q8/winograd.simd";
// face detector (src/detect/)
export { f32_conv5x5s2_c3__wasmsimd as f32_conv5x5s2_c3 } from "./f32/conv5x5s2.simd";
export { f32_dwconv3x3__wasmsimd as f32_dwconv3x3 } from "./f32/dwconv3x3.simd";
export { f32_pad_channels__wasmsimd as f32_pad_channels } from "./f32/padchannels.simd";
export { f32_warp_affine_u8 } from "./image/warp";

/** First byte after the module's static data (0 bytes of data in release builds; debug builds
 *  place assertion strings below it). The runtime / tests must not place buffers below it. */
export function heap_base(): usize {
  return __heap_base;
}
