// SIMD activation helpers (simd build only).
import { sigmoidf, ACT_IDENTITY, ACT_RELU, ACT_HSWISH, ACT_SIGMOID } from "./activation";

/** Applies activation code `act` to 4 lanes. ReLU and the hard-swish clamp use the pseudo-min/max
 *  (f32x4.pmax(0, v) = 0 < v ? v : 0: one maxps on x64, where f32x4.max's NaN and signed-zero rules
 *  cost about eight instructions); for every non-NaN input they equal the scalar Mathf.max / min.
 * Sigmoid is evaluated lane by lane with the
 *  scalar `sigmoidf` so that both builds give bit-identical sigmoid results. */
@inline export function actv(v: v128, act: i32): v128 {
  if (act == ACT_IDENTITY) return v;
  if (act == ACT_RELU) return f32x4.pmax(f32x4.splat(0.0), v);
  if (act == ACT_HSWISH) {
    const m = f32x4.pmin(f32x4.splat(6.0), f32x4.pmax(f32x4.splat(0.0), f32x4.add(v, f32x4.splat(3.0))));
    return f32x4.div(f32x4.mul(v, m), f32x4.splat(6.0));
  }
  if (act == ACT_SIGMOID) return sigmoidv(v);
  return v;
}

/** Lane-wise sigmoid via the scalar helper. */
@inline export function sigmoidv(v: v128): v128 {
  let r = f32x4.splat(sigmoidf(f32x4.extract_lane(v, 0)));
  r = f32x4.replace_lane(r, 1, sigmoidf(f32x4.extract_lane(v, 1)));
  r = f32x4.replace_lane(r, 2, sigmoidf(f32x4.extract_lane(v, 2)));
  r = f32x4.replace_lane(r, 3, sigmoidf(f32x4.extract_lane(v, 3)));
  return r;
}
