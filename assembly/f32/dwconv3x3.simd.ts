// f32_dwconv3x3, WebAssembly SIMD (scalar twin: dwconv3x3.scalar.ts). Per output pixel, channels in
// f32x4 blocks with a scalar tail of C % 4; the tap range is clipped once per pixel, so border and
// interior pixels share one loop. Same accumulation order as the scalar twin (bias, then ky, kx
// ascending): the two builds agree bit for bit.
import { actv } from "./activation.simd";
import { sameOut, samePadBefore } from "./same.common";
import { checkDwconv3x3Args, dwconv3x3Channels } from "./dwconv3x3.common";

/** See f32_dwconv3x3__scalar for the contract. */
export function f32_dwconv3x3__wasmsimd(x: usize, H: i32, W: i32, C: i32, w: usize, b: usize, y: usize, stride: i32, act: i32): void {
  const OH = sameOut(H, stride), OW = sameOut(W, stride);
  checkDwconv3x3Args(x, H, W, C, w, b, y, stride, act);
  const pt = samePadBefore(H, 3, stride), pl = samePadBefore(W, 3, stride);
  const cB = <usize>C << 2;
  const C4 = C & ~3;
  let yp = y;
  for (let oy = 0; oy < OH; oy++) {
    const iy0 = oy * stride - pt;
    const ky0 = iy0 < 0 ? -iy0 : 0, ky1 = min(3, H - iy0);
    for (let ox = 0; ox < OW; ox++) {
      const ix0 = ox * stride - pl;
      const kx0 = ix0 < 0 ? -ix0 : 0, kx1 = min(3, W - ix0);
      const xb = x + <usize>(iy0 * W + ix0) * cB;
      let c = 0;
      if (ky1 - ky0 == 3 && kx1 - kx0 == 3) {
        // interior: all nine taps, unrolled
        const rowB = <usize>W * cB;
        for (; c < C4; c += 4) {
          const o = <usize>c << 2;
          const x0 = xb + o, x1 = x0 + rowB, x2 = x1 + rowB;
          const w0 = w + o, w1 = w0 + 3 * cB, w2 = w1 + 3 * cB;
          let a = v128.load(b + o);
          a = f32x4.add(a, f32x4.mul(v128.load(x0), v128.load(w0)));
          a = f32x4.add(a, f32x4.mul(v128.load(x0 + cB), v128.load(w0 + cB)));
          a = f32x4.add(a, f32x4.mul(v128.load(x0 + 2 * cB), v128.load(w0 + 2 * cB)));
          a = f32x4.add(a, f32x4.mul(v128.load(x1), v128.load(w1)));
          a = f32x4.add(a, f32x4.mul(v128.load(x1 + cB), v128.load(w1 + cB)));
          a = f32x4.add(a, f32x4.mul(v128.load(x1 + 2 * cB), v128.load(w1 + 2 * cB)));
          a = f32x4.add(a, f32x4.mul(v128.load(x2), v128.load(w2)));
          a = f32x4.add(a, f32x4.mul(v128.load(x2 + cB), v128.load(w2 + cB)));
          a = f32x4.add(a, f32x4.mul(v128.load(x2 + 2 * cB), v128.load(w2 + 2 * cB)));
          v128.store(yp + o, actv(a, act));
        }
      } else {
        for (; c < C4; c += 4) {
          const o = <usize>c << 2;
          let a = v128.load(b + o);
          for (let ky = ky0; ky < ky1; ky++) {
            const xr = xb + <usize>(ky * W) * cB + o;
            const wr = w + <usize>(ky * 3) * cB + o;
            for (let kx = kx0; kx < kx1; kx++) a = f32x4.add(a, f32x4.mul(v128.load(xr + <usize>kx * cB), v128.load(wr + <usize>kx * cB)));
          }
          v128.store(yp + o, actv(a, act));
        }
      }
      dwconv3x3Channels(xb, <usize>W * cB, cB, ky0, ky1, kx0, kx1, w, b, yp, c, C, act);
      yp += cB;
    }
  }
}
