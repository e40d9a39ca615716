/**
 * The project's replacements for tfjs-backend-wasm kernels and gradients used in training (see
 * README.md). Every replacement keeps the stock semantics and delegates to the stock kernel /
 * gradient for cases it does not cover (other dtypes, layouts, strides, backends).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmKernel, type Call, type TrainRuntime, type WasmBackend } from './runtime.ts';

type KArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
type Grad = tf.GradConfig;

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const isF32 = (...ts: tf.TensorInfo[]) => ts.every((t) => t.dtype === 'float32');

/** Merge adjacent axes into alternating kept / reduced groups (size-1 axes dropped). */
export function axisGroups(shape: number[], axes: Set<number>): { n: number; red: boolean }[] {
  const g: { n: number; red: boolean }[] = [];
  shape.forEach((n, i) => {
    if (n === 1) return;
    const red = axes.has(i);
    if (g.length && g[g.length - 1].red === red) g[g.length - 1].n *= n;
    else g.push({ n, red });
  });
  return g;
}

/** Sum over the reduced groups of x into out, innermost reduced group first, scale at the end. */
function reduceInto(rt: TrainRuntime, c: Call, xp: number, outp: number, groups: { n: number; red: boolean }[], scale: number): void {
  let g = groups.slice();
  let src = xp;
  const total = size(g.map((q) => q.n));
  if (!g.some((q) => q.red)) {
    // nothing reduced: copy (scaled)
    rt.exports.broadcast_mrn(src, outp, total, 1, 1, scale);
    return;
  }
  while (true) {
    let j = -1;
    for (let i = g.length - 1; i >= 0; i--) if (g[i].red) { j = i; break; }
    const M = size(g.slice(0, j).map((q) => q.n)), R = g[j].n, N = size(g.slice(j + 1).map((q) => q.n));
    g = g.slice(0, j).concat(g.slice(j + 1));
    // merge the kept groups that became adjacent
    const merged: { n: number; red: boolean }[] = [];
    for (const q of g) { if (merged.length && merged[merged.length - 1].red === q.red) merged[merged.length - 1].n *= q.n; else merged.push({ ...q }); }
    g = merged;
    const last = !g.some((q) => q.red);
    const dst = last ? outp : c.scratch(M * N * 4);
    rt.exports.reduce_sum_mrn(src, dst, c.scratch(N * 4), M, R, N, last ? scale : 1);
    src = dst;
    if (last) return;
  }
}

function reduction(rt: TrainRuntime, mean: boolean, stock: tf.KernelFunc) {
  return (args: KArgs) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as tf.TensorInfo;
    if (!isF32(x) || size(x.shape) === 0) return stock(args as never);
    const be = backend as WasmBackend;
    const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const set = new Set(axes);
    const outShape = x.shape.map((n, i) => (set.has(i) ? 1 : n)).filter((_, i) => keepDims || !set.has(i));
    const out = be.makeOutput(outShape, 'float32');
    const reduceSize = size(axes.map((a) => x.shape[a]));
    const c = rt.begin(be);
    try {
      reduceInto(rt, c, c.input(x), c.output(out), axisGroups(x.shape, set), mean ? 1 / reduceSize : 1);
    } finally {
      c.end();
    }
    return out;
  };
}

/** DaaBroadcastTo: x (the reduced tensor, same rank as `shape` with 1s) -> shape, times scale. */
function broadcastKernel(rt: TrainRuntime) {
  return ({ inputs, backend, attrs }: KArgs) => {
    const be = backend as WasmBackend;
    const x = inputs.x as tf.TensorInfo;
    const { shape, scale } = attrs as unknown as { shape: number[]; scale: number };
    const out = be.makeOutput(shape, 'float32');
    if (size(shape) === 0) return out;
    const xs = x.shape.length === shape.length ? x.shape : shape.map(() => 1);
    const bset = new Set(shape.map((n, i) => (xs[i] === 1 && n !== 1 ? i : -1)).filter((i) => i >= 0));
    let g = axisGroups(shape, bset); // red = broadcast group
    const c = rt.begin(be);
    try {
      let src = c.input(x);
      if (!g.some((q) => q.red)) {
        rt.exports.broadcast_mrn(src, c.output(out), size(shape), 1, 1, scale);
        return out;
      }
      // expand the innermost broadcast group first: [M, N] -> [M, R, N]
      let first = true;
      while (true) {
        let j = -1;
        for (let i = g.length - 1; i >= 0; i--) if (g[i].red) { j = i; break; }
        const M = size(g.slice(0, j).map((q) => q.n)), R = g[j].n, N = size(g.slice(j + 1).map((q) => q.n));
        const rest = g.slice(0, j).concat([{ n: R * N, red: false }]);
        const merged: { n: number; red: boolean }[] = [];
        for (const q of rest) { if (merged.length && merged[merged.length - 1].red === q.red) merged[merged.length - 1].n *= q.n; else merged.push({ ...q }); }
        g = merged;
        const last = !g.some((q) => q.red);
        const dst = last ? c.output(out) : c.scratch(M * R * N * 4);
        rt.exports.broadcast_mrn(src, dst, M, R, N, first ? scale : 1);
        first = false;
        src = dst;
        if (last) break;
      }
    } finally {
      c.end();
    }
    return out;
  };
}

