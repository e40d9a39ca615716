/**
 * Conv2DBackpropFilter for tfjs-backend-wasm, which has none (tfjs 4.22): the filter gradient of a
 * NHWC conv.
 *   dW[ky, kx, ci, co] = sum_{b, oy, ox} x[b, oy*sh + ky - pt, ox*sw + kx - pl, ci] * dy[b, oy, ox, co]
 * Two implementations:
 *  - conv2dBackpropFilterJs: plain JavaScript on the backend's heap (the "stock" minimum needed to
 *    train on wasm at all; numeric, 'valid', or 'same' with equal top and left padding);
 *  - the AssemblyScript SIMD kernel of build/daa.train.wasm (assembly/train/conv-filter-grad.ts),
 *    any padding tfjs resolves (numeric, 'valid', 'same', explicit), strides, kernel sizes, channels.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmKernel, type TrainRuntime, type WasmBackend } from './runtime.ts';

export function conv2dBackpropFilterJs(
  x: Float32Array, B: number, H: number, W: number, Cin: number,
  dy: Float32Array, OH: number, OW: number, Cout: number,
  K: number, stride: number, pad: number, dw: Float32Array,
): void {
  dw.fill(0);
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        const dyo = ((b * OH + oy) * OW + ox) * Cout;
        for (let ky = 0; ky < K; ky++) {
          const iy = oy * stride + ky - pad;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < K; kx++) {
            const ix = ox * stride + kx - pad;
            if (ix < 0 || ix >= W) continue;
            const xo = ((b * H + iy) * W + ix) * Cin;
            const wo = (ky * K + kx) * Cin * Cout;
            for (let ci = 0; ci < Cin; ci++) {
              const xv = x[xo + ci];
              if (xv === 0) continue;
              const row = wo + ci * Cout;
              for (let co = 0; co < Cout; co++) dw[row + co] += xv * dy[dyo + co];
            }
          }
        }
      }
}

/**
 * The top / left padding of a conv as the symmetric `pad` of conv2dBackpropFilterJs (only the top and
 * left padding move the taps; the bottom and right only decide the output size, which dy carries).
 * TF "SAME" resolves through tfjs's own geometry; unequal top and left padding is not supported.
 */
export function padOf(pad: unknown, K: number, x?: number[], dy?: number[], stride = 1): number {
  if (typeof pad === 'number') return pad;
  if (pad === 'valid') return 0;
  if (pad === 'same' && x && dy) {
    const info = tf.backend_util.computeConv2DInfo(x as [number, number, number, number], [K, K, x[3], dy[3]], stride, 1, 'same');
    if (info.padInfo.top === info.padInfo.left) return info.padInfo.top;
  }
  throw new Error(`Conv2DBackpropFilter: padding ${String(pad)} is not supported (a number, 'valid', or 'same' with equal top and left padding)`);
}

type Attrs = { strides: number | [number, number]; pad: unknown; filterShape: number[]; dataFormat?: string; dimRoundingMode?: string };

function jsKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const be = backend as unknown as WasmBackend;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, filterShape } = attrs as unknown as Attrs;
  const [B, H, W, Cin] = x.shape;
  const [, OH, OW, Cout] = dy.shape;
  const K = filterShape[0];
  const s = typeof strides === 'number' ? strides : strides[0];
  const out = be.makeOutput(filterShape, 'float32');
  const heap = be.wasm.HEAPF32;
  const view = (t: tf.TensorInfo, n: number) => heap.subarray(be.dataIdMap.get(t.dataId).memoryOffset / 4, be.dataIdMap.get(t.dataId).memoryOffset / 4 + n);
  conv2dBackpropFilterJs(view(x, B * H * W * Cin), B, H, W, Cin, view(dy, B * OH * OW * Cout), OH, OW, Cout, K, s, padOf(pad, K, x.shape, dy.shape, s), view(out, K * K * Cin * Cout));
  return out;
}

export function registerConv2dBackpropFilterJs(): void {
  setWasmKernel('Conv2DBackpropFilter', jsKernel as tf.KernelFunc);
}

/** The SIMD kernel on an explicit runtime (exported for tests and benchmarks). */
export function conv2dBackpropFilterWasm(rt: TrainRuntime) {
  return ({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo => {
    const be = backend as unknown as WasmBackend;
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = attrs as unknown as Attrs;
    if (a.dataFormat != null && a.dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter: only NHWC');
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number], a.filterShape as [number, number, number, number],
      a.strides, 1, a.pad as 'valid', a.dimRoundingMode as 'floor' | undefined, false, 'channelsLast',
    );
    const [B, H, W, Cin] = x.shape;
    const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw, outHeight: OH, outWidth: OW, outChannels: Cout } = info;
    const { top: pt, left: pl } = info.padInfo;
    // padded extent that covers every tap of every output position
    const Hp = Math.max(H + pt, (OH - 1) * sh + KH), Wp = Math.max(W + pl, (OW - 1) * sw + KW);
    const out = be.makeOutput(a.filterShape, 'float32');
    const c = rt.begin(be);
    try {
      let xp = c.input(x);
      if (pt !== 0 || pl !== 0 || Hp !== H || Wp !== W) {
        const padded = c.scratch(B * Hp * Wp * Cin * 4);
        rt.exports.pad_nhwc(xp, padded, B, H, W, Cin, pt, pl, Hp, Wp);
        xp = padded;
      }
      const dyp = c.input(dy);
      const roff = c.scratch(KH * KW * Cin * 4);
      const dwp = c.output(out);
      rt.exports.conv2d_backprop_filter(xp, dyp, dwp, roff, B, Hp, Wp, Cin, OH, OW, Cout, KH, KW, sh, sw);
    } finally {
      c.end();
    }
    return out;
  };
}

export function registerConv2dBackpropFilterWasm(rt: TrainRuntime): void {
  setWasmKernel('Conv2DBackpropFilter', conv2dBackpropFilterWasm(rt) as tf.KernelFunc);
}
