// f32_conv2d, scalar variant (no SIMD): the fallback for engines without WebAssembly SIMD.
// Same traversal as the SIMD kernel at pixel granularity: for every output pixel, the
// clipped tap range of each kernel row is one contiguous run of (kx1 - kx0) * Cin inputs;
// output channels are processed 4 at a time in scalar registers, then one at a time.
import { actf } from "./activation";
import { convOut, checkConvArgs } from "./conv2d.common";

/**
 * y = act(conv2d(x, w) + b + res), scalar variant. Same arguments, layouts and semantics as
 * `f32_conv2d__wasmsimd` (docs/kernels.md `f32_conv2d`): x HWC, w HWIO, b Cout, y / res
 * OH x OW x Cout; byte-offset pointers, element-count sizes; 4-byte alignment required;
 * any Cin, Cout >= 1 (channels in blocks of 4, scalar tail); y must not alias x, res may equal y.
 */
export function f32_conv2d__scalar(
  x: usize, H: i32, W: i32, Cin: i32, w: usize, b: usize, y: usize, Cout: i32,
  K: i32, stride: i32, pad: i32, act: i32, res: usize,
): void {
  checkConvArgs(x, H, W, Cin, w, b, y, Cout, K, stride, pad, act, res, false);
  conv(x, H, W, Cin, w, b, y, Cout, K, stride, pad, act, res, false);
}

/** The same convolution with weights packed [ceil(Cout/8)][K][K][Cin][8] (docs/kernels.md `f32_conv2d_packed`). */
export function f32_conv2d_packed__scalar(
  x: usize, H: i32, W: i32, Cin: i32, w: usize, b: usize, y: usize, Cout: i32,
  K: i32, stride: i32, pad: i32, act: i32, res: usize,
): void {
  checkConvArgs(x, H, W, Cin, w, b, y, Cout, K, stride, pad, act, res, true);
  conv(x, H, W, Cin, w, b, y, Cout, K, stride, pad, act, res, true);
}

@inline function conv(
  x: usize, H: i32, W: i32, Cin: i32, w: usize, b: usize, y: usize, Cout: i32,
  K: i32, stride: i32, pad: i32, act: i32, res: usize, packed: bool,
): void {
  let OH = convOut(H, K, stride, pad), OW = convOut(W, K, stride, pad);
  if (OH <= 0 || OW <= 0) return;
  if (K == 1 && stride == 1 && pad == 0) { W = H * W; H = 1; OW = W; OH = 1; }
  const cinB = <usize>Cin << 2, coutB = <usize>Cout << 2;
  const rowB = <usize>W * cinB;
  const tapB: usize = packed ? 32 : coutB;
  const wKyB = <usize>(K * Cin) * tapB;
  const blkB = <usize>(K * K * Cin) << 5;
  const Cout4 = Cout & ~3;
  for (let oy = 0; oy < OH; oy++) {
    const iy0 = oy * stride - pad;
    const ky0 = max(0, -iy0), ky1 = min(K, H - iy0);
    const xRow = x + <usize>((iy0 + ky0) * W) * cinB;
    const wRow = w + <usize>(ky0 * K * Cin) * tapB;
    for (let ox = 0; ox < OW; ox++) {
      const ix0 = ox * stride - pad;
      const kx0 = max(0, -ix0), kx1 = min(K, W - ix0);
      const L = (kx1 - kx0) * Cin;
      const xb = xRow + <usize>(ix0 + kx0) * cinB;
      const wb0 = wRow + <usize>(kx0 * Cin) * tapB;
      const yp = y + <usize>(oy * OW + ox) * coutB;
      const rp = res != 0 ? res + <usize>(oy * OW + ox) * coutB : 0;
      let co = 0;
      for (; co < Cout4; co += 4) {
        const coB = <usize>co << 2;
        let a0 = load<f32>(b + coB), a1 = load<f32>(b + coB, 4), a2 = load<f32>(b + coB, 8), a3 = load<f32>(b + coB, 12);
        let xr = xb, wr = wb0 + (packed ? <usize>(co >> 3) * blkB + (<usize>(co & 7) << 2) : coB);
        for (let ky = ky0; ky < ky1; ky++) {
          let xp = xr, wp = wr;
          for (let i = 0; i < L; i++) {
            const xv = load<f32>(xp);
            a0 += xv * load<f32>(wp);
            a1 += xv * load<f32>(wp, 4);
            a2 += xv * load<f32>(wp, 8);
            a3 += xv * load<f32>(wp, 12);
            xp += 4; wp += tapB;
          }
          xr += rowB; wr += wKyB;
        }
        if (rp != 0) {
          a0 += load<f32>(rp + coB); a1 += load<f32>(rp + coB, 4);
          a2 += load<f32>(rp + coB, 8); a3 += load<f32>(rp + coB, 12);
        }
        store<f32>(yp + coB, actf(a0, act));
        store<f32>(yp + coB, actf(a1, act), 4);
        store<f32>(yp + coB, actf(a2, act), 8);
        store<f32>(yp + coB, actf(a3, act), 12);
      }
      for (; co < Cout; co++) {
        const coB = <usize>co << 2;
        let acc = load<f32>(b + coB);
        let xr = xb, wr = wb0 + (packed ? <usize>(co >> 3) * blkB + (<usize>(co & 7) << 2) : coB);
        for (let ky = ky0; ky < ky1; ky++) {
          let xp = xr, wp = wr;
          for (let i = 0; i < L; i++) {
            acc += load<f32>(xp) * load<f32>(wp);
            xp += 4; wp += tapB;
          }
          xr += rowB; wr += wKyB;
        }
        if (rp != 0) acc += load<f32>(rp + coB);
        store<f32>(yp + coB, actf(acc, act));
      }
    }
  }
}