function broadcastBack(dy: tf.Tensor, x: tf.Tensor, axes: number[], scale: number): tf.Tensor {
  const expanded = x.shape.slice();
  for (const a of axes) expanded[a] = 1;
  return tf.engine().runKernel('DaaBroadcastTo', { x: tf.reshape(dy, expanded) }, { shape: x.shape, scale } as never) as tf.Tensor;
}

function meanSumGrad(stock: Grad, mean: boolean): Grad {
  return {
    kernelName: stock.kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      if (tf.getBackend() !== 'wasm' || x.dtype !== 'float32' || (dy as tf.Tensor).dtype !== 'float32') return stock.gradFunc(dy, saved, attrs);
      const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
      const n = size(axes.map((a) => x.shape[a]));
      // stock: mul(expandedDy, ones) [/ reduceSize]
      return { x: () => broadcastBack(dy as tf.Tensor, x, axes, mean ? 1 / n : 1) };
    },
  };
}

function batchNormGradKernel(rt: TrainRuntime) {
  return ({ inputs, backend, attrs }: KArgs) => {
    const be = backend as WasmBackend;
    const { x, dy, mean, variance, scale } = inputs as Record<string, tf.TensorInfo>;
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const C = mean.shape[0];
    const P = size(x.shape) / C;
    const outs = [be.makeOutput(x.shape, 'float32'), ...[0, 1, 2, 3].map(() => be.makeOutput([C], 'float32'))];
    const c = rt.begin(be);
    try {
      const [dx, dm, dv, ds, doff] = outs.map((o) => c.output(o));
      rt.exports.batchnorm_grad(c.input(x), c.input(dy), c.input(mean), c.input(variance), scale ? c.input(scale) : 0,
        dx, dm, dv, ds, doff, c.scratch(4 * C * 4), P, C, Math.fround(varianceEpsilon));
    } finally {
      c.end();
    }
    return outs;
  };
}

function batchNormGrad(stock: Grad): Grad {
  return {
    kernelName: stock.kernelName,
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved;
      const C = x.shape[x.shape.length - 1];
      const ok = tf.getBackend() === 'wasm' && mean.rank === 1 && variance.rank === 1 && mean.shape[0] === C && variance.shape[0] === C &&
        (scale == null || (scale.rank === 1 && scale.shape[0] === C)) && isF32(x, mean, variance, dy as tf.Tensor) && (scale == null || isF32(scale));
      if (!ok) return stock.gradFunc(dy, saved, attrs);
      // all five from one kernel call, made now: tfjs calls each input's closure in its own tidy()
      const r = tf.engine().runKernel('DaaBatchNormGrad', { x, dy: dy as tf.Tensor, mean, variance, ...(scale ? { scale } : {}) }, attrs as never) as unknown as tf.Tensor[];
      return { x: () => r[0], mean: () => r[1], variance: () => r[2], scale: () => r[3], offset: () => r[4] };
    },
  };
}

function relu6GradKernel(rt: TrainRuntime) {
  return ({ inputs, backend }: KArgs) => {
    const be = backend as WasmBackend;
    const { x, dy } = inputs as Record<string, tf.TensorInfo>;
    const out = be.makeOutput(x.shape, 'float32');
    const c = rt.begin(be);
    try { rt.exports.relu6_grad(c.input(x), c.input(dy), c.output(out), size(x.shape)); } finally { c.end(); }
    return out;
  };
}

function relu6Grad(stock: Grad): Grad {
  return {
    kernelName: stock.kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      if (tf.getBackend() !== 'wasm' || !isF32(x, dy as tf.Tensor) || !tf.util.arraysEqual(x.shape, (dy as tf.Tensor).shape)) return stock.gradFunc(dy, saved, attrs);
      return { x: () => tf.engine().runKernel('DaaRelu6Grad', { x, dy: dy as tf.Tensor }) as tf.Tensor };
    },
  };
}

