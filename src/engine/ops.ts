/**
 * The op set: an op graph (a list of ops over named HWC tensors) lowered to plan steps.
 *
 * Each op kind has one lowering function in `LOWER` that reserves what it needs in the PlanBuilder
 * (weights, scratch, padded copies) and appends its kernel calls. Adding an op: a type in `Op`, a
 * lowering function, one `LOWER` entry (assembly/README.md "Adding an op").
 *
 * Choices made here, per conv: f32 3x3 / stride-1 convs with 4k channels run by Winograd F(2x2, 3x3)
 * (`winograd` option; the scalar build's Winograd kernel is slower than its direct one); other f32
 * convs run the packed direct kernel, padded ones over a zero-bordered copy so that every output
 * pixel takes the 4-pixel register tiles. With int8 weights (`q8`), convs with >= 8 input channels
 * run on u7 activation codes (src/engine/ops-int8.ts).
 */
import { ACT, type ActName } from '../kernels.ts';
import { packF32Weights } from '../pack-f32.ts';
import type { ActivationScales } from '../quant.ts';
import { packWinogradWeights, winogradPackedFloats, winogradScratchFloats } from '../winograd.ts';
import { ref, type Arg, type BufferSpec, type PlanBuilder, type Step } from './plan.ts';

export type Shape3 = [h: number, w: number, c: number];

/** a fused kernel activation, or `prelu`: x > 0 ? x : alpha_c x with weight `${name}.alpha` [C], run
 *  as its own in-place step (f32_prelu) after the op, whose kernel then applies no activation */
export type OpAct = ActName | 'prelu';

export interface ConvOp {
  kind: 'conv';
  /** weight prefix: `${name}.w` (HWIO) and `${name}.b` */
  name: string;
  src: string;
  dst: string;
  k: number;
  stride: number;
  /** symmetric zero padding, or TF "SAME" (`same`: stride 2 on an even side pads bottom / right only) */
  pad: number | 'same';
  cin: number;
  cout: number;
  act: OpAct;
  /** tensor added before the activation (a residual) */
  add?: string;
}
export interface AvgPool2Op { kind: 'avgpool2'; src: string; dst: string }
/** squeeze-excitation, in place on `buf`: x *= sigmoid(fc2(hswish(fc1(gap(x))))); weights `${name}.fc1.w` ... */
export interface SeOp { kind: 'se'; name: string; buf: string; c: number; mid: number }
/** depthwise 3x3, stride 1 | 2, TF "SAME" padding; weights `${name}.w` [3, 3, c] and `${name}.b` [c] */
export interface DwConvOp { kind: 'dwconv'; name: string; src: string; dst: string; stride: number; c: number; act: OpAct }
/** 2x2 / 2 max pool with channels zero-padded to `cout` (a downsampling BlazeBlock's shortcut) */
export interface MaxPool2PadOp { kind: 'maxpool2pad'; src: string; dst: string; cout: number }
export type Op = ConvOp | AvgPool2Op | SeOp | DwConvOp | MaxPool2PadOp;

/** The kernel activation code of an op (prelu runs as a step of its own: none in the kernel). */
export const kernelAct = (act: OpAct): number => (act === 'prelu' ? ACT.none : ACT[act]);

export interface OpGraph {
  ops: readonly Op[];
  /** shape of every tensor, the input included */
  shapes: Record<string, Shape3>;
  out: string;
}

/** f32 weights by name (a Map or a lazily dequantising view of a weight file). */
export type WeightSource = Pick<Map<string, Float32Array>, 'get' | 'has'>;

/** int8 weights and activation scales (precision 'int8', docs/kernels.md "int8"). */
export interface Q8Model {
  /** the file's int8 codes (HWIO) and per-output-channel scales of a conv weight, or null (f32 conv) */
  codes(name: string): { codes: Int8Array; scales: Float32Array } | null;
  /** per-tensor activation quantisation parameters of every conv input (src/quant.ts) */
  scales: ActivationScales;
}

export interface LowerOptions {
  /** f32 3x3 / stride-1 convs by Winograd (default true) */
  winograd?: boolean;
  q8?: Q8Model;
  /** int8 3x3 / stride-1 convs: give each Winograd step the direct kernel as its `alt` (same bits) */
  q8Switchable?: boolean;
  /** the int8 conv lowering, required with `q8`: src/engine/ops-int8.ts `planInt8` (its own module,
   *  so that a page running fp32 weights never loads it) */
  int8?: (lowering: Lowering, g: OpGraph) => Int8Lowering;
}

