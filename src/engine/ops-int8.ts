/**
 * The int8 convolutions of an op graph (precision 'int8', docs/kernels.md "int8"): which convs run
 * on u7 activation codes, where the codes live, and their steps (qs8_quantize, qs8_conv2d,
 * qs8_conv3x3_winograd). Its own module, passed to lowerGraph as `LowerOptions.int8`, so that the
 * fp32 path never loads it.
 */
import { codeStride, packedQ8Bytes, packQ8Weights, packQ8WinogradWeights, q8WinogradPackedLength, q8WinogradScratchBytes } from '../quant.ts';
import { kernelAct, shapeStr, type ConvOp, type Int8Lowering, type Lowering, type Op, type OpGraph, type Q8Model } from './ops.ts';
import { ref, type Arg, type BufferSpec, type Step } from './plan.ts';

/** A u7 code tensor: H x W x C stored with a zero border of `border` pixels and `cs` bytes per pixel. */
interface CodeTensor { buf: BufferSpec; border: number; pitch: number; cs: number }

/** The int8 lowering of a graph with int8 weights `lowering.opts.q8`. */
export function planInt8(lowering: Lowering, g: OpGraph): Int8Lowering {
  return new CodePlan(lowering, g.ops, g.out, lowering.opts.q8!);
}

/**
 * Which convs run int8, which tensors get codes and which keep an f32 copy. A tensor that only
 * int8 convs read, produced by an int8 conv and not rescaled in place (SE), is written as codes by
 * its producer ("direct"); others are quantised by qs8_quantize just before their first int8 reader.
 */
class CodePlan implements Int8Lowering {
  readonly code = new Map<string, CodeTensor>();
  private readonly quantised = new Set<string>();
  private readonly direct = new Set<string>();
  readonly f32Used = new Set<string>();

  constructor(private readonly lowering: Lowering, ops: readonly Op[], out: string, private readonly q8: Q8Model) {
    const convs = ops.filter((o): o is ConvOp => o.kind === 'conv');
    const border = new Map<string, number>();
    for (const op of convs) if (this.isQ(op)) border.set(op.src, Math.max(border.get(op.src) ?? 0, op.pad as number));
    const seOn = new Set(ops.flatMap((o) => (o.kind === 'se' ? [o.buf] : [])));
    // a PReLU runs after its conv on the f32 output: such a conv cannot write its consumer's codes
    const qProduced = new Set(convs.filter((o) => this.isQ(o) && o.act !== 'prelu').map((o) => o.dst));
    for (const b of border.keys()) if (qProduced.has(b) && !seOn.has(b)) this.direct.add(b);
    this.f32Used.add(out);
    for (const o of ops) {
      if (o.kind === 'avgpool2' || o.kind === 'dwconv' || o.kind === 'maxpool2pad') this.f32Used.add(o.src);
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
    // the int8 Winograd scratch next to the codes it reads (sized by its largest user, lowerQ8Conv)
    if (convs.some((op) => this.isQ(op) && lowering.winograd && op.k === 3 && op.stride === 1)) lowering.scratch('int8 winograd scratch', 0);
  }

  /** int8 when the file has codes for it, it has >= 8 input channels (RGB stems stay f32: a 4-byte
   *  code quad would hold at most 3 real channels) and its zero padding can be stored as codes */
  isQ(op: ConvOp): boolean {
    // TF "SAME" convs (RGB stems so far) stay f32: their asymmetric padding is a view of an f32 copy
    if (op.cin < 8 || op.pad === 'same' || !this.q8.codes(`${op.name}.w`)) return false;
    const p = this.q8.scales[op.src];
    // an offset tensor has no zero code, so its zero padding cannot be stored as codes: f32 conv
    return !!p && !(p[1] !== 0 && op.pad > 0);
  }

  lower(lowering: Lowering, op: ConvOp): void {
    lowerQ8Conv(lowering, this, op);
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

function lowerQ8Conv(lowering: Lowering, cp: CodePlan, op: ConvOp): void {
  const q8 = lowering.opts.q8!;
  const b = lowering.builder;
  const [H, W, Cin] = lowering.shapes[op.src];
  const [OH, OW] = lowering.shapes[op.dst];
  const { k: K, stride, cout } = op;
  const pad = op.pad as number; // isQ excludes 'same'
  lowering.steps.push(...cp.quantiseSteps(op.src));
  const xt = cp.code.get(op.src)!;
  const { codes, scales: wsc } = q8.codes(`${op.name}.w`)!;
  // 3x3 / stride 1 runs by exact integer Winograd on the SIMD builds (same codes and outputs);
  // a switchable plan keeps the direct kernel as the step's alternative
  const wino = lowering.winograd && K === 3 && stride === 1;
  const n = q8WinogradPackedLength(Cin, cout);
  const uq = wino ? b.buffer(`${op.name} winograd`, 2 * n, 'weights', (mem, p) => packQ8WinogradWeights(codes, Cin, cout, new Int16Array(mem, p, n))) : null;
  const wqBytes = packedQ8Bytes(K, Cin, cout);
  const wq = !wino || lowering.opts.q8Switchable ? b.buffer(`${op.name} packed`, wqBytes, 'weights', (mem, p) => new Int8Array(mem, p, wqBytes).set(packQ8Weights(codes, K, Cin, cout))) : null;
  const [sx, ox] = q8.scales[op.src];
  const bias = lowering.values(`${op.name}.b`);
  const ms = b.constF32(`${op.name} ms`, cout, () => Array.from(wsc, (s) => Math.fround(sx * s)));
  const bs = b.constF32(`${op.name} bias`, cout, () => {
    const v = Float64Array.from(bias());
    // x = sx q + ox: the offset's contribution ox * sum of the (dequantised) weights is a per-channel constant (pad 0)
    if (ox !== 0) for (let i = 0; i < codes.length; i++) v[i % cout] += ox * codes[i] * wsc[i % cout];
    return v;
  });
  const y = cp.f32Used.has(op.dst) ? ref(lowering.tensor(op.dst)) : 0;
  const res = op.add ? ref(lowering.tensor(op.add)) : 0;
  const head: Arg[] = [ref(xt.buf, cp.origin(xt, pad)), H + 2 * pad, W + 2 * pad, xt.pitch, xt.cs];
  const tail: Arg[] = [kernelAct(op.act), res, y, ...q8Output(cp, q8, op.dst)];
  const step = { name: op.name, macs: OH * OW * K * K * Cin * cout, shapes: `${shapeStr(H, W, Cin)} -> ${shapeStr(OH, OW, cout)} k${K}s${stride}p${pad} int8` };
  const direct = wq ? { kernel: 'qs8_conv2d' as const, args: [...head, ref(wq), cout, K, stride, ref(ms), ref(bs), ...tail] } : undefined;
  lowering.int8Convs++;
  if (!uq) {
    lowering.steps.push({ ...step, ...direct! });
    return;
  }
  const ws = lowering.scratch('int8 winograd scratch', q8WinogradScratchBytes(codeStride(Cin), cout));
  lowering.q8WinogradConvs++;
  lowering.steps.push({ ...step, kernel: 'qs8_conv3x3_winograd', args: [...head, ref(uq), cout, ref(ms), ref(bs), ...tail, ref(ws)], alt: direct });
}