function preluGradKernel(rt: TrainRuntime) {
  return ({ inputs, backend }: KArgs) => {
    const be = backend as WasmBackend;
    const { x, alpha, dy } = inputs as Record<string, tf.TensorInfo>;
    const C = alpha.shape[0];
    const dx = be.makeOutput(x.shape, 'float32');
    const da = be.makeOutput(alpha.shape, 'float32');
    const c = rt.begin(be);
    try {
      rt.exports.prelu_grad(c.input(x), c.input(alpha), c.input(dy), c.output(dx), c.output(da), c.scratch(12 * C), size(x.shape) / C, C);
    } finally {
      c.end();
    }
    return [dx, da];
  };
}

/** PReLU with one slope per channel (alpha [C], x [..., C]): both gradients from one DaaPreluGrad call. */
function preluGrad(stock: Grad): Grad {
  return {
    kernelName: stock.kernelName,
    inputsToSave: ['x', 'alpha'],
    gradFunc: (dy, saved, attrs) => {
      const [x, alpha] = saved;
      const ok = tf.getBackend() === 'wasm' && alpha.rank === 1 && alpha.shape[0] === x.shape[x.shape.length - 1] &&
        isF32(x, alpha, dy as tf.Tensor) && tf.util.arraysEqual(x.shape, (dy as tf.Tensor).shape);
      if (!ok) return stock.gradFunc(dy, saved, attrs);
      const r = tf.engine().runKernel('DaaPreluGrad', { x, alpha, dy: dy as tf.Tensor }) as unknown as tf.Tensor[];
      return { x: () => r[0], alpha: () => r[1] };
    },
  };
}

/**
 * AvgPoolGrad / MaxPoolGrad of a 2x2 / 2 valid pool in one SIMD pass (other configs: stock). `max`:
 * each window's gradient to its first maximum, as tfjs's cpu backend picks it.
 */
function pool2GradKernel(rt: TrainRuntime, stock: tf.KernelFunc, max: boolean) {
  return (args: KArgs) => {
    const { inputs, backend, attrs } = args;
    const { dy, input } = inputs as Record<string, tf.TensorInfo>;
    const { filterSize, strides, pad } = attrs as unknown as { filterSize: number | number[]; strides: number | number[]; pad: unknown };
    const two = (v: number | number[]) => (Array.isArray(v) ? v.every((q) => q === 2) : v === 2);
    if (!two(filterSize) || !two(strides) || !(pad === 'valid' || pad === 0) || !isF32(dy, input) || input.shape.length !== 4) return stock(args as never);
    const be = backend as WasmBackend;
    const [B, H, W, C] = input.shape;
    const [, OH, OW] = dy.shape;
    const out = be.makeOutput(input.shape, 'float32');
    const c = rt.begin(be);
    try {
      if (max) rt.exports.maxpool2_grad(c.input(input), c.input(dy), c.output(out), B, H, W, C, OH, OW);
      else rt.exports.avgpool2_grad(c.input(dy), c.output(out), B, H, W, C, OH, OW);
    } finally {
      c.end();
    }
    return out;
  };
}

/**
 * Conv2DBackpropInput as XNNPACK's forward Conv2D (stride 1) of dy with the flipped, transposed
 * filter. Stride s > 1: dy is first spread onto a zero grid ((OH - 1) s + 1 rows, likewise columns:
 * dy[oy, ox] at row oy s, column ox s), which makes it the stride-1 case; the zeros cost s^2 times the
 * multiply-adds of a polyphase split but run on XNNPACK's convolution instead of the stock kernel's
 * plain loops (ResNet18 w16 at 96 px: the stride-2 layers were most of the stock kernel's time).
 * Padding: the grid is padded by K - 1 - (forward top pad) before and by whatever reaches the input's
 * last row after (K - 1 - bottom pad at stride 1; at stride s also the rows the forward pass dropped).
 */