/** The int8 convs of a graph (src/engine/ops-int8.ts `planInt8`, loaded only for int8 weights). */
export interface Int8Lowering {
  /** does this conv run on int8 codes? */
  isQ(op: ConvOp): boolean;
  lower(lowering: Lowering, op: ConvOp): void;
}

/** What lowering shares between ops: the builder, the tensors, the weights, the int8 plan. */
export class Lowering {
  readonly steps: Step[] = [];
  readonly tensors = new Map<string, BufferSpec>();
  readonly winograd: boolean;
  int8Convs = 0;
  q8WinogradConvs = 0;
  codes: Int8Lowering | null = null;

  constructor(readonly builder: PlanBuilder, readonly shapes: Record<string, Shape3>, private readonly weights: WeightSource | null, readonly opts: LowerOptions) {
    this.winograd = opts.winograd ?? true;
    for (const [name, [h, w, c]] of Object.entries(shapes)) this.tensors.set(name, builder.f32(name, h * w * c, name === 'x' ? 'input' : 'activation'));
  }

  tensor(name: string): BufferSpec {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`plan: no tensor ${name}`);
    return t;
  }

  /** a weight tensor's f32 values (read when the plan is placed; checked now when weights are given) */
  values(name: string): () => Float32Array {
    if (this.weights && !this.weights.has(name)) throw new Error(`graph: missing weight ${name}`);
    return () => {
      const v = this.weights?.get(name);
      if (!v) throw new Error(`graph: missing weight ${name}`);
      return v;
    };
  }

  /** a weight tensor placed as it is, once however many steps read it */
  weight(name: string, n: number): BufferSpec {
    return this.builder.once(`w:${name}`, () => this.builder.constF32(name, n, this.values(name)));
  }

  /** a scratch buffer shared by every step of `key`, as large as the largest user asks */
  scratch(key: string, bytes: number): BufferSpec {
    const s = this.builder.once(`scratch:${key}`, () => this.builder.buffer(key, bytes, 'scratch'));
    s.bytes = Math.max(s.bytes, Math.ceil(bytes / 16) * 16);
    return s;
  }

  /** a zero-bordered copy target per input shape (its border stays zero: only interiors are written) */
  padded(H: number, W: number, C: number, pad: number): BufferSpec {
    const key = `${H}x${W}x${C}+${pad}`;
    return this.builder.once(`pad:${key}`, () => this.builder.f32(`padded ${key}`, (H + 2 * pad) * (W + 2 * pad) * C, 'scratch'));
  }

  winogradOk(K: number, stride: number, Cin: number, Cout: number): boolean {
    return this.winograd && K === 3 && stride === 1 && Cin % 4 === 0 && Cout % 4 === 0;
  }
}

export interface F32Conv {
  name: string;
  x: BufferSpec;
  H: number;
  W: number;
  Cin: number;
  /** HWIO weights, read at placement */
  weights: () => Float32Array;
  bias: Arg;
  y: Arg;
  Cout: number;
  K: number;
  stride: number;
  pad: number | 'same';
  act: number;
  res: Arg;
}

export const shapeStr = (H: number, W: number, C: number) => `${H}x${W}x${C}`;
const outSize = (n: number, K: number, stride: number, pad: number) => Math.floor((n + 2 * pad - K) / stride) + 1;

/**
 * TF "SAME" padding as a view into a symmetric zero-bordered copy: pad `p` = the larger side's, and
 * the view starts (p - top) rows and (p - left) columns into the copy. The view keeps the copy's row
 * pitch (Wi = W + 2p columns), so a view row's last (p - left) columns are the next row's border:
 * the kernel's output width from Wi must then equal SAME's, and its taps never reach those columns
 * (checked here). The height is cut to top + H + bottom rows.
 */
function sameView(H: number, W: number, K: number, stride: number): { pad: number; offsetPixels: number; Hi: number; Wi: number; OH: number; OW: number } {
  const OH = Math.ceil(H / stride), OW = Math.ceil(W / stride);
  const th = Math.max((OH - 1) * stride + K - H, 0), tw = Math.max((OW - 1) * stride + K - W, 0);
  const top = th >> 1, left = tw >> 1;
  const pad = Math.max(th - top, tw - left);
  const Wi = W + 2 * pad, Hi = H + top + (th - top);
  // the kernel computes its output size from (Hi, Wi) with no padding of its own; the last tap of
  // the last output column must stay inside the view's first W + left + right columns
  if (outSize(Hi, K, stride, 0) !== OH || outSize(Wi, K, stride, 0) !== OW || (OW - 1) * stride + K > W + tw)
    throw new Error(`plan: TF "SAME" ${H}x${W} k${K}s${stride} cannot run as a view of a padded copy`);
  return { pad, offsetPixels: (pad - top) * Wi + (pad - left), Hi, Wi, OH, OW };
}

