/**
 * Config + weights -> a flat list of kernel calls over buffers placed once in an Arena.
 *
 * The estimate path: preprocessed image X -> encoder ops -> E -> DAA head -> perTemplate.
 * The DAA head runs factorised wherever the template styles are one scalar pair per age (binary
 * mapping, all-channel templates):
 *   Conv(delta_y) = s_y Conv(N) + t_y Conv(1) - Conv(E) + b
 * with Conv(1) computed here once at load. Per-channel templates (and the `naive` head option, the
 * reference the factorised head is tested against) build delta_y and convolve it per template.
 */
import { binaryCodes, CODE_BITS, encoderGraph, templateIndices, type ModelConfig } from './arch.ts';
import type { Arena } from './arena.ts';
import type { Kernels } from './kernels.ts';
import { codeStride, packF32Weights, packQ8Weights, packQ8WinogradWeights, q8WinogradPackedLength, q8WinogradScratchBytes, type ActivationScales } from './quant.ts';
import { packWinogradWeights, winogradPackedFloats, winogradScratchFloats } from './winograd.ts';

const ACT = { none: 0, relu: 1, hswish: 2, sigmoid: 3 } as const;

export type HeadMode = 'factorised' | 'naive';

export interface Plan {
  /** input tensor X: inputSize x inputSize x 3 f32 */
  x: number;
  /** run the encoder and head on X; writes perTemplate */
  run(): void;
  /** f32 activation buffers by name (encoderGraph's buffer names), for calibration and tools */
  buffers: Map<string, number>;
  /** run the encoder only (X -> E) */
  runEncoder(): void;
  /** how many encoder convolutions run as qs8_conv2d (0 for fp32 models) */
  int8Convs: number;
  /** encoder output E (h x w x C) */
  e: number;
  eShape: [number, number, number];
  /** per-template estimates of the last run (T' = number of templates in use) */
  perTemplate: number;
  templates(): number;
  /** choose the template subset: every `interval`-th age */
  setInterval(interval: number): void;
  setHead(mode: HeadMode): void;
  /** int8 3x3 / stride-1 convs that run qs8_conv3x3_winograd (when on) */
  q8WinogradConvs: number;
  /** switch those convs between qs8_conv3x3_winograd and qs8_conv2d (same outputs); needs q8Switchable */
  setQ8Winograd(on: boolean): void;
}

/** t_y and s_y of the binary code mapping (column 0 = t, the style mean; column 1 = s, the style std). */
export function binaryStyles(w: (n: string) => Float32Array, T: number): { t: Float32Array; s: Float32Array } {
  const z = binaryCodes(T);
  const dense = (x: Float64Array, cin: number, name: string, cout: number, relu: boolean) => {
    const W = w(`${name}.w`);
    const b = w(`${name}.b`);
    const y = new Float64Array(cout);
    for (let o = 0; o < cout; o++) {
      let acc = b[o];
      for (let i = 0; i < cin; i++) acc += x[i] * W[i * cout + o];
      y[o] = relu ? Math.max(0, acc) : acc;
    }
    return y;
  };
  const t = new Float32Array(T);
  const s = new Float32Array(T);
  for (let y = 0; y < T; y++) {
    const h1 = dense(Float64Array.from(z.subarray(y * CODE_BITS, (y + 1) * CODE_BITS)), CODE_BITS, 'map.fc1', 16, true);
    const h2 = dense(h1, 16, 'map.fc2', 32, true);
    const o = dense(h2, 32, 'map.fc3', 2, false);
    t[y] = o[0];
    s[y] = o[1];
  }
  return { t, s };
}

/**
 * The int8 compute path (precision 'int8', docs/kernels.md "int8"): the encoder's convolutions run
 * as qs8_conv2d on u7 activation codes; SE, pooling, the DAA head and its decoder conv stay f32.
 */
export interface Q8Model {
  /** the file's int8 codes (HWIO) and per-output-channel scales of a conv weight, or null (f32 conv) */
  codes(name: string): { codes: Int8Array; scales: Float32Array } | null;
  /** per-tensor activation quantisation parameters of every conv input (src/quant.ts) */
  scales: ActivationScales;
}

/** A u7 code tensor: H x W x C stored with a zero border of `border` pixels and Cs bytes per pixel. */
interface CodeTensor {
  ptr: number;
  border: number;
  pitch: number;
  cs: number;
}

