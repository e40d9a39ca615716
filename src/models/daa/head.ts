/**
 * The DAA head planned as steps: E -> per-template estimates.
 *
 * It runs factorised wherever the template styles are one scalar pair per age (binary mapping,
 * all-channel templates):
 *   Conv(delta_y) = s_y Conv(N) + t_y Conv(1) - Conv(E) + b
 * with Conv(1) computed once at load (a setup step). Per-channel templates (and the `naive` head, the
 * reference the factorised head is tested against) build delta_y and convolve it per template.
 *
 * The template tables the head kernels read (tSel, sSel, ageSel) hold the templates of one interval,
 * contiguous: they are an input of each estimate, written by `writeTemplates` (src/models/daa/model.ts).
 */
import { binaryCodes, CODE_BITS, type ModelConfig } from '../../arch.ts';
import { f32ConvSteps, type Lowering, type Shape3 } from '../../engine/ops.ts';
import { ref, type BufferSpec, type Step } from '../../engine/plan.ts';
import { ACT } from '../../kernels.ts';

export type HeadMode = 'factorised' | 'naive';

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

/** Template styles of all T templates: t/s are T x tc (tc = 1 or C), ages T. */
export interface TemplateTable { t: Float32Array; s: Float32Array; age: Float32Array; tc: number }

export function templateTable(cfg: ModelConfig, C: number, w: (n: string) => Float32Array): TemplateTable {
  const T = cfg.numTemplates;
  if (cfg.daa === 'binary') return { ...binaryStyles(w, T), age: Float32Array.from({ length: T }, (_, i) => i), tc: 1 };
  return { t: w('tmpl.t'), s: w('tmpl.s'), age: w('tmpl.age'), tc: cfg.daa === 'template_channel' ? C : 1 };
}

/** The head's planned buffers and steps; `naive(nSel)` and `factorised(nSel)` list one estimate's head. */
export interface DaaHeadPlan {
  /** templates per age entry: 1 (scalar styles: the factorised head applies) or C */
  tc: number;
  /** T x tc styles and T ages of the current interval's templates, written per estimate */
  tSel: BufferSpec;
  sSel: BufferSpec;
  ageSel: BufferSpec;
  perTemplate: BufferSpec;
  /** run once after placement: Conv(1; W') */
  setup: Step[];
  factorised(nSel: number): Step[];
  naive(nSel: number): Step[];
}

const shapeStr = (s: Shape3) => s.join('x');

