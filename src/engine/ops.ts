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
 * run on u7 activation codes (lowerQ8Conv, planned by `planCodes`).
 */
import { ACT, type ActName } from '../kernels.ts';
import { codeStride, packedQ8Bytes, packF32Weights, packQ8Weights, packQ8WinogradWeights, q8WinogradPackedLength, q8WinogradScratchBytes, type ActivationScales } from '../quant.ts';
import { packWinogradWeights, winogradPackedFloats, winogradScratchFloats } from '../winograd.ts';
import { ref, type Arg, type BufferSpec, type PlanBuilder, type Step } from './plan.ts';

export type Shape3 = [h: number, w: number, c: number];

export interface ConvOp {
  kind: 'conv';
  /** weight prefix: `${name}.w` (HWIO) and `${name}.b` */
  name: string;
  src: string;
  dst: string;
  k: number;
  stride: number;
  pad: number;
  cin: number;
  cout: number;
  act: ActName;
  /** tensor added before the activation (a residual) */
  add?: string;
}
export interface AvgPool2Op { kind: 'avgpool2'; src: string; dst: string }
/** squeeze-excitation, in place on `buf`: x *= sigmoid(fc2(hswish(fc1(gap(x))))); weights `${name}.fc1.w` ... */
export interface SeOp { kind: 'se'; name: string; buf: string; c: number; mid: number }
export type Op = ConvOp | AvgPool2Op | SeOp;

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
}

/** A u7 code tensor: H x W x C stored with a zero border of `border` pixels and `cs` bytes per pixel. */
interface CodeTensor { buf: BufferSpec; border: number; pitch: number; cs: number }

/** What lowering shares between ops: the builder, the tensors, the weights, the int8 plan. */
export class Lowering {
  readonly steps: Step[] = [];
  readonly tensors = new Map<string, BufferSpec>();
  readonly winograd: boolean;
  int8Convs = 0;
  q8WinogradConvs = 0;
  codes: CodePlan | null = null;

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
  pad: number;
  act: number;
  res: Arg;
}

const shapeStr = (H: number, W: number, C: number) => `${H}x${W}x${C}`;
const outSize = (n: number, K: number, stride: number, pad: number) => Math.floor((n + 2 * pad - K) / stride) + 1;

/** y = act(conv(x) + b + res), f32: Winograd where it applies, else the packed direct kernel; pad > 0 through a zero-bordered copy. */
export function f32ConvSteps(lowering: Lowering, conv: F32Conv): Step[] {
  const { H, W, Cin, Cout, K, stride, pad } = conv;
  const OH = outSize(H, K, stride, pad), OW = outSize(W, K, stride, pad);
  const macs = OH * OW * K * K * Cin * Cout;
  const shapes = `${shapeStr(H, W, Cin)} -> ${shapeStr(OH, OW, Cout)} k${K}s${stride}p${pad}`;
  const steps: Step[] = [];
  let x: Arg = ref(conv.x);
  if (pad > 0) {
    const xpad = lowering.padded(H, W, Cin, pad);
    steps.push({ name: `${conv.name}/pad`, kernel: 'f32_copy_padded', args: [x, H, W, Cin, pad, ref(xpad)], macs: 0, shapes: `${shapeStr(H, W, Cin)} -> ${shapeStr(H + 2 * pad, W + 2 * pad, Cin)}` });
    x = ref(xpad);
  }
  const Hi = H + 2 * pad, Wi = W + 2 * pad;
  if (lowering.winogradOk(K, stride, Cin, Cout)) {
    const n = winogradPackedFloats(Cin, Cout);
    const u = lowering.builder.buffer(`${conv.name} winograd`, 4 * n, 'weights', (mem, p) => packWinogradWeights(conv.weights(), Cin, Cout, new Float32Array(mem, p, n)));
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
    y: ref(lowering.tensor(op.dst)), Cout: op.cout, K: op.k, stride: op.stride, pad: op.pad, act: ACT[op.act], res: op.add ? ref(lowering.tensor(op.add)) : 0,
  }));
}

