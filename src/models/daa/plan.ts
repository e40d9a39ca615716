/**
 * The DAA family's plan: encoder (src/arch.ts's op graph, lowered by src/engine/ops.ts) + head
 * (./head.ts, or global pool + linear regression for `daa: 'none'`). Pure data: buffers with their
 * sizes and steps; nothing is allocated until src/models/daa/model.ts places it.
 */
import { encoderGraph, type ModelConfig, type Shape3 } from '../../arch.ts';
import { lowerGraph, type LowerOptions, type WeightSource } from '../../engine/ops.ts';
import { PlanBuilder, ref, type BufferSpec, type Step } from '../../engine/plan.ts';
import { ACT } from '../../kernels.ts';
import { planDaaHead, type DaaHeadPlan, type HeadMode } from './head.ts';

export interface DaaPlan {
  cfg: ModelConfig;
  /** every buffer, sized: the memory plan */
  builder: PlanBuilder;
  /** input X: inputSize x inputSize x 3 f32 */
  input: BufferSpec;
  /** encoder tensors by name (encoderGraph's names) */
  tensors: Map<string, BufferSpec>;
  encoder: Step[];
  e: BufferSpec;
  eShape: Shape3;
  /** null for `daa: 'none'` (then `regression` holds the steps after the encoder) */
  head: DaaHeadPlan | null;
  regression: Step[];
  /** the output of `regression` (one f32) */
  regressionOut: BufferSpec | null;
  int8Convs: number;
  q8WinogradConvs: number;
}

/** Plans a DAA model. `weights` null: sizes and steps only (what the model would cost). */
export function planDaa(cfg: ModelConfig, weights: WeightSource | null, opts: LowerOptions = {}): DaaPlan {
  const g = encoderGraph(cfg);
  const builder = new PlanBuilder();
  const lowering = lowerGraph(builder, g, weights, opts);
  const e = lowering.tensor(g.out);
  const eShape = g.shapes[g.out];
  const base = { cfg, builder, input: lowering.tensor('x'), tensors: lowering.tensors, encoder: lowering.steps, e, eShape, int8Convs: lowering.int8Convs, q8WinogradConvs: lowering.q8WinogradConvs };
  if (cfg.daa !== 'none') return { ...base, head: planDaaHead(lowering, cfg, e, eShape), regression: [], regressionOut: null };
  const [h, w, C] = eShape;
  const pooled = builder.f32('pooled', C);
  const out = builder.f32('age', 1, 'output');
  const regression: Step[] = [
    { name: 'reg/pool', kernel: 'f32_global_avgpool', args: [ref(e), h * w, C, ref(pooled)], macs: h * w * C, shapes: eShape.join('x') },
    { name: 'reg/fc', kernel: 'f32_fc', args: [ref(pooled), C, ref(lowering.weight('reg.fc.w', C)), ref(lowering.weight('reg.fc.b', 1)), ref(out), 1, ACT.none], macs: C, shapes: `${C} -> 1` },
  ];
  return { ...base, head: null, regression, regressionOut: out };
}

/** The steps after the encoder for one estimate of `nSel` templates. */
export function headSteps(p: DaaPlan, mode: HeadMode, nSel: number): Step[] {
  if (!p.head) return p.regression;
  return mode === 'factorised' ? p.head.factorised(nSel) : p.head.naive(nSel);
}

/** The head a plan runs unless told otherwise: factorised where the styles are scalars. */
export function defaultHead(p: DaaPlan): HeadMode {
  return p.head && p.head.tc !== 1 ? 'naive' : 'factorised';
}

/**
 * What a configuration costs once loaded, from its own plan: the bytes every buffer of the fp32
 * plan of the SIMD builds takes (exactly what such an estimator places, without the kernels' static
 * data and the image staging area; an int8 plan places less, or up to a few percent more on the
 * relaxed build, which keeps two layouts of its int8 3x3 weights) and the multiply-adds of one
 * estimate over all templates with the dearer head.
 * Nothing is allocated and no weight is read, so it can gate a hostile config first.
 */
export function daaCost(cfg: ModelConfig): { memoryBytes: number; macs: number } {
  const p = planDaa(cfg, null, { winograd: true });
  const sum = (steps: Step[]) => steps.reduce((a, s) => a + s.macs, 0);
  const T = cfg.daa === 'none' ? 1 : cfg.numTemplates;
  // the naive head repeats the same steps per template: its cost for T templates from those of 1 and 2
  // (not T x 6 step objects: this gates every weight file read)
  const naive = (h: DaaHeadPlan) => sum(h.naive(1)) + (T - 1) * (sum(h.naive(2)) - sum(h.naive(1)));
  const head = p.head ? Math.max(p.head.tc === 1 ? sum(p.head.factorised(T)) : 0, naive(p.head)) : sum(p.regression);
  return { memoryBytes: p.builder.bytes, macs: sum(p.encoder) + head };
}