function conv2dBackpropInputKernel(stock: tf.KernelFunc) {
  return (args: KArgs) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as Record<string, tf.TensorInfo>;
    const a = attrs as unknown as { strides: number | number[]; pad: unknown; dataFormat?: string; dimRoundingMode?: string; inputShape: number[] };
    const [sh, sw] = Array.isArray(a.strides) ? a.strides : [a.strides, a.strides];
    if ((a.dataFormat != null && a.dataFormat !== 'NHWC') || !isF32(dy, filter)) return stock(args as never);
    const be = backend as WasmBackend;
    const [N, H, W] = a.inputShape;
    const info = tf.backend_util.computeConv2DInfo(a.inputShape as [number, number, number, number], filter.shape as [number, number, number, number],
      [sh, sw], 1, a.pad as 'valid', a.dimRoundingMode as 'floor' | undefined, false, 'channelsLast');
    const [KH, KW, Ci, Co] = filter.shape;
    const [, OH, OW] = dy.shape;
    if (info.outHeight !== OH || info.outWidth !== OW) return stock(args as never);
    const { top, left } = info.padInfo;
    const pt = KH - 1 - top, pl = KW - 1 - left;
    const pb = H - 1 + top - (OH - 1) * sh, pr = W - 1 + left - (OW - 1) * sw;
    if (pt < 0 || pb < 0 || pl < 0 || pr < 0) return stock(args as never);
    const DH = (OH - 1) * sh + 1, DW = (OW - 1) * sw + 1;
    const spread = sh > 1 || sw > 1 ? be.makeOutput([N, DH, DW, Co], 'float32') : null;
    const wT = be.makeOutput([KH, KW, Co, Ci], 'float32');
    // read the heap after both allocations: either may have grown the memory
    const heap = be.wasm.HEAPF32;
    const wo = be.dataIdMap.get(filter.dataId).memoryOffset >> 2, to = be.dataIdMap.get(wT.dataId).memoryOffset >> 2;
    // wT[ky, kx, co, ci] = w[KH-1-ky, KW-1-kx, ci, co]
    for (let ky = 0; ky < KH; ky++)
      for (let kx = 0; kx < KW; kx++) {
        const src = wo + ((KH - 1 - ky) * KW + (KW - 1 - kx)) * Ci * Co, dst = to + (ky * KW + kx) * Co * Ci;
        for (let ci = 0; ci < Ci; ci++) for (let co = 0; co < Co; co++) heap[dst + co * Ci + ci] = heap[src + ci * Co + co];
      }
    if (spread) {
      // NHWC: each dy pixel's Co channels are contiguous and move as one run
      const so = be.dataIdMap.get(spread.dataId).memoryOffset >> 2, yo = be.dataIdMap.get(dy.dataId).memoryOffset >> 2;
      heap.fill(0, so, so + N * DH * DW * Co);
      for (let n = 0; n < N; n++)
        for (let oy = 0; oy < OH; oy++)
          for (let ox = 0; ox < OW; ox++) {
            const src = yo + ((n * OH + oy) * OW + ox) * Co, dst = so + ((n * DH + oy * sh) * DW + ox * sw) * Co;
            heap.copyWithin(dst, src, src + Co);
          }
    }
    const conv = tf.getKernel('Conv2D', 'wasm')!.kernelFunc;
    const out = conv({
      inputs: { x: spread ?? dy, filter: wT }, backend: backend as never,
      attrs: { strides: 1, pad: [[0, 0], [pt, pb], [pl, pr], [0, 0]], dataFormat: 'NHWC', dilations: 1 } as never,
    }) as tf.TensorInfo;
    be.disposeData(wT.dataId);
    if (spread) be.disposeData(spread.dataId);
    return out;
  };
}

/** FusedBatchNorm forward with per-channel (rank-1) statistics in one SIMD pass. */
function batchNormKernel(rt: TrainRuntime, stock: tf.KernelFunc) {
  return (args: KArgs) => {
    const { inputs, backend, attrs } = args;
    const { x, mean, variance, offset, scale } = inputs as Record<string, tf.TensorInfo | undefined>;
    const C = x!.shape[x!.shape.length - 1];
    const perChannel = (t?: tf.TensorInfo) => t == null || (t.shape.length === 1 && t.shape[0] === C && t.dtype === 'float32');
    if (!isF32(x!) || !perChannel(mean) || !perChannel(variance) || !perChannel(offset) || !perChannel(scale) || !mean || !variance) return stock(args as never);
    const be = backend as WasmBackend;
    const out = be.makeOutput(x!.shape, 'float32');
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const c = rt.begin(be);
    try {
      rt.exports.batchnorm_fwd(c.input(x!), c.input(mean), c.input(variance), scale ? c.input(scale) : 0, offset ? c.input(offset) : 0,
        c.output(out), c.scratch(2 * C * 4), size(x!.shape) / C, C, Math.fround(varianceEpsilon));
    } finally {
      c.end();
    }
    return out;
  };
}