/**
 * Which convs run int8, which tensors get codes and which keep an f32 copy. A tensor that only
 * int8 convs read, produced by an int8 conv and not rescaled in place (SE), is written as codes by
 * its producer ("direct"); others are quantised by qs8_quantize just before their first int8 reader.
 */
export class CodePlan {
  readonly code = new Map<string, CodeTensor>();
  private readonly quantised = new Set<string>();
  private readonly direct = new Set<string>();
  readonly f32Used = new Set<string>();

  constructor(private readonly lowering: Lowering, ops: readonly Op[], out: string, private readonly q8: Q8Model) {
    const convs = ops.filter((o): o is ConvOp => o.kind === 'conv');
    const border = new Map<string, number>();
    for (const op of convs) if (this.isQ(op)) border.set(op.src, Math.max(border.get(op.src) ?? 0, op.pad));
    const seOn = new Set(ops.flatMap((o) => (o.kind === 'se' ? [o.buf] : [])));
    const qProduced = new Set(convs.filter((o) => this.isQ(o)).map((o) => o.dst));
    for (const b of border.keys()) if (qProduced.has(b) && !seOn.has(b)) this.direct.add(b);
    this.f32Used.add(out);
    for (const o of ops) {
      if (o.kind === 'avgpool2') this.f32Used.add(o.src);
      else if (o.kind === 'se') this.f32Used.add(o.buf);
      else {
        if (o.add) this.f32Used.add(o.add);
        if (!this.isQ(o)) this.f32Used.add(o.src);
      }
    }
    for (const b of border.keys()) if (!this.direct.has(b)) this.f32Used.add(b);
    for (const [name, bd] of border) {
      const [h, w, c] = lowering.shapes[name];
      const cs = codeStride(c);
      const pitch = w + 2 * bd;
      this.code.set(name, { buf: lowering.builder.buffer(`${name} codes`, (h + 2 * bd) * pitch * cs, 'activation'), border: bd, pitch, cs });
    }
  }

  /** int8 when the file has codes for it, it has >= 8 input channels (RGB stems stay f32: a 4-byte
   *  code quad would hold at most 3 real channels) and its zero padding can be stored as codes */
  isQ(op: ConvOp): boolean {
    if (op.cin < 8 || !this.q8.codes(`${op.name}.w`)) return false;
    const p = this.q8.scales[op.src];
    // an offset tensor has no zero code, so its zero padding cannot be stored as codes: f32 conv
    return !!p && !(p[1] !== 0 && op.pad > 0);
  }

  isDirect(name: string): boolean {
    return this.direct.has(name);
  }

  /** byte offset of pixel (0, 0) of the interior minus `pad` pixels each way */
  origin(t: CodeTensor, pad: number): number {
    return ((t.border - pad) * t.pitch + (t.border - pad)) * t.cs;
  }

  /** the qs8_quantize step of `name`, once, unless its producer writes codes itself */
  quantiseSteps(name: string): Step[] {
    if (this.direct.has(name) || this.quantised.has(name)) return [];
    this.quantised.add(name);
    const [H, W, C] = this.lowering.shapes[name];
    const t = this.code.get(name)!;
    const [scale, off] = this.q8.scales[name];
    const args = [ref(this.lowering.tensor(name)), H, W, C, ref(t.buf, this.origin(t, 0)), t.pitch, t.cs, Math.fround(1 / scale), off];
    return [{ name: `${name}/quantise`, kernel: 'qs8_quantize', args, macs: 0, shapes: `${shapeStr(H, W, C)} -> u7 codes` }];
  }
}

/** The requantised-output arguments of an int8 conv: codes for a direct consumer, else none. */
function q8Output(cp: CodePlan, q8: Q8Model, dst: string): Arg[] {
  if (!cp.isDirect(dst)) return [0, 0, 0, 0, 0];
  const t = cp.code.get(dst)!;
  return [ref(t.buf, cp.origin(t, 0)), t.pitch, t.cs, Math.fround(1 / q8.scales[dst][0]), q8.scales[dst][1]];
}