/** y = act(conv(x) + b + res), f32: Winograd where it applies, else the packed direct kernel; pad > 0 through a zero-bordered copy. */
export function f32ConvSteps(lowering: Lowering, conv: F32Conv): Step[] {
  const { H, W, Cin, Cout, K, stride } = conv;
  const same = conv.pad === 'same' ? sameView(H, W, K, stride) : null;
  const pad = same ? same.pad : (conv.pad as number);
  const OH = same ? same.OH : outSize(H, K, stride, pad), OW = same ? same.OW : outSize(W, K, stride, pad);
  const macs = OH * OW * K * K * Cin * Cout;
  const shapes = `${shapeStr(H, W, Cin)} -> ${shapeStr(OH, OW, Cout)} k${K}s${stride}p${conv.pad}`;
  const steps: Step[] = [];
  let x: Arg = ref(conv.x);
  if (pad > 0) {
    const xpad = lowering.padded(H, W, Cin, pad);
    steps.push({ name: `${conv.name}/pad`, kernel: 'f32_copy_padded', args: [x, H, W, Cin, pad, ref(xpad)], macs: 0, shapes: `${shapeStr(H, W, Cin)} -> ${shapeStr(H + 2 * pad, W + 2 * pad, Cin)}` });
    x = ref(xpad, same ? 4 * same.offsetPixels * Cin : 0);
  }
  const Hi = same ? same.Hi : H + 2 * pad, Wi = same ? same.Wi : W + 2 * pad;
  if (!same && lowering.winogradOk(K, stride, Cin, Cout)) {
    const n = winogradPackedFloats(Cin, Cout);
    const u = lowering.builder.f32Weights(`${conv.name} winograd`, n, (dst) => packWinogradWeights(conv.weights(), Cin, Cout, dst));
    const ws = lowering.scratch('f32 winograd scratch', 4 * winogradScratchFloats(Cin, Cout));
    steps.push({ name: conv.name, kernel: 'f32_conv3x3_winograd', args: [x, Hi, Wi, Cin, ref(u), conv.bias, conv.y, Cout, conv.act, conv.res, ref(ws)], macs, shapes });
    return steps;
  }
  const n = Math.ceil(Cout / 8) * K * K * Cin * 8;
  const wt = lowering.builder.constF32(`${conv.name} packed`, n, () => packF32Weights(conv.weights(), K, Cin, Cout));
  steps.push({ name: conv.name, kernel: 'f32_conv2d_packed', args: [x, Hi, Wi, Cin, ref(wt), conv.bias, conv.y, Cout, K, stride, 0, conv.act, conv.res], macs, shapes });
  return steps;
}

function lowerF32Conv(lowering: Lowering, op: ConvOp): void {
  const [H, W, Cin] = lowering.shapes[op.src];
  lowering.steps.push(...f32ConvSteps(lowering, {
    name: op.name, x: lowering.tensor(op.src), H, W, Cin, weights: lowering.values(`${op.name}.w`), bias: ref(lowering.weight(`${op.name}.b`, op.cout)),
    y: ref(lowering.tensor(op.dst)), Cout: op.cout, K: op.k, stride: op.stride, pad: op.pad, act: kernelAct(op.act), res: op.add ? ref(lowering.tensor(op.add)) : 0,
  }));
}

/** The in-place PReLU step of an op whose activation is `prelu` (none otherwise). */
function preluSteps(lowering: Lowering, name: string, dst: string, act: OpAct): Step[] {
  if (act !== 'prelu') return [];
  const [H, W, C] = lowering.shapes[dst];
  return [{ name: `${name}/prelu`, kernel: 'f32_prelu', args: [ref(lowering.tensor(dst)), H * W, C, ref(lowering.weight(`${name}.alpha`, C))], macs: H * W * C, shapes: shapeStr(H, W, C) }];
}