/**
 * Folds the AgeDecoder's linear layer (lw, one output) and the 1/HW of its global average pool into
 * the decoder conv, for f32_daa_head: lw relu(v) = sign(lw) max(|lw| v, 0), so output channel f
 * becomes W[.., f] * |lw[f]| / HW (bias likewise), the channels with lw >= 0 are moved first
 * ([0, Fpos)), then the others, whose terms the kernel subtracts; all-zero channels pad F2 to a
 * multiple of 4 for the convolution kernels (an all-zero channel adds exactly 0). Returns HWIO
 * weights [3][3][C][F2], the bias, F2 and Fpos. Computed in f64, rounded once to f32.
 */
export function foldDecoder(wDec: Float32Array, bDec: Float32Array, lw: Float32Array, C: number, F: number, HW: number) {
  const order: number[] = [];
  for (let f = 0; f < F; f++) if (lw[f] >= 0) order.push(f);
  const Fpos = order.length;
  for (let f = 0; f < F; f++) if (lw[f] < 0) order.push(f);
  const F2 = Math.ceil(F / 4) * 4;
  const w = new Float32Array(9 * C * F2);
  const b = new Float32Array(F2);
  order.forEach((f, i) => {
    const sc = Math.abs(lw[f]) / HW;
    b[i] = bDec[f] * sc;
    for (let r = 0; r < 9 * C; r++) w[r * F2 + i] = wDec[r * F + f] * sc;
  });
  return { w, b, F2, Fpos };
}

/** Plan options. `winograd`: run 3x3 / stride 1 f32 convolutions with 4k input and output channels
 *  by Winograd F(2x2, 3x3) (1.5-1.7x the direct kernel with SIMD; the scalar build's Winograd
 *  kernel is slower than its direct one, so the estimator turns it off there). */
export interface PlanOptions {
  winograd?: boolean;
  /** int8 3x3 / stride-1 convs: keep both kernels' weights so that setQ8Winograd can switch
   *  (their outputs are bit-identical; which is faster depends on the engine: docs/kernels.md) */
  q8Switchable?: boolean;
}

