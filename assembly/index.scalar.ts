// Scalar build entry (build/daa.scalar.wasm): exports the `__scalar` twins under the plain ABI
// names of docs/kernels.md. Compiled WITHOUT the simd feature: nothing imported from here may
// touch v128 (the *.simd.ts files are never reached from this entry).
export { f32_conv2d__scalar as f32_conv2d, f32_conv2d_packed__scalar as f32_conv2d_packed } from "./f32/conv2d.scalar";
export {
  f32_avgpool2x2__scalar as f32_avgpool2x2,
  f32_global_avgpool__scalar as f32_global_avgpool,
  f32_scale_channels__scalar as f32_scale_channels,
} from "./f32/pool.scalar";
export { f32_fc__scalar as f32_fc } from "./f32/fc.scalar";
export { f32_channel_stats__scalar as f32_channel_stats, f32_normalize__scalar as f32_normalize } from "./f32/stats.scalar";
export { f32_daa_delta__scalar as f32_daa_delta } from "./daa/delta.scalar";
export { f32_daa_head__scalar as f32_daa_head } from "./daa/head.scalar";
export { qs8_conv2d__scalar as qs8_conv2d, qs8_quantize__scalar as qs8_quantize } from "./q8/conv2d.scalar";
export { f32_resize_bilinear_u8 } from "./image/resize";
export { f32_copy_padded } from "./f32/pad";
export { f32_conv3x3_winograd__scalar as f32_conv3x3_winograd } from "./f32/winograd.scalar";
export { qs8_conv3x3_winograd__scalar as qs8_conv3x3_winograd } from "./q8/winograd.scalar";
// face detector (src/detect/)
export { f32_conv5x5s2_c3__scalar as f32_conv5x5s2_c3 } from "./f32/conv5x5s2.scalar";
export { f32_dwconv3x3__scalar as f32_dwconv3x3 } from "./f32/dwconv3x3.scalar";
export { f32_pad_channels__scalar as f32_pad_channels } from "./f32/padchannels.scalar";
export { f32_warp_affine_u8 } from "./image/warp";

/** First byte after the module's static data; see index.ts. */
export function heap_base(): usize {
  return __heap_base;
}