/** Plans the DAA head over E (`eBuf`, shape `eShape`); weights come through the encoder's lowering. */
export function planDaaHead(lowering: Lowering, cfg: ModelConfig, eBuf: BufferSpec, eShape: Shape3): DaaHeadPlan {
  const builder = lowering.builder;
  const [h, ww, C] = eShape;
  const HW = h * ww;
  const T = cfg.numTemplates;
  const F = cfg.featDim;
  const tc = cfg.daa === 'template_channel' ? C : 1;
  const mean = builder.f32('mean', C), std = builder.f32('std', C), n = builder.f32('N', HW * C);
  // The decoder conv is 3x3 / pad 1: its inputs are copied into zero-bordered (h+2) x (w+2) x C
  // buffers (borders zeroed once, by the arena) and convolved with pad 0, so every output pixel
  // takes the convolution's interior tiles (on an 8x8 map half the pixels are border pixels).
  const pH = h + 2, pW = ww + 2;
  const nPad = builder.f32('N padded', pH * pW * C), ePad = builder.f32('E padded', pH * pW * C);
  const F2 = Math.ceil(F / 4) * 4;
  let folded: ReturnType<typeof foldDecoder> | null = null;
  const wDec = lowering.values('dec.conv.w'), bDec = lowering.values('dec.conv.b'), lw = lowering.values('dec.fc.w');
  const fold = () => (folded ??= foldDecoder(wDec(), bDec(), lw(), C, F, HW));
  const a = builder.f32('a = Conv(N)', HW * F2), cm = builder.f32('cm = Conv(E; -W) + b', HW * F2);
  const zeroBias = builder.f32('zero bias', F2, 'weights');
  const bconst = builder.f32('bconst = Conv(1)', HW * F2, 'weights');
  const onesPad = builder.buffer('ones padded', 4 * pH * pW * C, 'weights', (mem, p) => {
    const o = new Float32Array(mem, p, pH * pW * C);
    for (let y = 1; y <= h; y++) o.fill(1, (y * pW + 1) * C, (y * pW + 1 + ww) * C);
  });
  const foldB = builder.constF32('folded bias', F2, () => fold().b);
  // the decoder conv over a zero-bordered input, pad 0: Winograd where it applies, else direct
  const decConv = (name: string, x: BufferSpec, weights: () => Float32Array, bias: BufferSpec, y: BufferSpec, Cout: number, act: number) =>
    f32ConvSteps(lowering, { name, x, H: pH, W: pW, Cin: C, weights, bias: ref(bias), y: ref(y), Cout, K: 3, stride: 1, pad: 0, act, res: 0 });
  const convFold = (name: string, x: BufferSpec, y: BufferSpec) => decConv(name, x, () => fold().w, zeroBias, y, F2, ACT.none);
  const convN = convFold('head/conv N', nPad, a);
  // bconst = Conv(1; W') by the same weights and kernel (x is argument 0 and y argument 6 of both conv kernels)
  const setup = convN.map((s) => ({ ...s, name: 'head/bconst', args: s.args.map((v, i) => (i === 0 ? ref(onesPad) : i === 6 ? ref(bconst) : v)) }));
  const convNeg = decConv('head/conv E', ePad, () => fold().w.map((v) => -v), foldB, cm, F2, ACT.none);
  // the naive reference path keeps the decoder's own weights
  const dPad = builder.f32('delta padded', pH * pW * C), delta = builder.f32('delta', HW * C), dconv = builder.f32('decoder out', HW * F), dpool = builder.f32('decoder pooled', F);
  const convDec = decConv('head/decoder', dPad, lowering.values('dec.conv.w'), lowering.weight('dec.conv.b', F), dconv, F, ACT.relu);
  const tSel = builder.f32('templates t', T * tc, 'input'), sSel = builder.f32('templates s', T * tc, 'input'), ageSel = builder.f32('templates age', T, 'input');
  const perTemplate = builder.f32('perTemplate', T, 'output');
  const fcW = lowering.weight('dec.fc.w', F), fcB = lowering.weight('dec.fc.b', 1);
  const E = shapeStr(eShape);
  const stats: Step[] = [
    { name: 'head/stats', kernel: 'f32_channel_stats', args: [ref(eBuf), HW, C, ref(mean), ref(std), cfg.statsEps], macs: 2 * HW * C, shapes: E },
    { name: 'head/normalize', kernel: 'f32_normalize', args: [ref(eBuf), HW, C, ref(mean), ref(std), ref(n)], macs: HW * C, shapes: E },
  ];
  const padSteps = (name: string, x: BufferSpec, y: BufferSpec): Step => ({ name, kernel: 'f32_copy_padded', args: [ref(x), h, ww, C, 1, ref(y)], macs: 0, shapes: `${E} -> ${pH}x${pW}x${C}` });
  const lb = () => lowering.values('dec.fc.b')()[0];
  const Fpos = () => fold().Fpos;
  return {
    tc, tSel, sSel, ageSel, perTemplate, setup,
    factorised: (nSel) => [
      ...stats, padSteps('head/pad N', n, nPad), padSteps('head/pad E', eBuf, ePad), ...convN, ...convNeg,
      { name: 'head/daa', kernel: 'f32_daa_head', args: [ref(a), ref(bconst), ref(cm), HW, F2, Fpos, lb, ref(tSel), ref(sSel), ref(ageSel), nSel, ref(perTemplate)], macs: 3 * nSel * HW * F2, shapes: `${nSel} templates x ${h}x${ww}x${F2}` },
    ],
    // naive: one decoder pass per template on delta_y = s_y N + t_y - E (= (s_y - sigma) N + t_y - mu);
    // perTemplate then holds D_j, and the caller forms age_j - D_j
    naive: (nSel) => [
      ...stats,
      ...Array.from({ length: nSel }, (_, j) => [
        { name: `head/t${j}/delta`, kernel: 'f32_daa_delta', args: [ref(n), ref(eBuf), HW, C, ref(sSel, 4 * j * tc), ref(tSel, 4 * j * tc), tc === 1 ? 0 : 1, ref(delta)], macs: 2 * HW * C, shapes: E } as Step,
        padSteps(`head/t${j}/pad`, delta, dPad),
        ...convDec.map((s) => ({ ...s, name: `head/t${j}/${s.name.slice(5)}` })),
        { name: `head/t${j}/pool`, kernel: 'f32_global_avgpool', args: [ref(dconv), HW, F, ref(dpool)], macs: HW * F, shapes: `${h}x${ww}x${F}` } as Step,
        { name: `head/t${j}/fc`, kernel: 'f32_fc', args: [ref(dpool), F, ref(fcW), ref(fcB), ref(perTemplate, 4 * j), 1, ACT.none], macs: F, shapes: `${F} -> 1` } as Step,
      ]).flat(),
    ],
  };
}
