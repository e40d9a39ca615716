/**
 * The two gradients of a depthwise conv for tfjs-backend-wasm, which has neither (tfjs 4.22):
 * DepthwiseConv2dNativeBackpropInput and DepthwiseConv2dNativeBackpropFilter, NHWC, channel
 * multiplier 1, dilation 1, any stride and any padding tfjs resolves ('same', 'valid', numeric).
 * With x [B,H,W,C], w [KH,KW,C,1], dy [B,OH,OW,C] and (pt, pl) the top / left padding:
 *   dW[ky,kx,c]        = sum_{b,oy,ox} x[b, oy*sh + ky - pt, ox*sw + kx - pl, c] * dy[b,oy,ox,c]
 *   dX[b, iy, ix, c]  += w[ky,kx,c] * dy[b,oy,ox,c]   for every (oy, ox, ky, kx) that reads (iy, ix)
 * Two implementations: plain TypeScript on the backend's heap (the reference; the filter gradient
 * accumulates in f64), and the SIMD kernels of build/daa.train.wasm (assembly/train/depthwise-grad.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmKernel, type TrainRuntime, type WasmBackend } from './runtime.ts';

export interface DepthwiseGeometry {
  B: number; H: number; W: number; C: number;
  KH: number; KW: number; sh: number; sw: number;
  OH: number; OW: number; pt: number; pl: number;
}

/** Calls `tap(xo, wo, dyo)` for every (output position, in-range tap): element offsets of the C-run in x (or dX), w (or dW) and dy. */
function forEachTap(g: DepthwiseGeometry, tap: (xo: number, wo: number, dyo: number) => void): void {
  const { B, H, W, C, KH, KW, sh, sw, OH, OW, pt, pl } = g;
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let ky = 0; ky < KH; ky++) {
          const iy = oy * sh + ky - pt;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < KW; kx++) {
            const ix = ox * sw + kx - pl;
            if (ix >= 0 && ix < W) tap(((b * H + iy) * W + ix) * C, (ky * KW + kx) * C, ((b * OH + oy) * OW + ox) * C);
          }
        }
}

export function depthwiseFilterGradJs(x: Float32Array, dy: Float32Array, g: DepthwiseGeometry, dw: Float32Array): void {
  const acc = new Float64Array(g.KH * g.KW * g.C);
  forEachTap(g, (xo, wo, dyo) => {
    for (let c = 0; c < g.C; c++) acc[wo + c] += x[xo + c] * dy[dyo + c];
  });
  for (let i = 0; i < acc.length; i++) dw[i] = acc[i];
}

export function depthwiseInputGradJs(dy: Float32Array, w: Float32Array, g: DepthwiseGeometry, dx: Float32Array): void {
  dx.fill(0);
  forEachTap(g, (xo, wo, dyo) => {
    for (let c = 0; c < g.C; c++) dx[xo + c] += w[wo + c] * dy[dyo + c];
  });
}

type Attrs = { strides: number | [number, number]; pad: unknown; dilations?: number | [number, number]; dimRoundingMode?: string; inputShape?: number[]; filterShape?: number[] };

function geometry(xShape: number[], filterShape: number[], a: Attrs, kernel: string): DepthwiseGeometry {
  const dil = a.dilations ?? 1;
  if ((typeof dil === 'number' ? dil : Math.max(...dil)) !== 1) throw new Error(`${kernel}: only dilation 1`);
  if (filterShape[3] !== 1) throw new Error(`${kernel}: only channel multiplier 1`);
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    a.strides, 1, a.pad as 'valid', a.dimRoundingMode as 'floor' | undefined, true, 'channelsLast',
  );
  const [B, H, W, C] = xShape;
  return { B, H, W, C, KH: info.filterHeight, KW: info.filterWidth, sh: info.strideHeight, sw: info.strideWidth, OH: info.outHeight, OW: info.outWidth, pt: info.padInfo.top, pl: info.padInfo.left };
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

function heapView(be: WasmBackend, t: tf.TensorInfo): Float32Array {
  const n = t.shape.reduce((p, d) => p * d, 1);
  const off = be.dataIdMap.get(t.dataId).memoryOffset / 4;
  return be.wasm.HEAPF32.subarray(off, off + n);
}

/** What a kernel computes once its output exists: `a` and `b` are (x, dy) for the filter gradient, (dy, filter) for the input gradient. */
type Compute = (be: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, g: DepthwiseGeometry, out: tf.TensorInfo) => void;

/** The two tfjs kernels around an implementation: attributes, geometry, the output tensor. */
function depthwiseKernels(filterGrad: Compute, inputGrad: Compute): { filter: tf.KernelFunc; input: tf.KernelFunc } {
  const filter = ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo => {
    const be = backend as unknown as WasmBackend;
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = attrs as unknown as Attrs;
    const g = geometry(x.shape, a.filterShape!, a, 'DepthwiseConv2dNativeBackpropFilter');
    const out = be.makeOutput(a.filterShape!, 'float32');
    filterGrad(be, x, dy, g, out);
    return out;
  };
  const input = ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo => {
    const be = backend as unknown as WasmBackend;
    const { dy, filter: w } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = attrs as unknown as Attrs;
    const g = geometry(a.inputShape!, w.shape, a, 'DepthwiseConv2dNativeBackpropInput');
    const out = be.makeOutput(a.inputShape!, 'float32');
    inputGrad(be, dy, w, g, out);
    return out;
  };
  return { filter: filter as tf.KernelFunc, input: input as tf.KernelFunc };
}

/** The SIMD kernels on an explicit runtime (exported for tests and benchmarks). */
export function depthwiseGradWasm(rt: TrainRuntime): { filter: tf.KernelFunc; input: tf.KernelFunc } {
  return depthwiseKernels(
    (be, x, dy, g, out) => {
      const c = rt.begin(be);
      try {
        const acc = c.scratch(g.KH * g.KW * g.C * 4);
        rt.exports.depthwise_backprop_filter(c.input(x), c.input(dy), c.output(out), acc, g.B, g.H, g.W, g.C, g.OH, g.OW, g.KH, g.KW, g.sh, g.sw, g.pt, g.pl);
      } finally {
        c.end();
      }
    },
    (be, dy, w, g, out) => {
      const c = rt.begin(be);
      try {
        rt.exports.depthwise_backprop_input(c.input(dy), c.input(w), c.output(out), g.B, g.H, g.W, g.C, g.OH, g.OW, g.KH, g.KW, g.sh, g.sw, g.pt, g.pl);
      } finally {
        c.end();
      }
    },
  );
}

function register(k: { filter: tf.KernelFunc; input: tf.KernelFunc }): void {
  setWasmKernel('DepthwiseConv2dNativeBackpropFilter', k.filter);
  setWasmKernel('DepthwiseConv2dNativeBackpropInput', k.input);
}

export function registerDepthwiseGradWasm(rt: TrainRuntime): void {
  register(depthwiseGradWasm(rt));
}

/** The plain-TS kernels (views taken after makeOutput: an allocation can grow the heap and detach earlier views). */
export function registerDepthwiseGradJs(): void {
  register(depthwiseKernels(
    (be, x, dy, g, out) => depthwiseFilterGradJs(heapView(be, x), heapView(be, dy), g, heapView(be, out)),
    (be, dy, w, g, out) => depthwiseInputGradJs(heapView(be, dy), heapView(be, w), g, heapView(be, out)),
  ));
}
