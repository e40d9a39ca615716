/**
 * The BlazeFace detector's plan, on the engine's plan scheme (src/engine/plan.ts): every buffer with
 * its size (the memory plan) and the steps of one detector run `{ name, kernel, args }`, as data;
 * nothing is allocated until src/detect/detector.ts places it (`Placement`) and binds the steps
 * (`bind`). With `tensors` null nothing is read: `detectorCost` sizes a configuration that way, before
 * a weight file's tensors are checked.
 *
 * Buffers (f32, HWC): `input` (S x S x 3, the warped image in [-1, 1]); `a` / `b` (block input /
 * output, swapped after each block); `dw` (the depthwise output); `skip` (the zero-channel-padded,
 * possibly max-pooled skip path; blocks with cin == cout and stride 1 add `a` itself); `scores`
 * (N anchors) and `boxes` (N x coords): each head writes its slice of these directly (a head's 1x1
 * conv output, side x side x anchors, is already in anchor order), so the two outputs need no
 * concatenation. The warp into `input` is not a step: its matrix changes with every window, so the
 * detector calls it before running the steps (as src/estimator.ts calls the resize before a DAA plan).
 */
import { PlanBuilder, ref, type BufferSpec, type Step } from '../engine/plan.ts';
import { dequantize, type StoredTensor } from '../format.ts';
import { ACT } from '../kernels.ts';
import { packF32Weights } from '../pack-f32.ts';
import { anchorCount, blockSides, type DetectorConfig } from './arch.ts';

export interface DetectorPlan {
  config: DetectorConfig;
  /** every buffer, sized: the memory plan */
  builder: PlanBuilder;
  /** one detector run on the input buffer */
  steps: Step[];
  /** input S x S x 3 f32 */
  input: BufferSpec;
  /** N raw scores (logits) */
  scores: BufferSpec;
  /** N x coords raw regressors */
  boxes: BufferSpec;
  anchors: number;
}

const shape = (h: number, w: number, c: number) => `${h}x${w}x${c}`;

/** Plans the detector of `cfg`. `tensors` null: sizes and steps only (what the detector would cost). */
export function planDetector(cfg: DetectorConfig, tensors: Map<string, StoredTensor> | null): DetectorPlan {
  const builder = new PlanBuilder();
  const read = (name: string): Float32Array => {
    const t = tensors?.get(name);
    if (!t) throw new Error(`detector: missing weight ${name}`);
    return dequantize(t);
  };
  /** a weight tensor of n floats as it is in the file */
  const weight = (name: string, n: number) => builder.constF32(name, n, () => read(name));
  /** a 1x1 conv's HWIO weights packed for f32_conv2d_packed */
  const packed1x1 = (name: string, cin: number, cout: number) =>
    builder.constF32(name, cin * Math.ceil(cout / 8) * 8, () => packF32Weights(read(name), 1, cin, cout));

  const S = cfg.inputSize;
  const s0 = Math.ceil(S / 2);
  const sides = blockSides(cfg);
  let largest = s0 * s0 * cfg.stemChannels;
  cfg.blocks.forEach((b, i) => {
    const inSide = i === 0 ? s0 : sides[i - 1];
    largest = Math.max(largest, inSide * inSide * b.cin, sides[i] * sides[i] * b.cout);
  });
  const input = builder.f32('input', S * S * 3, 'input');
  let a = builder.f32('a', largest);
  let b = builder.f32('b', largest);
  const dw = builder.f32('dw', largest);
  const skip = builder.f32('skip', largest);
  const N = anchorCount(cfg);
  const scores = builder.f32('scores', N, 'output');
  const boxes = builder.f32('boxes', N * cfg.coords, 'output');

  const steps: Step[] = [];
  steps.push({
    name: 'stem', kernel: 'f32_conv5x5s2_c3',
    args: [ref(input), S, S, ref(weight('stem.w', 75 * cfg.stemChannels)), ref(weight('stem.b', cfg.stemChannels)), ref(a), cfg.stemChannels, ACT.relu],
    macs: s0 * s0 * 75 * cfg.stemChannels, shapes: `${shape(S, S, 3)} -> ${shape(s0, s0, cfg.stemChannels)}`,
  });
  let side = s0;
  let anchorBase = 0;
  cfg.blocks.forEach((blk, i) => {
    const o = sides[i];
    steps.push({
      name: `block${i}/dw`, kernel: 'f32_dwconv3x3',
      args: [ref(a), side, side, blk.cin, ref(weight(`block${i}.dw.w`, 9 * blk.cin)), ref(weight(`block${i}.dw.b`, blk.cin)), ref(dw), blk.stride, ACT.none],
      macs: o * o * 9 * blk.cin, shapes: `${shape(side, side, blk.cin)} -> ${shape(o, o, blk.cin)}`,
    });
    let res = a;
    if (blk.stride === 2 || blk.cout !== blk.cin) {
      steps.push({
        name: `block${i}/skip`, kernel: 'f32_pad_channels',
        args: [ref(a), side, side, blk.cin, ref(skip), blk.cout, blk.stride],
        macs: 0, shapes: `${shape(side, side, blk.cin)} -> ${shape(o, o, blk.cout)}`,
      });
      res = skip;
    }
    steps.push({
      name: `block${i}/pw`, kernel: 'f32_conv2d_packed',
      // 1x1 / stride 1 / pad 0 conv + bias, then + skip, then ReLU (the kernel's fused residual and activation)
      args: [ref(dw), o, o, blk.cin, ref(packed1x1(`block${i}.pw.w`, blk.cin, blk.cout)), ref(weight(`block${i}.pw.b`, blk.cout)), ref(b), blk.cout, 1, 1, 0, ACT.relu, ref(res)],
      macs: o * o * blk.cin * blk.cout, shapes: `${shape(o, o, blk.cin)} -> ${shape(o, o, blk.cout)}`,
    });
    [a, b] = [b, a];
    side = o;
    cfg.heads.forEach((h, j) => {
      if (h.after !== i) return;
      const head = (kind: 'cls' | 'reg', cout: number, dst: BufferSpec, offset: number) => {
        steps.push({
          name: `head${j}/${kind}`, kernel: 'f32_conv2d_packed',
          args: [ref(a), o, o, blk.cout, ref(packed1x1(`head${j}.${kind}.w`, blk.cout, cout)), ref(weight(`head${j}.${kind}.b`, cout)), ref(dst, offset), cout, 1, 1, 0, ACT.none, 0],
          macs: o * o * blk.cout * cout, shapes: `${shape(o, o, blk.cout)} -> ${shape(o, o, cout)}`,
        });
      };
      head('cls', h.anchors, scores, 4 * anchorBase);
      head('reg', h.anchors * cfg.coords, boxes, 4 * anchorBase * cfg.coords);
      anchorBase += o * o * h.anchors;
    });
  });
  return { config: cfg, builder, steps, input, scores, boxes, anchors: N };
}

/**
 * What a detector configuration costs once loaded, from its own plan: the bytes of every buffer
 * (exactly what the detector places in an estimator's arena) and the multiply-adds of one run.
 * Nothing is allocated and no weight is read, so it gates a hostile config first.
 */
export function detectorCost(cfg: DetectorConfig): { memoryBytes: number; macs: number } {
  const p = planDetector(cfg, null);
  return { memoryBytes: p.builder.bytes, macs: p.steps.reduce((n, s) => n + s.macs, 0) };
}
