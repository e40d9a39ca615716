/**
 * The BlazeFace detector as a plan that is data: a list of named steps, each one kernel call with
 * its arguments (byte offsets and sizes), built once from the weight file's config, with every
 * buffer placed in the arena before the first run. `run()` walks the list; `describe()` prints it.
 *
 * Buffers (f32, HWC): `input` (S x S x 3, the letterboxed image in [-1, 1]); `a` / `b` (block
 * input / output, swapped after each block); `dw` (the depthwise output); `skip` (the zero-channel-
 * padded, possibly max-pooled skip path; blocks with cin == cout and stride 1 add `a` itself);
 * `scores` (N anchors) and `boxes` (N x coords): each head writes its slice of these directly
 * (a head's 1x1 conv output, side x side x anchors, is already in anchor order), so the two outputs
 * need no concatenation.
 */
import type { Arena } from '../arena.ts';
import type { Kernels } from '../kernels.ts';
import { packF32Weights } from '../pack-f32.ts';
import { dequantize } from '../format.ts';
import { anchorCount, blockSides, type DetectorConfig } from './arch.ts';
import type { DetectorWeights } from './weights.ts';

const ACT_NONE = 0;
const ACT_RELU = 1;

export interface Step {
  name: string;
  kernel: 'f32_conv5x5s2_c3' | 'f32_dwconv3x3' | 'f32_pad_channels' | 'f32_conv2d_packed';
  args: number[];
  /** output shape [h, w, c] and multiply-adds, for describe() and profiling */
  out: [number, number, number];
  macs: number;
}

export interface DetectorPlan {
  config: DetectorConfig;
  steps: Step[];
  /** input S x S x 3 f32 */
  input: number;
  /** N raw scores (logits) */
  scores: number;
  /** N x coords raw regressors */
  boxes: number;
  anchors: number;
}

export function buildDetectorPlan(arena: Arena, weights: DetectorWeights): DetectorPlan {
  const cfg = weights.config;
  const w = (name: string) => dequantize(weights.tensors.get(name)!);
  const S = cfg.inputSize;
  const s0 = Math.ceil(S / 2);
  const sides = blockSides(cfg);
  let largest = s0 * s0 * cfg.stemChannels;
  cfg.blocks.forEach((b, i) => {
    const inSide = i === 0 ? s0 : sides[i - 1];
    largest = Math.max(largest, inSide * inSide * b.cin, sides[i] * sides[i] * b.cout);
  });
  const input = arena.allocF32(S * S * 3);
  let a = arena.allocF32(largest);
  let b = arena.allocF32(largest);
  const dw = arena.allocF32(largest);
  const skip = arena.allocF32(largest);
  const N = anchorCount(cfg);
  const scores = arena.allocF32(N);
  const boxes = arena.allocF32(N * cfg.coords);

  const steps: Step[] = [];
  steps.push({
    name: 'stem', kernel: 'f32_conv5x5s2_c3',
    args: [input, S, S, arena.putF32(w('stem.w')), arena.putF32(w('stem.b')), a, cfg.stemChannels, ACT_RELU],
    out: [s0, s0, cfg.stemChannels], macs: s0 * s0 * 75 * cfg.stemChannels,
  });
  let side = s0;
  let anchorBase = 0;
  cfg.blocks.forEach((blk, i) => {
    const o = sides[i];
    steps.push({
      name: `block${i}.dw`, kernel: 'f32_dwconv3x3',
      args: [a, side, side, blk.cin, arena.putF32(w(`block${i}.dw.w`)), arena.putF32(w(`block${i}.dw.b`)), dw, blk.stride, ACT_NONE],
      out: [o, o, blk.cin], macs: o * o * 9 * blk.cin,
    });
    let res = a;
    if (blk.stride === 2 || blk.cout !== blk.cin) {
      steps.push({
        name: `block${i}.skip`, kernel: 'f32_pad_channels',
        args: [a, side, side, blk.cin, skip, blk.cout, blk.stride],
        out: [o, o, blk.cout], macs: 0,
      });
      res = skip;
    }
    const pw = arena.putF32(packF32Weights(w(`block${i}.pw.w`), 1, blk.cin, blk.cout));
    steps.push({
      name: `block${i}.pw`, kernel: 'f32_conv2d_packed',
      // 1x1 / stride 1 / pad 0 conv + bias, then + skip, then ReLU (the kernel's fused residual and activation)
      args: [dw, o, o, blk.cin, pw, arena.putF32(w(`block${i}.pw.b`)), b, blk.cout, 1, 1, 0, ACT_RELU, res],
      out: [o, o, blk.cout], macs: o * o * blk.cin * blk.cout,
    });
    [a, b] = [b, a];
    side = o;
    cfg.heads.forEach((h, j) => {
      if (h.after !== i) return;
      const head = (kind: 'cls' | 'reg', cout: number, dst: number) => {
        const hw = arena.putF32(packF32Weights(w(`head${j}.${kind}.w`), 1, blk.cout, cout));
        steps.push({
          name: `head${j}.${kind}`, kernel: 'f32_conv2d_packed',
          args: [a, o, o, blk.cout, hw, arena.putF32(w(`head${j}.${kind}.b`)), dst, cout, 1, 1, 0, ACT_NONE, 0],
          out: [o, o, cout], macs: o * o * blk.cout * cout,
        });
      };
      head('cls', h.anchors, scores + 4 * anchorBase);
      head('reg', h.anchors * cfg.coords, boxes + 4 * anchorBase * cfg.coords);
      anchorBase += o * o * h.anchors;
    });
  });
  return { config: cfg, steps, input, scores, boxes, anchors: N };
}

/** Runs every step in order. */
export function runDetectorPlan(kernels: Kernels, plan: DetectorPlan): void {
  for (const s of plan.steps) (kernels[s.kernel] as (...a: number[]) => void)(...s.args);
}

/** The plan as a table: step, kernel, output shape, multiply-adds. */
export function describeDetectorPlan(plan: DetectorPlan): string {
  const rows = plan.steps.map((s) => `${s.name.padEnd(14)} ${s.kernel.padEnd(18)} ${s.out.join('x').padEnd(10)} ${s.macs}`);
  const total = plan.steps.reduce((n, s) => n + s.macs, 0);
  return [...rows, `total ${total} multiply-adds, ${plan.anchors} anchors`].join('\n');
}