function lowerQ8Conv(lowering: Lowering, op: ConvOp): void {
  const cp = lowering.codes!;
  const q8 = lowering.opts.q8!;
  const [H, W, Cin] = lowering.shapes[op.src];
  const [OH, OW] = lowering.shapes[op.dst];
  const { k: K, stride, pad, cout } = op;
  lowering.steps.push(...cp.quantiseSteps(op.src));
  const xt = cp.code.get(op.src)!;
  const { codes, scales: wsc } = q8.codes(`${op.name}.w`)!;
  const [sx, ox] = q8.scales[op.src];
  const bias = lowering.values(`${op.name}.b`);
  const ms = lowering.builder.constF32(`${op.name} ms`, cout, () => Array.from(wsc, (s) => Math.fround(sx * s)));
  const bs = lowering.builder.constF32(`${op.name} bias`, cout, () => {
    const b = Float64Array.from(bias());
    // x = sx q + ox: the offset's contribution ox * sum of the (dequantised) weights is a per-channel constant (pad 0)
    if (ox !== 0) for (let i = 0; i < codes.length; i++) b[i % cout] += ox * codes[i] * wsc[i % cout];
    return b;
  });
  const y = cp.f32Used.has(op.dst) ? ref(lowering.tensor(op.dst)) : 0;
  const res = op.add ? ref(lowering.tensor(op.add)) : 0;
  const head: Arg[] = [ref(xt.buf, cp.origin(xt, pad)), H + 2 * pad, W + 2 * pad, xt.pitch, xt.cs];
  const tail: Arg[] = [ACT[op.act], res, y, ...q8Output(cp, q8, op.dst)];
  const step = { name: op.name, macs: OH * OW * K * K * Cin * cout, shapes: `${shapeStr(H, W, Cin)} -> ${shapeStr(OH, OW, cout)} k${K}s${stride}p${pad} int8` };
  lowering.int8Convs++;
  // 3x3 / stride 1 runs by exact integer Winograd on the SIMD builds (same codes and outputs);
  // a switchable plan keeps the direct kernel as the step's alternative
  const wino = lowering.winograd && K === 3 && stride === 1;
  let direct: { kernel: 'qs8_conv2d'; args: Arg[] } | undefined;
  if (!wino || lowering.opts.q8Switchable) {
    const wq = lowering.builder.buffer(`${op.name} packed`, packedQ8Bytes(K, Cin, cout), 'weights', (mem, p) => new Int8Array(mem, p, packedQ8Bytes(K, Cin, cout)).set(packQ8Weights(codes, K, Cin, cout)));
    direct = { kernel: 'qs8_conv2d', args: [...head, ref(wq), cout, K, stride, ref(ms), ref(bs), ...tail] };
  }
  if (!wino) {
    lowering.steps.push({ ...step, ...direct! });
    return;
  }
  const n = q8WinogradPackedLength(Cin, cout);
  const uq = lowering.builder.buffer(`${op.name} winograd`, 2 * n, 'weights', (mem, p) => packQ8WinogradWeights(codes, Cin, cout, new Int16Array(mem, p, n)));
  const ws = lowering.scratch('int8 winograd scratch', q8WinogradScratchBytes(codeStride(Cin), cout));
  lowering.q8WinogradConvs++;
  lowering.steps.push({ ...step, kernel: 'qs8_conv3x3_winograd', args: [...head, ref(uq), cout, ref(ms), ref(bs), ...tail, ref(ws)], alt: direct });
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
  conv: (lowering, op) => (lowering.codes?.isQ(op) ? lowerQ8Conv(lowering, op) : lowerF32Conv(lowering, op)),
  avgpool2: lowerAvgPool,
  se: lowerSe,
};

/** Lowers an op graph: its tensors, weights and steps go into `b`; returns the lowering (steps, tensors, counts). */
export function lowerGraph(b: PlanBuilder, g: OpGraph, weights: WeightSource | null, opts: LowerOptions = {}): Lowering {
  const lowering = new Lowering(b, g.shapes, weights, opts);
  if (opts.q8) lowering.codes = new CodePlan(lowering, g.ops, g.out, opts.q8);
  for (const op of g.ops) (LOWER[op.kind] as (lowering: Lowering, op: Op) => void)(lowering, op);
  return lowering;
}