export function buildPlan(k: Kernels, arena: Arena, cfg: ModelConfig, weights: Map<string, Float32Array>, q8?: Q8Model, opts: PlanOptions = {}): Plan {
  const useWino = opts.winograd ?? true;
  const winoOk = (K: number, stride: number, Cin: number, Cout: number) => useWino && K === 3 && stride === 1 && Cin % 4 === 0 && Cout % 4 === 0;
  const w = (n: string) => {
    const v = weights.get(n);
    if (!v) throw new Error(`graph: missing weight ${n}`);
    return v;
  };
  // f32 weights are placed on first use (the int8 path never places its convs' f32 weights)
  const ptr = new Map<string, number>();
  const wp = (n: string) => {
    let p = ptr.get(n);
    if (p === undefined) ptr.set(n, (p = arena.putF32(w(n))));
    return p;
  };

  const g = encoderGraph(cfg);
  const buf = new Map<string, number>();
  for (const [name, [h, ww, c]] of Object.entries(g.shapes)) buf.set(name, arena.allocF32(h * ww * c));
  const steps: Array<() => void> = [];
  let seTmp = 0;
  // Winograd: one scratch for every such conv (they run one after another), and one zero-bordered
  // copy buffer per padded input shape (each shape's border stays zero: only interiors are written)
  const padBufs = new Map<string, number>();
  /** Winograd weights packed straight into the arena (no JS-heap copy of them). */
  const putWinograd = (wHWIO: Float32Array, Cin: number, Cout: number) => {
    const n = winogradPackedFloats(Cin, Cout);
    const u = arena.allocF32(n);
    packWinogradWeights(wHWIO, Cin, Cout, arena.f32(u, n));
    return u;
  };
  const padBuf = (H: number, W: number, C: number, pad: number) => {
    const key = `${H}x${W}x${C}+${pad}`;
    let xp = padBufs.get(key);
    if (xp === undefined) padBufs.set(key, (xp = arena.allocF32((H + 2 * pad) * (W + 2 * pad) * C)));
    return xp;
  };
  /** y = act(conv3x3(x) + b + res) by Winograd; pad 1 goes through a zero-bordered copy of x. Returns the step. */
  const winoConv = (x: number, H: number, W: number, Cin: number, wHWIO: Float32Array, b: number, y: number, Cout: number, pad: number, act: number, res: number) => {
    const u = putWinograd(wHWIO, Cin, Cout);
    if (pad === 0) return () => k.f32_conv3x3_winograd(x, H, W, Cin, u, b, y, Cout, act, res, winoWs);
    const xpad = padBuf(H, W, Cin, pad);
    return () => {
      k.f32_copy_padded(x, H, W, Cin, pad, xpad);
      k.f32_conv3x3_winograd(xpad, H + 2 * pad, W + 2 * pad, Cin, u, b, y, Cout, act, res, winoWs);
    };
  };
  const maxC = Math.max(...Object.values(g.shapes).map((s) => s[2]));
  // the Winograd scratch, sized for the largest user: an encoder conv or the decoder conv (whose
  // folded output has featDim rounded up to 4 channels, see foldDecoder)
  let winoWsFloats = 0;
  for (const o of g.ops) if (o.kind === 'conv' && winoOk(o.k, o.stride, o.cin, o.cout)) winoWsFloats = Math.max(winoWsFloats, winogradScratchFloats(o.cin, o.cout));
  if (cfg.daa !== 'none') winoWsFloats = Math.max(winoWsFloats, winogradScratchFloats(g.shapes[g.out][2], Math.ceil(cfg.featDim / 4) * 4));
  const winoWs = useWino && winoWsFloats > 0 ? arena.allocF32(winoWsFloats) : 0;

  // ---- int8 path: which convs run quantised, which tensors get codes, where codes come from
  const convs = g.ops.filter((o): o is Extract<typeof o, { kind: 'conv' }> => o.kind === 'conv');
  const isQ = (op: (typeof convs)[number]) => {
    // layers with fewer than 8 input channels (the RGB stems) stay f32: a 4-byte code quad holds
    // at most 3 real channels there, so f32 is faster (and exact on the image)
    if (!q8 || op.cin < 8 || !q8.codes(`${op.name}.w`)) return false;
    const p = q8.scales[op.src];
    // an offset tensor has no zero code, so its zero padding cannot be stored as codes: f32 conv
    return !!p && !(p[1] !== 0 && op.pad > 0);
  };
  const border = new Map<string, number>();
  for (const op of convs) if (isQ(op)) border.set(op.src, Math.max(border.get(op.src) ?? 0, op.pad));
  const seOn = new Set(g.ops.flatMap((o) => (o.kind === 'se' ? [o.buf] : [])));
  const qProduced = new Set(convs.filter(isQ).map((o) => o.dst));
  const direct = (b: string) => border.has(b) && qProduced.has(b) && !seOn.has(b);
  const f32Used = new Set<string>([g.out]);
  for (const o of g.ops) {
    if (o.kind === 'avgpool2') f32Used.add(o.src);
    else if (o.kind === 'se') f32Used.add(o.buf);
    else {
      if (o.add) f32Used.add(o.add);
      if (!isQ(o)) f32Used.add(o.src);
    }
  }
  for (const b of border.keys()) if (!direct(b)) f32Used.add(b);
  const codeT = new Map<string, CodeTensor>();
  for (const [name, bd] of border) {
    const [h, ww, c] = g.shapes[name];
    const cs = codeStride(c);
    const pitch = ww + 2 * bd;
    codeT.set(name, { ptr: arena.alloc((h + 2 * bd) * pitch * cs), border: bd, pitch, cs });
  }
  const quantised = new Set<string>();
  const quantiseStep = (name: string) => {
    if (direct(name) || quantised.has(name)) return;
    quantised.add(name);
    const [H, W, C] = g.shapes[name];
    const t = codeT.get(name)!;
    const [scale, off] = q8!.scales[name];
    const at = t.ptr + (t.border * t.pitch + t.border) * t.cs;
    const inv = Math.fround(1 / scale);
    const src = buf.get(name)!;
    steps.push(() => k.qs8_quantize(src, H, W, C, at, t.pitch, t.cs, inv, off));
  };

  // one scratch for every int8 Winograd conv (they run one after another), sized for the largest
  let q8WsBytes = 0;
  for (const op of convs) if (isQ(op) && useWino && op.k === 3 && op.stride === 1) q8WsBytes = Math.max(q8WsBytes, q8WinogradScratchBytes(codeStride(op.cin), op.cout));
  const q8Ws = q8WsBytes > 0 ? arena.alloc(q8WsBytes) : 0;
  let q8WinoConvs = 0;
  let q8WinoOn = true;
  const setQ8Winograd = (on: boolean) => {
    if (!opts.q8Switchable && on !== q8WinoConvs > 0) throw new Error('setQ8Winograd: this plan was not built switchable');
    q8WinoOn = on;
  };
  for (const op of g.ops) {
    if (op.kind === 'conv' && isQ(op)) {
      const [H, W, Cin] = g.shapes[op.src];
      const { k: K, stride, pad, cout } = op;
      quantiseStep(op.src);
      const xt = codeT.get(op.src)!;
      const xq = xt.ptr + ((xt.border - pad) * xt.pitch + (xt.border - pad)) * xt.cs;
      const { codes, scales: wsc } = q8!.codes(`${op.name}.w`)!;
      // 3x3 / stride 1 runs by exact integer Winograd on the SIMD builds (same codes and outputs);
      // a switchable plan keeps the direct kernel's weights too (setQ8Winograd)
      const wino = useWino && K === 3 && stride === 1;
      let uq = 0, wq = 0;
      if (wino) {
        const n = q8WinogradPackedLength(Cin, cout);
        uq = arena.alloc(2 * n);
        packQ8WinogradWeights(codes, Cin, cout, new Int16Array(arena.memory.buffer, uq, n));
        q8WinoConvs++;
      }
      if (!wino || opts.q8Switchable) {
        const packed = packQ8Weights(codes, K, Cin, cout);
        wq = arena.alloc(packed.length);
        new Int8Array(arena.memory.buffer, wq, packed.length).set(packed);
      }
      const [sx, ox] = q8!.scales[op.src];
      const bias = Float64Array.from(w(`${op.name}.b`));
      if (ox !== 0) {
        // x = sx q + ox: the offset's contribution ox * sum of the (dequantised) weights is a per-channel constant (pad 0)
        for (let i = 0; i < codes.length; i++) bias[i % cout] += ox * codes[i] * wsc[i % cout];
      }
      const ms = arena.putF32(Array.from(wsc, (s) => Math.fround(sx * s)));
      const bs = arena.putF32(bias);
      const y = f32Used.has(op.dst) ? buf.get(op.dst)! : 0;
      const res = op.add ? buf.get(op.add)! : 0;
      const act = ACT[op.act];
      let yq = 0, yW = 0, yCs = 0, yInv = 0, yOff = 0;
      if (direct(op.dst)) {
        const t = codeT.get(op.dst)!;
        yq = t.ptr + (t.border * t.pitch + t.border) * t.cs;
        yW = t.pitch;
        yCs = t.cs;
        yInv = Math.fround(1 / q8!.scales[op.dst][0]);
        yOff = q8!.scales[op.dst][1];
      }
      const Hi = H + 2 * pad, Wi = W + 2 * pad;
      const runDirect = () => k.qs8_conv2d(xq, Hi, Wi, xt.pitch, xt.cs, wq, cout, K, stride, ms, bs, act, res, y, yq, yW, yCs, yInv, yOff);
      const runWino = () => k.qs8_conv3x3_winograd(xq, Hi, Wi, xt.pitch, xt.cs, uq, cout, ms, bs, act, res, y, yq, yW, yCs, yInv, yOff, q8Ws);
      if (!wino) steps.push(runDirect);
      else if (!opts.q8Switchable) steps.push(runWino);
      else steps.push(() => (q8WinoOn ? runWino() : runDirect()));
    } else if (op.kind === 'conv') {
      const [H, W, Cin] = g.shapes[op.src];
      const src = buf.get(op.src)!;
      const dst = buf.get(op.dst)!;
      const res = op.add ? buf.get(op.add)! : 0;
      const { k: K, stride, pad, cout } = op;
      const bs = wp(`${op.name}.b`);
      const act = ACT[op.act];
      if (winoOk(K, stride, Cin, cout)) {
        steps.push(winoConv(src, H, W, Cin, w(`${op.name}.w`), bs, dst, cout, pad, act, res));
        continue;
      }
      const wt = arena.putF32(packF32Weights(w(`${op.name}.w`), K, Cin, cout));
      if (pad > 0) {
        // over a zero-bordered copy every output pixel takes the 4-pixel register tiles; with the
        // padding inside the kernel the border pixels (an eighth to a half of them on ResNet18's
        // stride-2 layers) go one at a time (measured in the plan, SIMD build: l4.b0.conv1
        // 3.9 -> 3.2 ms, l3.b0.conv1 3.4 -> 3.1 ms; whole fp32 encoder within noise of 1 ms faster)
        const xpad = padBuf(H, W, Cin, pad);
        steps.push(() => {
          k.f32_copy_padded(src, H, W, Cin, pad, xpad);
          k.f32_conv2d_packed(xpad, H + 2 * pad, W + 2 * pad, Cin, wt, bs, dst, cout, K, stride, 0, act, res);
        });
        continue;
      }
      steps.push(() => k.f32_conv2d_packed(src, H, W, Cin, wt, bs, dst, cout, K, stride, pad, act, res));
    } else if (op.kind === 'avgpool2') {
      const [H, W, C] = g.shapes[op.src];
      const src = buf.get(op.src)!;
      const dst = buf.get(op.dst)!;
      steps.push(() => k.f32_avgpool2x2(src, H, W, C, dst));
    } else {
      if (!seTmp) seTmp = arena.allocF32(3 * maxC);
      const [H, W, C] = g.shapes[op.buf];
      const x = buf.get(op.buf)!;
      const pooled = seTmp;
      const mid = seTmp + 4 * maxC;
      const scale = seTmp + 8 * maxC;
      const [w1, b1, w2, b2] = ['fc1.w', 'fc1.b', 'fc2.w', 'fc2.b'].map((s) => wp(`${op.name}.${s}`));
      steps.push(() => {
        k.f32_global_avgpool(x, H * W, C, pooled);
        k.f32_fc(pooled, C, w1, b1, mid, op.mid, ACT.hswish);
        k.f32_fc(mid, op.mid, w2, b2, scale, C, ACT.sigmoid);
        k.f32_scale_channels(x, H * W, C, scale);
      });
    }
  }
  const encSteps = steps.slice();
  const int8Convs = convs.filter(isQ).length;
  const runEncoder = () => encSteps.forEach((s) => s());
  const e = buf.get(g.out)!;
  const eShape = g.shapes[g.out];
  const [h, ww, C] = eShape;
  const HW = h * ww;

  if (cfg.daa === 'none') {
    const pooled = arena.allocF32(C);
    const out = arena.allocF32(1);
    steps.push(() => {
      k.f32_global_avgpool(e, HW, C, pooled);
      k.f32_fc(pooled, C, wp('reg.fc.w'), wp('reg.fc.b'), out, 1, ACT.none);
    });
    return {
      x: buf.get('x')!,
      buffers: buf,
      runEncoder,
      int8Convs,
      e,
      eShape,
      perTemplate: out,
      run: () => steps.forEach((s) => s()),
      templates: () => 1,
      setInterval: () => {},
      setHead: () => {},
      q8WinogradConvs: q8WinoConvs,
      setQ8Winograd,
    };
  }

  // template styles, all T of them: t/s are T x tc (tc = 1 or C)
  const T = cfg.numTemplates;
  let tAll: Float32Array;
  let sAll: Float32Array;
  let agesAll: Float32Array;
  let tc = 1;
  if (cfg.daa === 'binary') {
    ({ t: tAll, s: sAll } = binaryStyles(w, T));
    agesAll = Float32Array.from({ length: T }, (_, i) => i);
  } else {
    tAll = w('tmpl.t');
    sAll = w('tmpl.s');
    agesAll = w('tmpl.age');
    tc = cfg.daa === 'template_channel' ? C : 1;
  }
  const F = cfg.featDim;
  const mean = arena.allocF32(C);
  const std = arena.allocF32(C);
  const n = arena.allocF32(HW * C);
  // The decoder conv is 3x3 / pad 1: its inputs are copied into zero-bordered (h+2) x (w+2) x C
  // buffers (borders zeroed once, by the arena) and convolved with pad 0, so every output pixel
  // takes the convolution's interior tiles (on an 8x8 map half the pixels are border pixels).
  const pH = h + 2, pW = ww + 2;
  const nPad = arena.allocF32(pH * pW * C);
  const ePad = arena.allocF32(pH * pW * C);
  const fold = foldDecoder(w('dec.conv.w'), w('dec.conv.b'), w('dec.fc.w'), C, F, HW);
  const F2 = fold.F2;
  const a = arena.allocF32(HW * F2);
  const cm = arena.allocF32(HW * F2);
  const zeroBias = arena.allocF32(F2);
  const bconst = arena.allocF32(HW * F2);
  const onesPad = arena.allocF32(pH * pW * C);
  {
    const o = arena.f32(onesPad, pH * pW * C);
    for (let y = 1; y <= h; y++) o.fill(1, (y * pW + 1) * C, (y * pW + 1 + ww) * C);
  }
  // folded weights: a = Conv(N; W'), bconst = Conv(1; W') once per model, cm = Conv(E; -W') + b'
  const foldB = arena.putF32(fold.b);
  const decB = wp('dec.conv.b');
  // the decoder conv over a zero-bordered input, pad 0: Winograd where it applies, else direct
  const decConv = (wHWIO: Float32Array, Cout: number) => {
    if (winoOk(3, 1, C, Cout)) {
      const u = putWinograd(wHWIO, C, Cout);
      return (xPad: number, b: number, y: number, act: number) => k.f32_conv3x3_winograd(xPad, pH, pW, C, u, b, y, Cout, act, 0, winoWs);
    }
    const wt = arena.putF32(packF32Weights(wHWIO, 3, C, Cout));
    return (xPad: number, b: number, y: number, act: number) => k.f32_conv2d_packed(xPad, pH, pW, C, wt, b, y, Cout, 3, 1, 0, act, 0);
  };
  const convFold = decConv(fold.w, F2);
  const convFoldNeg = decConv(fold.w.map((v) => -v), F2);
  convFold(onesPad, zeroBias, bconst, ACT.none);
  // the naive reference path keeps the decoder's own weights
  const convDec = decConv(w('dec.conv.w'), F);
  // the current template subset (interval sampling), contiguous for the head kernel
  const tSel = arena.allocF32(T * tc);
  const sSel = arena.allocF32(T * tc);
  const ageSel = arena.allocF32(T);
  const perTemplate = arena.allocF32(T);
  // naive head scratch
  const delta = arena.allocF32(HW * C);
  const dPad = arena.allocF32(pH * pW * C);
  const dconv = arena.allocF32(HW * F);
  const dpool = arena.allocF32(F);
  let nSel = 0;
  let mode: HeadMode = tc === 1 ? 'factorised' : 'naive';

  const setInterval = (interval: number) => {
    const idx = templateIndices(T, interval);
    nSel = idx.length;
    const ts = arena.f32(tSel, T * tc);
    const ss = arena.f32(sSel, T * tc);
    const as = arena.f32(ageSel, T);
    idx.forEach((j, i) => {
      ts.set(tAll.subarray(j * tc, (j + 1) * tc), i * tc);
      ss.set(sAll.subarray(j * tc, (j + 1) * tc), i * tc);
      as[i] = agesAll[j];
    });
  };
  setInterval(1);
  const fcW = wp('dec.fc.w');
  const fcB = w('dec.fc.b')[0];
  const fcBp = wp('dec.fc.b');
  const eps = cfg.statsEps;

  const head = () => {
    k.f32_channel_stats(e, HW, C, mean, std, eps);
    k.f32_normalize(e, HW, C, mean, std, n);
    if (mode === 'factorised') {
      k.f32_copy_padded(n, h, ww, C, 1, nPad);
      k.f32_copy_padded(e, h, ww, C, 1, ePad);
      convFold(nPad, zeroBias, a, ACT.none);
      convFoldNeg(ePad, foldB, cm, ACT.none);
      k.f32_daa_head(a, bconst, cm, HW, F2, fold.Fpos, fcB, tSel, sSel, ageSel, nSel, perTemplate);
      return;
    }
    // naive: one decoder pass per template on delta_y = s_y N + t_y - E (= (s_y - sigma) N + t_y - mu)
    for (let j = 0; j < nSel; j++) {
      k.f32_daa_delta(n, e, HW, C, sSel + 4 * j * tc, tSel + 4 * j * tc, tc === 1 ? 0 : 1, delta);
      k.f32_copy_padded(delta, h, ww, C, 1, dPad);
      convDec(dPad, decB, dconv, ACT.relu);
      k.f32_global_avgpool(dconv, HW, F, dpool);
      k.f32_fc(dpool, F, fcW, fcBp, perTemplate + 4 * j, 1, ACT.none);
    }
    const pt = arena.f32(perTemplate, nSel);
    const ag = arena.f32(ageSel, nSel);
    for (let j = 0; j < nSel; j++) pt[j] = ag[j] - pt[j];
  };
  steps.push(head);
  return {
    x: buf.get('x')!,
    buffers: buf,
    runEncoder,
    int8Convs,
    e,
    eShape,
    perTemplate,
    run: () => steps.forEach((s) => s()),
    templates: () => nSel,
    setInterval,
    q8WinogradConvs: q8WinoConvs,
    setQ8Winograd,
    setHead: (m: HeadMode) => {
      if (m === 'factorised' && tc !== 1) throw new Error('per-channel templates have no factorised head');
      mode = m;
    },
  };
}
