/**
 * Conv2DBackpropFilter for tfjs-backend-wasm, which has none (tfjs 4.22): the filter gradient of a
 * NHWC conv with symmetric numeric padding, computed in plain JavaScript on the backend's heap.
 *   dW[ky, kx, ci, co] = sum_{b, oy, ox} x[b, oy*s + ky - p, ox*s + kx - p, ci] * dy[b, oy, ox, co]
 * Registered by registerTrainingKernels(); the faster AssemblyScript kernels replace it.
 */
import * as tf from '@tensorflow/tfjs';

type Backend = {
  dataIdMap: { get(id: unknown): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  wasm: { HEAPF32: Float32Array };
};

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

export function padOf(pad: unknown, K: number): number {
  if (typeof pad === 'number') return pad;
  if (pad === 'valid') return 0;
  throw new Error(`Conv2DBackpropFilter: padding ${String(pad)} is not supported (use a number)`);
}

export function registerConv2dBackpropFilterJs(): void {
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const be = backend as unknown as Backend;
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, filterShape } = attrs as unknown as { strides: number | [number, number]; pad: unknown; filterShape: number[] };
      const [B, H, W, Cin] = x.shape;
      const [, OH, OW, Cout] = dy.shape;
      const K = filterShape[0];
      const s = typeof strides === 'number' ? strides : strides[0];
      const out = be.makeOutput(filterShape, 'float32');
      const heap = be.wasm.HEAPF32;
      const view = (t: tf.TensorInfo, n: number) => heap.subarray(be.dataIdMap.get(t.dataId).memoryOffset / 4, be.dataIdMap.get(t.dataId).memoryOffset / 4 + n);
      conv2dBackpropFilterJs(view(x, B * H * W * Cin), B, H, W, Cin, view(dy, B * OH * OW * Cout), OH, OW, Cout, K, s, padOf(pad, K), view(out, K * K * Cin * Cout));
      return out;
    },
  });
}