function lowerDwConv(lowering: Lowering, op: DwConvOp): void {
  const [H, W, C] = lowering.shapes[op.src];
  const [OH, OW] = lowering.shapes[op.dst];
  lowering.steps.push({
    name: op.name, kernel: 'f32_dwconv3x3',
    args: [ref(lowering.tensor(op.src)), H, W, C, ref(lowering.weight(`${op.name}.w`, 9 * C)), ref(lowering.weight(`${op.name}.b`, C)), ref(lowering.tensor(op.dst)), op.stride, kernelAct(op.act)],
    macs: OH * OW * 9 * C, shapes: `${shapeStr(H, W, C)} -> ${shapeStr(OH, OW, C)} dw3x3s${op.stride} same`,
  }, ...preluSteps(lowering, op.name, op.dst, op.act));
}

function lowerMaxPool2Pad(lowering: Lowering, op: MaxPool2PadOp): void {
  const [H, W, C] = lowering.shapes[op.src];
  lowering.steps.push({ name: `maxpool ${op.src}`, kernel: 'f32_pad_channels', args: [ref(lowering.tensor(op.src)), H, W, C, ref(lowering.tensor(op.dst)), op.cout, 2], macs: H * W * C, shapes: `${shapeStr(H, W, C)} -> ${shapeStr(H >> 1, W >> 1, op.cout)}` });
}

function lowerAvgPool(lowering: Lowering, op: AvgPool2Op): void {
  const [H, W, C] = lowering.shapes[op.src];
  lowering.steps.push({ name: `avgpool ${op.src}`, kernel: 'f32_avgpool2x2', args: [ref(lowering.tensor(op.src)), H, W, C, ref(lowering.tensor(op.dst))], macs: H * W * C, shapes: `${shapeStr(H, W, C)} -> ${shapeStr(H >> 1, W >> 1, C)}` });
}

function lowerSe(lowering: Lowering, op: SeOp): void {
  const [H, W, C] = lowering.shapes[op.buf];
  const maxC = Math.max(...Object.values(lowering.shapes).map((s) => s[2]));
  // one scratch for every SE: pooled [0, maxC), mid [maxC, 2 maxC), scale [2 maxC, 3 maxC) floats
  const tmp = lowering.builder.once('se', () => lowering.builder.f32('se scratch', 3 * maxC, 'scratch'));
  const x = ref(lowering.tensor(op.buf));
  const [w1, b1, w2, b2] = ([['fc1.w', C * op.mid], ['fc1.b', op.mid], ['fc2.w', op.mid * C], ['fc2.b', C]] as const).map(([s, n]) => ref(lowering.weight(`${op.name}.${s}`, n)));
  const pooled = ref(tmp), mid = ref(tmp, 4 * maxC), scale = ref(tmp, 8 * maxC);
  const shapes = `${shapeStr(H, W, C)} (mid ${op.mid})`;
  lowering.steps.push(
    { name: `${op.name}/pool`, kernel: 'f32_global_avgpool', args: [x, H * W, C, pooled], macs: H * W * C, shapes },
    { name: `${op.name}/fc1`, kernel: 'f32_fc', args: [pooled, C, w1, b1, mid, op.mid, ACT.hswish], macs: C * op.mid, shapes },
    { name: `${op.name}/fc2`, kernel: 'f32_fc', args: [mid, op.mid, w2, b2, scale, C, ACT.sigmoid], macs: op.mid * C, shapes },
    { name: `${op.name}/scale`, kernel: 'f32_scale_channels', args: [x, H * W, C, scale], macs: H * W * C, shapes },
  );
}

const LOWER: { [K in Op['kind']]: (lowering: Lowering, op: Extract<Op, { kind: K }>) => void } = {
  conv: (lowering, op) => {
    if (lowering.codes?.isQ(op)) lowering.codes.lower(lowering, op);
    else lowerF32Conv(lowering, op);
    lowering.steps.push(...preluSteps(lowering, op.name, op.dst, op.act));
  },
  avgpool2: lowerAvgPool,
  se: lowerSe,
  dwconv: lowerDwConv,
  maxpool2pad: lowerMaxPool2Pad,
};

/** Lowers an op graph: its tensors, weights and steps go into `b`; returns the lowering (steps, tensors, counts). */
export function lowerGraph(b: PlanBuilder, g: OpGraph, weights: WeightSource | null, opts: LowerOptions = {}): Lowering {
  const lowering = new Lowering(b, g.shapes, weights, opts);
  if (opts.q8) {
    if (!opts.int8) throw new Error('plan: int8 weights need the int8 lowering (LowerOptions.int8: src/engine/ops-int8.ts planInt8)');
    lowering.codes = opts.int8(lowering, g);
  }
  for (const op of g.ops) (LOWER[op.kind] as (lowering: Lowering, op: Op) => void)(lowering, op);
  return lowering;
}