/** Cast to the same dtype without a copy (tfjs-core's Multiply / RealDiv gradients cast float32 to float32). */
function castKernel(stock: tf.KernelFunc) {
  return (args: KArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { dtype } = args.attrs as unknown as { dtype: string };
    if (x.dtype !== dtype || dtype === 'string') return stock(args as never);
    (args.backend as WasmBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** Identity without a copy: the output shares the input's buffer (tfjs tensors are immutable). */
function identityKernel(stock: tf.KernelFunc) {
  return (args: KArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return stock(args as never);
    (args.backend as WasmBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

// ---- registration ----------------------------------------------------------------------------

const savedKernels = new Map<string, tf.KernelConfig | undefined>();
const savedGrads = new Map<string, Grad>();

function overrideKernel(name: string, make: (stock: tf.KernelFunc) => tf.KernelFunc): void {
  if (!savedKernels.has(name)) savedKernels.set(name, tf.getKernel(name, 'wasm'));
  const stock = savedKernels.get(name);
  setWasmKernel(name, make(stock?.kernelFunc ?? (() => { throw new Error(`${name}: no stock wasm kernel`); })), stock?.setupFunc);
}

function overrideGrad(name: string, make: (stock: Grad) => Grad): void {
  if (!savedGrads.has(name)) savedGrads.set(name, tf.getGradient(name)!);
  const g = make(savedGrads.get(name)!);
  silently(() => tf.registerGradient(g));
}

function silently(f: () => void): void {
  const w = console.warn;
  console.warn = () => {};
  try { f(); } finally { console.warn = w; }
}

/** Register every accelerated kernel / gradient below; returns their names. */
export function registerAcceleratedOps(rt: TrainRuntime): string[] {
  const names: string[] = [];
  // DAA_TRAIN_KERNELS_SKIP=Sum,Mean(grad),... leaves those stock (debugging / bisecting differences)
  const skip = new Set((process.env.DAA_TRAIN_KERNELS_SKIP ?? '').split(',').filter(Boolean));
  const k = (name: string, make: (stock: tf.KernelFunc) => tf.KernelFunc) => { if (skip.has(name)) return; overrideKernel(name, make); names.push(name); };
  const g = (name: string, make: (stock: Grad) => Grad) => { if (skip.has(`${name}(grad)`)) return; overrideGrad(name, make); names.push(`${name}(grad)`); };
  k('Sum', (s) => reduction(rt, false, s) as tf.KernelFunc);
  k('Mean', (s) => reduction(rt, true, s) as tf.KernelFunc);
  k('AvgPoolGrad', (s) => pool2GradKernel(rt, s, false) as tf.KernelFunc);
  k('MaxPoolGrad', (s) => pool2GradKernel(rt, s, true) as tf.KernelFunc);
  k('Conv2DBackpropInput', (s) => conv2dBackpropInputKernel(s) as tf.KernelFunc);
  k('Identity', (s) => identityKernel(s) as tf.KernelFunc);
  k('Cast', (s) => castKernel(s) as tf.KernelFunc);
  k('FusedBatchNorm', (s) => batchNormKernel(rt, s) as tf.KernelFunc);
  setWasmKernel('DaaBroadcastTo', broadcastKernel(rt) as tf.KernelFunc); names.push('DaaBroadcastTo');
  setWasmKernel('DaaBatchNormGrad', batchNormGradKernel(rt) as tf.KernelFunc); names.push('DaaBatchNormGrad');
  setWasmKernel('DaaRelu6Grad', relu6GradKernel(rt) as tf.KernelFunc); names.push('DaaRelu6Grad');
  setWasmKernel('DaaPreluGrad', preluGradKernel(rt) as tf.KernelFunc); names.push('DaaPreluGrad');
  g('Mean', (s) => meanSumGrad(s, true));
  g('Sum', (s) => meanSumGrad(s, false));
  g('FusedBatchNorm', batchNormGrad);
  g('Relu6', relu6Grad);
  g('Prelu', preluGrad);
  return names;
}

/** Undo registerAcceleratedOps: the stock wasm kernels and tfjs-core gradients again. */
export function unregisterAcceleratedOps(): void {
  for (const [name, cfg] of savedKernels) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    if (cfg) tf.registerKernel(cfg);
  }
  savedKernels.clear();
  for (const name of ['DaaBroadcastTo', 'DaaBatchNormGrad', 'DaaRelu6Grad', 'DaaPreluGrad']) if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  for (const [, g] of savedGrads) silently(() => tf.registerGradient(g));
  savedGrads.clear();
}
